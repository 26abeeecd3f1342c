"""Worked solutions stay folded: their prose inside ``<details>``, their code cells collapsed.

A notebook's solutions section starts at its first ``<details><summary>Solution`` and runs to the end. There,
every Markdown cell keeps all its text inside ``<details>...</details>`` blocks (a reader opens one solution at a
time), and every code cell is collapsed with the cell metadata ``jupyter: {source_hidden: true,
outputs_hidden: true}``, which JupyterLab honours, so neither the code nor its stored output gives the answer
away before the reader asks for it. The build applies the code-cell metadata and refuses prose left outside
``<details>``; the tests check both on every committed notebook.
"""

from __future__ import annotations

import re

import nbformat

SOLUTION_START = re.compile(r"<details>\s*<summary>\s*Solution", re.IGNORECASE)
DETAILS_BLOCK = re.compile(r"<details>.*?</details>", re.IGNORECASE | re.DOTALL)
HIDDEN = {"source_hidden": True, "outputs_hidden": True}


def solutions_start(nb: nbformat.NotebookNode) -> int | None:
    """Index of the cell holding the first ``<details><summary>Solution``; None if the notebook has none."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and SOLUTION_START.search(cell.source):
            return index
    return None


def prose_outside_details(markdown: str, *, first: bool = False) -> str:
    """The text of a solutions-section Markdown cell that is not inside a ``<details>`` block.

    In the ``first`` cell, text before the first solution (the section's heading and introduction) is allowed.
    """
    if first:
        markdown = markdown[SOLUTION_START.search(markdown).start() :]
    return DETAILS_BLOCK.sub("", markdown).strip()


def is_hidden(cell) -> bool:
    """True for a code cell whose source and outputs are both collapsed."""
    jupyter = cell.get("metadata", {}).get("jupyter", {})
    return all(jupyter.get(key) is True for key in HIDDEN)


def solution_problems(nb: nbformat.NotebookNode) -> list[str]:
    """What shows a solution before the reader opens it: one line per cell (empty when all is folded)."""
    start = solutions_start(nb)
    if start is None:
        return []
    problems = []
    for index in range(start, len(nb.cells)):
        cell = nb.cells[index]
        if cell.cell_type == "code" and not is_hidden(cell):
            problems.append(f"cell {index}: solution code is not collapsed (jupyter source_hidden/outputs_hidden)")
        elif cell.cell_type == "markdown":
            left = prose_outside_details(cell.source, first=index == start)
            if left:
                problems.append(f"cell {index}: solution text outside <details>: {left[:60]!r}")
    return problems


def hide_solutions(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Collapse every solution code cell of ``nb``; stop with the cells at fault if prose shows a solution."""
    start = solutions_start(nb)
    if start is None:
        return nb
    for cell in nb.cells[start:]:
        if cell.cell_type == "code":
            cell.metadata["jupyter"] = {**cell.metadata.get("jupyter", {}), **HIDDEN}
    problems = solution_problems(nb)
    if problems:
        raise SystemExit(
            f"{name}: " + "; ".join(problems) + ". Put each solution's text inside "
            "<details><summary>Solution N: ...</summary> ... </details>, then build again."
        )
    return nb
