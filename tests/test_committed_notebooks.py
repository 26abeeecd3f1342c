"""What a committed notebook may show, and proof that nbval really compares the checked cells.

Outputs are committed only for cells whose results do not depend on the data (``# NBVAL_CHECK_OUTPUT`` cells and
cells tagged ``keep-output``); those must be executed (nbval skips a checked cell without an execution count)
and must not show synthetic data, machine paths or errors.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools.build_notebooks import CHECK_MARKER, FORBIDDEN_OUTPUT, keeps_output

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _ids(paths):
    return [p.name for p in paths]


def test_course_has_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_only_trusted_cells_have_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if keeps_output(cell):
            text = "\n".join(str(o) for o in cell.outputs)
            assert not FORBIDDEN_OUTPUT.search(text), f"cell {index} shows synthetic data, a local path or a traceback"
            assert all(o.get("output_type") != "error" for o in cell.outputs), f"cell {index} holds an error"
        else:
            assert not cell.outputs, f"cell {index} has outputs but is neither checked nor tagged keep-output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_checked_cells_are_committed_executed(path):
    nb = nbformat.read(path, as_version=4)
    checked = [c for c in nb.cells if c.cell_type == "code" and CHECK_MARKER in c.source.splitlines()]
    assert checked, "a chapter notebook should check at least one output"
    for cell in checked:
        assert cell.execution_count is not None, f"checked cell without execution_count: {cell.source[:60]!r}"
        assert cell.outputs, f"checked cell committed without output: {cell.source[:60]!r}"


def _nbval(path: Path) -> subprocess.CompletedProcess:
    """Run nbval as the test command does, on one notebook outside the repository."""
    flags = ["--nbval-lax", "--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg")]
    command = [sys.executable, "-m", "pytest", "-q", "--color=no", "-p", "no:cacheprovider", *flags, str(path)]
    return subprocess.run(command, capture_output=True, text=True, cwd=path.parent, timeout=120)


@pytest.mark.parametrize(
    "stored, passes", [("torch.Size([1, 6, 28, 28])", True), ("torch.Size([1, 6, 14, 14])", False)]
)
def test_nbval_compares_checked_shapes(tmp_path, stored, passes):
    """Guard against vacuous checks: nbval passes the true stored shape and fails a stale one."""
    cell = nbformat.v4.new_code_cell(f"{CHECK_MARKER}\nimport torch\nprint(torch.zeros(1, 6, 28, 28).shape)")
    cell.execution_count = 1
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored + "\n")]
    path = tmp_path / "shape_check.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    run = _nbval(path)
    if passes:
        assert run.returncode == 0, run.stdout[-2000:]
    else:
        assert run.returncode == 1 and "Cell outputs differ" in run.stdout, run.stdout[-2000:]
