"""Every notebook keeps its worked solutions folded: prose inside <details>, code cells collapsed."""

from pathlib import Path

import nbformat
import pytest

from tools import solutions

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_solution_shows_before_it_is_opened(path):
    nb = nbformat.read(path, as_version=4)
    assert solutions.solutions_start(nb) is not None, f"{path.name} has no folded solutions"
    assert solutions.solution_problems(nb) == []


def _notebook(*cells):
    return nbformat.v4.new_notebook(cells=list(cells))


def test_a_visible_solution_code_cell_is_reported_and_hidden_by_the_build():
    nb = _notebook(nbformat.v4.new_markdown_cell("## Exercises\n\n1. Why?"),
                   nbformat.v4.new_markdown_cell("<details><summary>Solution 1</summary>\n\nBecause.\n\n</details>"),
                   nbformat.v4.new_code_cell("print(42)"))  # fmt: skip
    assert solutions.solution_problems(nb) == [
        "cell 2: solution code is not collapsed (jupyter source_hidden/outputs_hidden)"
    ]
    solutions.hide_solutions(nb, "x.ipynb")
    assert nb.cells[2].metadata["jupyter"] == {"source_hidden": True, "outputs_hidden": True}
    assert solutions.solution_problems(nb) == []
    assert "jupyter" not in nb.cells[0].metadata


@pytest.mark.bad_input
def test_solution_prose_outside_details_stops_the_build():
    first = "Intro.\n\n<details><summary>Solution 1</summary>\n\nA.\n\n</details>"
    nb = _notebook(nbformat.v4.new_markdown_cell(first),
                   nbformat.v4.new_code_cell("x = 1"),
                   nbformat.v4.new_markdown_cell("So the answer is 42."))  # fmt: skip
    with pytest.raises(SystemExit, match="cell 2: solution text outside <details>"):
        solutions.hide_solutions(nb, "x.ipynb")
