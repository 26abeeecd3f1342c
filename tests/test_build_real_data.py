"""The notebook build keeps a real-data cell's outputs only from a real run on verified real data.

The rule (tools/build_notebooks.py) reads what the kernel's loaders report (d2l_utils.data.DataSource records);
it is checked here on made-up reports, then once end to end with a kernel.
"""

from __future__ import annotations

import nbformat
import pytest

from tools.build_notebooks import (
    CHECK_MARKER,
    REAL_DATA_TAG,
    execute_reporting_data,
    keeps_output,
    real_data_problems,
)

REAL = {"name": "MNIST", "verified_real": True, "smoke": False, "num_train": 60_000, "num_test": 10_000}
SMOKE_SUBSET = {**REAL, "smoke": True, "num_train": 512, "num_test": 256}
STAND_IN = {**REAL, "name": "synthetic stand-in (garment-like shapes, not digits)", "verified_real": False}


def notebook(*cells: tuple[str, bool]) -> nbformat.NotebookNode:
    """A notebook of code cells given as (source, tagged real-data)."""
    nb = nbformat.v4.new_notebook()
    for source, tagged in cells:
        cell = nbformat.v4.new_code_cell(source)
        if tagged:
            cell.metadata["tags"] = [REAL_DATA_TAG]
        nb.cells.append(cell)
    return nb


LENET = notebook(("train_iter, test_iter = du.load_data_mnist(256)", False), ("du.train_ch6(...)", True),
                 ("du.plot_confusion_matrix(...)", True))  # fmt: skip


def test_a_real_run_on_verified_real_data_is_kept():
    assert real_data_problems(LENET, {0: [REAL], 1: [REAL, REAL]}, real_run=True, name="06.ipynb") == []
    assert keeps_output(LENET.cells[1]) and not keeps_output(LENET.cells[0])


@pytest.mark.bad_input
def test_a_smoke_build_is_refused_naming_the_cell_and_the_real_build():
    problems = real_data_problems(LENET, {0: [SMOKE_SUBSET], 1: [SMOKE_SUBSET]}, real_run=False, name="06.ipynb")
    assert problems[0] == (
        "06.ipynb cell 1 is tagged real-data but ran in smoke mode (D2L_SMOKE=1); to build it for real, put the "
        "verified real data in D2L_DATA_DIR and run `python tools/build_notebooks.py --real-data 06.ipynb`"
    )
    assert len(problems) == 2


@pytest.mark.bad_input
@pytest.mark.parametrize(
    ("used", "why"),
    [
        ([STAND_IN], "ran on synthetic stand-in (garment-like shapes, not digits), not on verified real data"),
        ([SMOKE_SUBSET], "ran on a smoke-mode subset of MNIST"),
        ([REAL, STAND_IN], "not on verified real data"),
    ],
)
def test_outputs_of_anything_but_verified_real_data_are_refused(used, why):
    (problem, _) = real_data_problems(LENET, {1: used}, real_run=True, name="06.ipynb")
    assert problem.startswith("06.ipynb cell 1 is tagged real-data but") and why in problem


@pytest.mark.bad_input
def test_a_tagged_cell_with_no_data_before_it_is_refused():
    nb = notebook(("print('hello')", True))
    (problem,) = real_data_problems(nb, {}, real_run=True, name="x.ipynb")
    assert "ran before any data set was loaded" in problem


def test_a_cell_that_uses_no_data_is_judged_by_the_latest_cell_that_did():
    nb = notebook(("load real", False), ("train", True), ("load stand-in", False), ("plot", True))
    assert real_data_problems(nb, {0: [REAL], 1: [REAL]}, real_run=True, name="n") == []
    (problem,) = real_data_problems(nb, {0: [REAL], 1: [REAL], 2: [STAND_IN]}, real_run=True, name="n")
    assert problem.startswith("n cell 3 is tagged real-data but ran on synthetic stand-in")


@pytest.mark.bad_input
def test_a_real_data_cell_must_not_be_checked_by_nbval():
    nb = notebook((f"{CHECK_MARKER}\nprint(test_acc)", True))
    (problem,) = real_data_problems(nb, {0: [REAL]}, real_run=True, name="n")
    assert "also marked # NBVAL_CHECK_OUTPUT: nbval would compare a smoke run's output" in problem


def _two_cell_notebook(load: str) -> nbformat.NotebookNode:
    return notebook((f"import d2l_utils as du\ntrain_iter, test_iter = {load}", False),
                    ("for X, y in test_iter:\n    pass\nprint(test_iter.source.verified_real)", True))  # fmt: skip


@pytest.mark.bad_input
def test_the_kernel_reports_the_stand_in_and_the_build_refuses(monkeypatch, tmp_path):
    monkeypatch.setenv("D2L_SMOKE", "1")  # restored afterwards: the build sets it for its kernel
    nb = _two_cell_notebook('du.load_data_mnist(64, synthetic=True, max_train_examples=64, device="cpu")')
    uses = execute_reporting_data(nb, tmp_path, real_data=True, timeout=300)
    assert [len(uses[0]), len(uses[1])] == [1, 1]  # the load, then one pass over the test batches
    assert not uses[1][0]["verified_real"] and "synthetic" in uses[1][0]["name"]
    (problem,) = real_data_problems(nb, uses, real_run=True, name="t.ipynb")
    assert "cell 1 is tagged real-data but ran on synthetic stand-in" in problem


@pytest.mark.real_data
def test_the_kernel_reports_real_mnist_and_the_build_keeps_it(monkeypatch, real_mnist_dir, tmp_path):
    monkeypatch.setenv("D2L_SMOKE", "1")
    nb = _two_cell_notebook(f'du.load_data_mnist(64, data_dir="{real_mnist_dir}", device="cpu")')
    uses = execute_reporting_data(nb, tmp_path, real_data=True, timeout=300)
    assert uses[1] == [{"name": "MNIST", "verified_real": True, "smoke": False, "num_train": 60_000,
                        "num_test": 10_000}]  # fmt: skip
    assert real_data_problems(nb, uses, real_run=True, name="t.ipynb") == []
    assert nb.cells[1].outputs[0]["text"] == "True\n"
    smoke_uses = execute_reporting_data(nb, tmp_path, real_data=False, timeout=300)
    (problem,) = real_data_problems(nb, smoke_uses, real_run=False, name="t.ipynb")
    assert "ran in smoke mode" in problem and smoke_uses[1][0]["smoke"]
