"""Run all runs the chapter, not its solutions: each chapter's answers live in notebooks/solutions/<chapter>.ipynb.

The chapter keeps its exercise texts and ends with a link to its companion; the companion answers every exercise
in plain cells that nbval runs in smoke mode, checking the printed answers of cells marked ``# NBVAL_CHECK_OUTPUT``
(tests/test_committed_notebooks.py checks those are committed executed). ruff lints the companions' code with
the rest of the notebooks (tests/test_lint.py).
"""

from pathlib import Path

import nbformat
import pytest

from tools import build_notebooks, solutions

CHAPTERS = solutions.chapters()
COMPANIONS = solutions.companions()


def test_every_chapter_has_a_solutions_notebook_and_each_answers_a_chapter():
    assert [p.name for p in COMPANIONS] == [p.name for p in CHAPTERS]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_a_chapter_shows_and_runs_no_solution(path):
    assert solutions.chapter_problems(nbformat.read(path, as_version=4), path) == []


@pytest.mark.parametrize("path", COMPANIONS, ids=lambda p: p.name)
def test_a_solutions_notebook_links_its_chapter_and_answers_every_exercise(path):
    nb = nbformat.read(path, as_version=4)
    assert solutions.companion_problems(nb, path) == []
    checked = [c for c in nb.cells if c.cell_type == "code" and build_notebooks.CHECK_MARKER in c.source]
    stored = [c for c in nb.cells if c.cell_type == "markdown" and "The real run printed:" in c.source]
    assert checked or stored, f"{path.name}: no answer is checked by nbval or shown from a real run"


def _chapter(*cells):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"), *cells])


CHAPTER = solutions.NOTEBOOKS / "06_lenet.ipynb"
EXERCISES = "## Exercises\n\n1. Why?\n2. How?"


@pytest.mark.bad_input
@pytest.mark.parametrize(
    "cells, message",
    [
        ([nbformat.v4.new_markdown_cell(EXERCISES)], "does not end with the line 'Solutions: [solutions/06_lenet"),
        (
            [
                nbformat.v4.new_markdown_cell(EXERCISES + "\n\n" + solutions.solutions_link(CHAPTER)),
                nbformat.v4.new_code_cell('du.run_solution("06_lenet.ipynb", "Solution 1")'),
            ],  # fmt: skip
            "solution material ('run_solution') belongs in solutions/06_lenet.ipynb",
        ),
        (
            [
                nbformat.v4.new_markdown_cell(EXERCISES),
                nbformat.v4.new_markdown_cell("<details><summary>Solution 1</summary>\n\nBecause.\n\n</details>"),
            ],
            "solution material",
        ),
        (
            [
                nbformat.v4.new_markdown_cell(EXERCISES + "\n\n" + solutions.solutions_link(CHAPTER)),
                nbformat.v4.new_code_cell("print(42)"),
            ],  # fmt: skip
            "cell 2: code in the Exercises section",
        ),
        ([nbformat.v4.new_markdown_cell("No exercises.")], "no '## Exercises' section"),
    ],
)
def test_a_chapter_with_a_solution_or_without_its_link_is_refused(cells, message):
    problems = solutions.chapter_problems(_chapter(*cells), CHAPTER)
    assert any(message in p for p in problems), problems


@pytest.mark.bad_input
def test_the_build_refuses_a_chapter_that_holds_a_solution(tmp_path, monkeypatch):
    path = tmp_path / "06_lenet.ipynb"
    nbformat.write(_chapter(nbformat.v4.new_markdown_cell(EXERCISES), nbformat.v4.new_code_cell("print(42)")), path)
    monkeypatch.setattr(build_notebooks, "execute_reporting_data", lambda *a, **k: pytest.fail("executed"))
    with pytest.raises(SystemExit, match="06_lenet.ipynb: .*does not end with the line"):
        build_notebooks.build(path)


@pytest.mark.bad_input
def test_a_companion_missing_an_exercise_or_its_link_back_is_refused():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Solutions"),
                                         nbformat.v4.new_markdown_cell("## Exercise 1\n\nWhy?")])  # fmt: skip
    problems = solutions.companion_problems(nb, solutions.SOLUTIONS / CHAPTER.name)
    assert any("no link back to its chapter (../06_lenet.ipynb)" in p for p in problems), problems
    assert any("sections [1], but the chapter lists [1, 2, 3, 4, 5, 6]" in p for p in problems), problems
    assert any("Exercise 1's text differs from the chapter's; copy it from 06_lenet.ipynb" in p for p in problems)
    assert any("no code cell" in p for p in problems), problems
    assert solutions.companion_problems(nb, Path("/x/solutions/99_none.ipynb")) == [
        "no chapter 99_none.ipynb in notebooks/ for this solutions notebook"
    ]
