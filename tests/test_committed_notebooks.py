"""What a committed notebook may show, and proof that nbval really compares the checked cells.

Outputs are committed only for cells whose results do not depend on the data (``# NBVAL_CHECK_OUTPUT`` cells and
cells tagged ``keep-output``); those must be executed (nbval skips a checked cell without an execution count)
and must not show synthetic data, machine paths or errors. Figures travel inside the notebook as cell
attachments made from img/, so they render where a notebook is opened alone (Colab, GitHub, the course's lab).
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools.build_notebooks import (
    ATTACHMENT_PREFIX,
    CHECK_MARKER,
    FORBIDDEN_OUTPUT,
    embed_figures,
    image_targets,
    is_web_address,
    keeps_output,
)

ROOT = Path(__file__).resolve().parents[1]
# The chapters and their solutions notebooks (notebooks/solutions/).
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))


def _ids(paths):
    return [p.relative_to(ROOT / "notebooks").as_posix() for p in paths]


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
    assert checked, "a chapter or solutions notebook should check at least one output"
    for cell in checked:
        assert cell.execution_count is not None, f"checked cell without execution_count: {cell.source[:60]!r}"
        assert cell.outputs, f"checked cell committed without output: {cell.source[:60]!r}"


# Targets of ordinary Markdown links [text](target) and of HTML href/src attributes.
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)|\b(?:href|src)=[\"']([^\"']+)")


def _markdown_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [(index, cell) for index, cell in enumerate(nb.cells) if cell.cell_type == "markdown"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_images_are_attachments_or_web_addresses(path):
    """A local image path is broken on Colab and GitHub, and ../ leaves the folder the course's lab serves."""
    for index, cell in _markdown_cells(path):
        for target in image_targets(cell.source):
            assert target.startswith(ATTACHMENT_PREFIX) or is_web_address(target), f"cell {index} shows {target}"
        for md_target, html_target in LINK.findall(cell.source):
            target = md_target or html_target
            inside = (path.parent / target).resolve().is_relative_to(ROOT / "notebooks")
            assert is_web_address(target) or (inside and not target.startswith("/")), f"cell {index} links {target}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_attached_figures_are_the_current_img_files(path):
    """Every attachment:NAME is embedded, byte for byte the figure in img/ (rebuild after regenerating figures)."""
    for index, cell in _markdown_cells(path):
        for target in image_targets(cell.source):
            if not target.startswith(ATTACHMENT_PREFIX):
                continue
            name = target.removeprefix(ATTACHMENT_PREFIX)
            stored = cell.get("attachments", {}).get(name, {})
            assert stored, f"cell {index}: attachment {name} missing; run tools/build_notebooks.py --figures-only"
            (data,) = stored.values()
            expected = (ROOT / "img" / name).read_bytes()
            assert base64.b64decode(data) == expected, f"cell {index}: {name} differs from img/{name}; rebuild"


def _notebook_with_markdown(source):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(source)])


def test_build_embeds_a_figure_and_drops_unused_attachments():
    nb = _notebook_with_markdown("![LeNet](attachment:lenet_architecture.png)")
    nb.cells[0].attachments = {"old.png": {"image/png": "AAAA"}}
    cell = embed_figures(nb, "x.ipynb").cells[0]
    assert list(cell.attachments) == ["lenet_architecture.png"]
    png = base64.b64decode(cell.attachments["lenet_architecture.png"]["image/png"])
    assert png == (ROOT / "img" / "lenet_architecture.png").read_bytes()
    nbformat.validate(nb)


@pytest.mark.parametrize(
    "source, message",
    [
        ("![x](attachment:no_such_figure.png)", "img/no_such_figure.png, which does not exist"),
        ("![x](../img/lenet_architecture.png)", "is a local file"),
        ('<img src="img/lenet_architecture.png">', "is a local file"),
    ],
)
def test_build_refuses_missing_figures_and_local_images(source, message):
    with pytest.raises(SystemExit, match=re.escape(message)):
        embed_figures(_notebook_with_markdown(source), "x.ipynb")


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
