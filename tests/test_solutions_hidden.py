"""Worked solutions give nothing away until opened, and still run: folded code, printed answers checked."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell

import d2l_utils as du
from d2l_utils import exercises
from tools import solutions

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_solution_shows_before_it_is_opened(path):
    nb = nbformat.read(path, as_version=4)
    assert solutions.solutions_start(nb) is not None, f"{path.name} has no folded solutions"
    assert solutions.solution_problems(nb, path.name) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_solution_code_cell_is_a_hidden_runner_without_output(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells[solutions.solutions_start(nb) :] if c.cell_type == "code"]
    assert code, f"{path.name}: no solution is run, so nbval tests none"
    for cell in code:
        assert solutions.RUNNER.match(cell.source.strip()), cell.source[:80]
        assert solutions.is_hidden(cell) and cell.outputs == []


def test_the_folded_solution_code_passes_ruff(tmp_path):
    """Code in Markdown escapes the notebook lint, so it is linted here (names come from the notebook above it)."""
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
        bodies = [body for source in markdown for _, body in exercises.DETAILS.findall(source)]
        pieces = [piece.code for body in bodies for piece in exercises.solution_pieces(body)]
        for piece in pieces:
            compile(piece, path.name, "exec")
        (tmp_path / f"{path.stem}.py").write_text("\n\n".join(pieces) + "\n", encoding="utf-8")
    ruff = [sys.executable, "-m", "ruff", "check", "--no-cache", "--config", str(ROOT / "pyproject.toml")]
    run = subprocess.run([*ruff, "--ignore", "F821,E402,F811,I001", str(tmp_path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def _details(label, code, printed=None, how="It prints:"):
    text = f"<details><summary>{label}: why</summary>\n\nBecause.\n\n```python\n{code}\n```\n"
    if printed is not None:
        text += f"\n{how}\n\n```text\n{printed}\n```\n"
    return text + "\n</details>"


def _notebook(tmp_path, *cells, name="nb.ipynb"):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Exercises\n\n1. Why?"), *cells])
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


@pytest.fixture
def shell(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(exercises.RECORD_ENV, raising=False)
    instance = InteractiveShell.instance()
    yield instance
    InteractiveShell.clear_instance()


def test_run_solution_runs_the_folded_code_in_the_notebook_namespace_and_checks_it(shell, tmp_path, capsys):
    _notebook(tmp_path, nbformat.v4.new_markdown_cell(_details("Solution 1", "answer = base * 7\nprint(answer)", "42")))
    shell.user_ns["base"] = 6
    du.run_solution("nb.ipynb", "Solution 1")
    assert shell.user_ns["answer"] == 42
    assert capsys.readouterr().out == "42\n"


@pytest.mark.bad_input
def test_a_solution_that_prints_another_answer_fails_with_a_diff(shell, tmp_path):
    _notebook(tmp_path, nbformat.v4.new_markdown_cell(_details("Solution 1", "print(6 * 9)", "42")))
    with pytest.raises(du.exercises.SolutionOutputMismatch, match=r"(?s)-42.*\+54.*rebuild the notebook"):
        du.run_solution("nb.ipynb", "Solution 1")


def test_a_stored_real_run_is_shown_not_compared(shell, tmp_path, capsys):
    real = _details("Solution 2", "print('smoke run')", "test error 0.97%", how=solutions.REAL_LABEL)
    _notebook(tmp_path, nbformat.v4.new_markdown_cell(real))
    du.run_solution("nb.ipynb", "Solution 2")
    assert capsys.readouterr().out == "smoke run\n"


def test_labels_are_matched_whole_and_errors_in_the_code_surface(shell, tmp_path):
    cells = [nbformat.v4.new_markdown_cell(_details("Solution 2", "print(2)", "2")),
             nbformat.v4.new_markdown_cell(_details("Solution 20", "raise ValueError('in the solution')"))]  # fmt: skip
    _notebook(tmp_path, *cells)
    du.run_solution("nb.ipynb", "Solution 2")
    with pytest.raises(ValueError, match="in the solution"):
        du.run_solution("nb.ipynb", "Solution 20")


@pytest.mark.bad_input
def test_an_unknown_label_or_notebook_is_named_with_the_fix(shell, tmp_path):
    _notebook(tmp_path, nbformat.v4.new_markdown_cell(_details("Solution 1", "print(1)", "1")))
    with pytest.raises(LookupError, match="no folded block.*'Solution 3'.*exactly as its <summary>"):
        du.run_solution("nb.ipynb", "Solution 3")
    with pytest.raises(FileNotFoundError, match="missing.ipynb.*course.py lab"):
        du.run_solution("missing.ipynb", "Solution 1")


def test_while_the_build_records_the_printed_text_is_written_not_compared(shell, tmp_path, monkeypatch):
    record = tmp_path / "printed.jsonl"
    monkeypatch.setenv(exercises.RECORD_ENV, str(record))
    _notebook(tmp_path, nbformat.v4.new_markdown_cell(_details("Solution 1", "print(6 * 9)", "42")))
    du.run_solution("nb.ipynb", "Solution 1")
    entry = json.loads(record.read_text())
    assert entry == {"notebook": "nb.ipynb", "label": "Solution 1", "index": 0, "printed": "54\n"}


def test_the_build_folds_a_plain_solution_cell_and_refreshes_what_it_prints():
    code = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(6 * 7)  # fmt: skip")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="41\n")]
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("<details><summary>Solution 1: why</summary>\n\nBecause.\n\n</details>"),
        code, nbformat.v4.new_code_cell("x = 1"),
    ])  # fmt: skip
    solutions.hide_solutions(nb, "x.ipynb")
    assert [c.cell_type for c in nb.cells] == ["markdown", "code"]
    assert nb.cells[1].source == 'du.run_solution("x.ipynb", "Solution 1")' and solutions.is_hidden(nb.cells[1])
    pieces = exercises.find_solution(nb.cells, "Solution 1")
    assert pieces == [exercises.SolutionPiece("print(6 * 7)\n", "41\n", True), exercises.SolutionPiece("x = 1\n")]
    solutions.update_printed(nb, [{"label": "Solution 1", "index": 0, "printed": "42\n"}], real_run=False)
    assert exercises.find_solution(nb.cells, "Solution 1")[0].output == "42\n"
    assert solutions.solution_problems(nb, "x.ipynb") == []


def test_a_smoke_build_leaves_a_stored_real_result_alone():
    real = _details("Solution 1", "print(1)", "0.97%", how=solutions.REAL_LABEL)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(real)])
    solutions.update_printed(nb, [{"label": "Solution 1", "index": 0, "printed": "smoke\n"}], real_run=False)
    assert exercises.find_solution(nb.cells, "Solution 1")[0].output == "0.97%\n"
    solutions.update_printed(nb, [{"label": "Solution 1", "index": 0, "printed": "0.95%\n"}], real_run=True)
    assert exercises.find_solution(nb.cells, "Solution 1")[0].output == "0.95%\n"


@pytest.mark.bad_input
def test_solution_prose_outside_details_stops_the_build():
    first = "Intro.\n\n<details><summary>Solution 1</summary>\n\nA.\n\n</details>"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(first), nbformat.v4.new_code_cell("x = 1"),
                                         nbformat.v4.new_markdown_cell("So the answer is 42.")])  # fmt: skip
    with pytest.raises(SystemExit, match="solution text outside <details>"):
        solutions.hide_solutions(nb, "x.ipynb")
