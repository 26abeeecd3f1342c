"""Each chapter's exercises are answered in a companion notebook, ``notebooks/solutions/<chapter>.ipynb``.

A chapter's Exercises section holds the exercise texts only and ends with one line that links the companion
(and opens it on Colab), so Run all never executes a solution and the chapter page gives none away. The
companion starts with the header cells, a title that links back to its chapter and a setup cell that rebuilds
the chapter state its solutions use (cheaply: no long training); then, for each exercise, the exercise text, the
solution's prose and its code as plain cells. nbval runs it like every notebook: a cell marked
``# NBVAL_CHECK_OUTPUT`` has its printed answer checked; a stored result of a real-data run is a Markdown block
labelled "The real run printed:", shown and never re-run as if real.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from tools.notebook_cells import NOTEBOOKS, colab_url

SOLUTIONS = NOTEBOOKS / "solutions"
EXERCISES = re.compile(r"^#+ .*Exercises", re.MULTILINE)
EXERCISE_ITEM = re.compile(r"^(\d+)\. ", re.MULTILINE)
EXERCISE_HEADING = re.compile(r"## Exercise (\d+)\n\n(.*)\Z", re.DOTALL)  # a companion's cell: heading and text
# What a chapter must not hold: a solution runner, a folded solution, the label of a stored answer.
SOLUTION_TRACE = re.compile(r"run_solution|<summary>\s*Solution|^It prints:|^The real run printed:", re.I | re.M)


def chapters() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def companions() -> list[Path]:
    return sorted(SOLUTIONS.glob("*.ipynb"))


def is_companion(notebook: Path) -> bool:
    return Path(notebook).resolve().parent == SOLUTIONS


def companion(chapter: Path) -> Path:
    return SOLUTIONS / Path(chapter).name


def solutions_link(chapter: Path) -> str:
    """The line that ends a chapter's Exercises section: the companion, on disk and on Colab."""
    name = Path(chapter).name
    return f"Solutions: [solutions/{name}](solutions/{name}) · [Open in Colab]({colab_url(companion(chapter))})"


def exercises_start(nb: nbformat.NotebookNode) -> int | None:
    """Index of the Markdown cell with the Exercises heading; None if the notebook has none."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and EXERCISES.search(cell.source):
            return index
    return None


def exercise_texts(nb: nbformat.NotebookNode) -> dict[int, str]:
    """The chapter's exercises by number, as its Exercises section lists them (continuation lines unindented)."""
    start = exercises_start(nb)
    text = "\n\n".join(c.source for c in nb.cells[start:] if c.cell_type == "markdown") if start is not None else ""
    text = text.split("\n\nSolutions: [")[0]
    items = list(EXERCISE_ITEM.finditer(text))
    ends = [m.start() for m in items[1:]] + [len(text)]
    return {int(m.group(1)): "\n".join(line.removeprefix("   ") for line in text[m.end() : end].strip().splitlines())
            for m, end in zip(items, ends, strict=True)}  # fmt: skip


def chapter_problems(nb: nbformat.NotebookNode, chapter: Path) -> list[str]:
    """What shows or runs a solution in a chapter, or leaves its exercises unanswered: one line each."""
    start = exercises_start(nb)
    if start is None or not exercise_texts(nb):
        return ["no '## Exercises' section with numbered exercises"]
    problems = [f"cell {i}: solution material ({m.group(0)!r}) belongs in {companion(chapter).relative_to(NOTEBOOKS)}"
                for i, c in enumerate(nb.cells) if (m := SOLUTION_TRACE.search(c.source))]  # fmt: skip
    problems += [f"cell {i}: code in the Exercises section; solutions go to the companion notebook"
                 for i in range(start, len(nb.cells)) if nb.cells[i].cell_type == "code"]  # fmt: skip
    if not nb.cells[-1].source.rstrip().endswith(solutions_link(chapter)):
        problems.append(f"the last cell does not end with the line {solutions_link(chapter)!r}")
    if not companion(chapter).is_file():
        problems.append(f"its solutions notebook {companion(chapter).relative_to(NOTEBOOKS)} does not exist")
    return problems


def companion_problems(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    """What a companion lacks: the link back to its chapter, a section per exercise, code that runs."""
    chapter = NOTEBOOKS / Path(path).name
    if not chapter.is_file():
        return [f"no chapter {chapter.name} in notebooks/ for this solutions notebook"]
    markdown = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    problems = [] if f"(../{chapter.name})" in markdown else [f"no link back to its chapter (../{chapter.name})"]
    wanted = exercise_texts(nbformat.read(chapter, as_version=4))
    cells = [c.source for c in nb.cells if c.cell_type == "markdown"]
    answered = dict(m.groups() for source in cells if (m := EXERCISE_HEADING.match(source)))
    if [int(n) for n in answered] != list(wanted):
        problems.append(f"'## Exercise N' sections {[int(n) for n in answered]}, but the chapter lists {list(wanted)}")
    problems += [f"Exercise {n}'s text differs from the chapter's; copy it from {chapter.name}"
                 for n, text in answered.items() if int(n) in wanted and text.strip() != wanted[int(n)]]  # fmt: skip
    if not any(c.cell_type == "code" for c in nb.cells[2:]):
        problems.append("no code cell after the header: nbval would check no solution")
    return problems
