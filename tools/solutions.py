"""Worked solutions stay folded: prose, code and printed answer inside ``<details>``, one hidden line to run them.

A notebook's solutions section starts at its first ``<details><summary>Solution`` and runs to the end. There,
every Markdown cell keeps all its text inside ``<details>...</details>`` blocks, and a solution's code lives in
its block too, as a ```` ```python ```` block followed by what it prints (```` ```text ```` under ``It prints:``,
or under ``The real run printed:`` for a stored real-data result). JupyterLab, GitHub and Colab all show such a
block closed, so neither the code nor its output gives the answer away before the reader opens it. The only code
cells are one-line runners, ``du.run_solution("<notebook>", "<summary label>")``, collapsed with
``jupyter: {source_hidden: true, outputs_hidden: true}`` and saved without outputs; they run the block's code and
check its printed answer (``d2l_utils/exercises.py``), so nbval still tests every solution.

The build folds a plain solution code cell into the block above it (:func:`fold_solution_code`: a cell marked
``# NBVAL_CHECK_OUTPUT`` gets an ``It prints:`` block), refreshes the printed blocks from what the runners printed
(:func:`update_printed`), and refuses prose outside ``<details>``; the tests check every committed notebook.
"""

from __future__ import annotations

import re

import nbformat

from d2l_utils.exercises import CODE_BLOCK, DETAILS, OUTPUT_BLOCK, find_solution, solution_pieces, summary_matches

SOLUTION_START = re.compile(r"<details>\s*<summary>\s*Solution", re.IGNORECASE)
DETAILS_BLOCK = re.compile(r"<details>.*?</details>", re.IGNORECASE | re.DOTALL)
RUNNER = re.compile(r'\Adu\.run_solution\("([^"]+)", "([^"]+)"\)\Z')
HIDDEN = {"source_hidden": True, "outputs_hidden": True}
CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"
REAL_DATA_TAG = "real-data"
CHECKED_LABEL, REAL_LABEL = "It prints:", "The real run printed:"


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


def _code_cell_problems(nb: nbformat.NotebookNode, index: int, name: str) -> list[str]:
    cell = nb.cells[index]
    runner = RUNNER.match(cell.source.strip())
    if runner is None:
        return [f"cell {index}: solution code is in a code cell, not folded into its <details> block"]
    problems = [] if is_hidden(cell) else [f"cell {index}: runner not collapsed (jupyter source_hidden/outputs_hidden)"]
    if cell.outputs:
        problems.append(f"cell {index}: runner has stored outputs (they would show the answer)")
    if runner.group(1) != name:
        problems.append(f"cell {index}: runner names {runner.group(1)!r}, not this notebook {name!r}")
    try:
        find_solution(nb.cells, runner.group(2))
    except LookupError as err:
        problems.append(f"cell {index}: {err}")
    return problems


def _unrun_solutions(nb: nbformat.NotebookNode, start: int) -> list[str]:
    """Summaries of folded blocks with code that no runner runs."""
    labels = [RUNNER.match(c.source.strip()) for c in nb.cells[start:] if c.cell_type == "code"]
    run = {m.group(2) for m in labels if m}
    with_code = [s.strip() for c in nb.cells[start:] if c.cell_type == "markdown"
                 for s, body in DETAILS.findall(c.source) if solution_pieces(body)]  # fmt: skip
    return [s for s in with_code if not any(summary_matches(s, label) for label in run)]


def solution_problems(nb: nbformat.NotebookNode, name: str) -> list[str]:
    """What shows a solution before the reader opens it, or leaves one untested: one line each (empty: all well)."""
    start = solutions_start(nb)
    if start is None:
        return []
    problems = []
    for index in range(start, len(nb.cells)):
        cell = nb.cells[index]
        if cell.cell_type == "code":
            problems += _code_cell_problems(nb, index, name)
        elif cell.cell_type == "markdown":
            left = prose_outside_details(cell.source, first=index == start)
            if left:
                problems.append(f"cell {index}: solution text outside <details>: {left[:60]!r}")
    problems += [f"folded block {s[:40]!r} has code but no runner cell" for s in _unrun_solutions(nb, start)]
    return problems


def _printed(cell) -> str:
    streams = [o for o in cell.outputs if o.get("output_type") == "stream" and o.get("name") == "stdout"]
    return "".join(o.get("text", "") for o in streams)


def _piece_markdown(cell) -> str:
    """A code cell as a ```python block, plus its printed output under the label its kind calls for."""
    lines = [line.split("  # fmt: skip")[0] for line in cell.source.splitlines() if line.strip() != CHECK_MARKER]
    code = "\n".join(lines)
    text = f"```python\n{code.strip()}\n```\n"
    if CHECK_MARKER in cell.source.splitlines():
        text += f"\n{CHECKED_LABEL}\n\n```text\n{_printed(cell).rstrip()}\n```\n"
    elif REAL_DATA_TAG in cell.metadata.get("tags", []) and _printed(cell):
        text += f"\n{REAL_LABEL}\n\n```text\n{_printed(cell).rstrip()}\n```\n"
    return text


def _fold_into(markdown: nbformat.NotebookNode, cell, name: str) -> str:
    """Put ``cell``'s code at the end of the last ``<details>`` block of ``markdown``; return that block's label."""
    blocks = list(DETAILS.finditer(markdown.source))
    if not blocks:
        raise SystemExit(f"{name}: a solution code cell follows a Markdown cell without a <details> block")
    last = blocks[-1]
    end = markdown.source.rindex("</details>", last.start(), last.end())
    markdown.source = markdown.source[:end].rstrip() + "\n\n" + _piece_markdown(cell) + "\n" + markdown.source[end:]
    return last.group(1).split(":")[0].strip()


def fold_solution_code(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Fold every plain solution code cell into the ``<details>`` block above it and leave a runner in its place.

    Consecutive code cells join the same block (one runner runs them in order). Runners are left as they are.
    """
    start = solutions_start(nb)
    if start is None:
        return nb
    cells, markdown, runner_for_markdown = list(nb.cells[:start]), None, False
    for cell in nb.cells[start:]:
        if cell.cell_type == "markdown":
            cells.append(cell)
            markdown, runner_for_markdown = cell, False
            continue
        if cell.cell_type != "code" or RUNNER.match(cell.source.strip()) or markdown is None:
            cells.append(cell)
            continue
        label = _fold_into(markdown, cell, name)
        if not runner_for_markdown:
            tags = [t for t in cell.metadata.get("tags", []) if t == REAL_DATA_TAG]
            runner = nbformat.v4.new_code_cell(f'du.run_solution("{name}", "{label}")')
            runner.metadata.update({"tags": tags} if tags else {})
            cells.append(runner)
            runner_for_markdown = True
    nb.cells = cells
    return nb


def update_printed(nb: nbformat.NotebookNode, printed: list[dict], *, real_run: bool) -> nbformat.NotebookNode:
    """Refresh each printed block from what the runners printed (``It prints:`` always, real ones in a real run)."""
    for entry in printed:
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = _replace_printed(cell.source, entry, real_run)
    return nb


def _replace_printed(source: str, entry: dict, real_run: bool) -> str:
    def replace(details: re.Match) -> str:
        if not summary_matches(details.group(1), entry["label"]):
            return details.group(0)
        body = details.group(2)
        code_blocks = list(CODE_BLOCK.finditer(body))
        if entry["index"] >= len(code_blocks):
            return details.group(0)
        out = OUTPUT_BLOCK.match(body, code_blocks[entry["index"]].end())
        if out is None or (out.group(1) != CHECKED_LABEL.rstrip(":") and not real_run):
            return details.group(0)
        start, end = out.span(2)
        body = body[:start] + entry["printed"].rstrip("\n") + "\n" + body[end:]
        return details.group(0).replace(details.group(2), body, 1)

    return DETAILS.sub(replace, source)


def hide_solutions(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Fold solution code, collapse and empty the runners; stop with the cells at fault if a solution shows."""
    nb = fold_solution_code(nb, name)
    start = solutions_start(nb)
    if start is None:
        return nb
    for cell in nb.cells[start:]:
        if cell.cell_type == "code":
            cell.metadata["jupyter"] = {**cell.metadata.get("jupyter", {}), **HIDDEN}
    problems = [p for p in solution_problems(nb, name) if "stored outputs" not in p]
    if problems:
        raise SystemExit(
            f"{name}: " + "; ".join(problems) + ". Put each solution's text and code inside "
            "<details><summary>Solution N: ...</summary> ... </details>, then build again."
        )
    return nb
