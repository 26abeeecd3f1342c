"""The cells every course notebook starts with, generated from one template.

Cell 0 is the Colab set-up cell, identical in every notebook: on Colab it quietly installs d2l_utils from the
repository and the book's d2l package without its old pins, and says in one line if that fails; anywhere else
it does nothing. Cell 1 is the notebook's own "Open in Colab" badge and, for a chapter, one line saying what Run
all costs on a 2-core CPU and on a GPU (RUN_ALL_COST below, the one place to edit those figures). The repository's
address is read from ``pyproject.toml`` (``[project.urls] Repository``), the one place it is written.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from course import BOOK_PACKAGE  # noqa: E402 (the book's pin, written once in the set-up runner)

NOTEBOOKS = ROOT / "notebooks"
SETUP_TAG = "colab-setup"
# What a chapter's Run all costs (without its solutions), on a 2-core CPU and on a GPU. 01-05 and 14: a real Run
# all (D2L_SMOKE=0, OMP_NUM_THREADS=2) timed on 2026-12-04 on the course's 2-core Intel Xeon under load from other
# jobs (load average 2.6-13), rounded up. 06-13b: the sum of the chapter's real training runs as recorded on
# 2026-12-01 on that machine (each chapter's stored run record, benchmarks/real_mnist_plans.json and
# benchmarks/RESULTS.md), plus about a minute for the rest, rounded up.
RUN_ALL_COST = {
    "01_from_fully_connected_to_convolutions": ("about 1 min (16 s, measured 2026-12-04 under load)", "not measured"),
    "02_convolutions_for_images": ("about 1 min (23 s, measured 2026-12-04 under load)", "not measured"),
    "03_padding_and_stride": ("about 1 min (40 s, measured 2026-12-04 under load)", "not measured"),
    "04_multiple_channels": ("about 1 min (37 s, measured 2026-12-04 under load)", "not measured"),
    "05_pooling": ("about 1 min (56 s, measured 2026-12-04 under load)", "not measured"),
    "06_lenet": ("about 11 min (two 10-epoch LeNets at its stored run's 2,105 examples/s, 2026-12-01)", "not measured"),
    "06b_lenet5_1998": (
        "about 42 min (its stored runs, 2026-12-01: LeNet-5 34.1 min, the other recipes 6 min)",
        "not measured",
    ),
    "07_alexnet": (
        "about 20 min (its CPU plan trained in 18.7 min, 2026-12-01; the book's 10 epochs: 3.1 hours)",
        "not measured",
    ),
    "08_vgg": (
        "about 40 min (its CPU plan: 38.7 min, 2026-12-01, under load; the book's run: 4.2 hours)",
        "not measured",
    ),
    "09_nin": (
        "about 19 min (its CPU plan trained in 17.4 min, 2026-12-01; the book's run: 3.3 hours)",
        "not measured",
    ),
    "10_googlenet": (
        "about 16 min (its CPU plan trained in 15.0 min, 2026-12-01; the book's run: 1.3 hours)",
        "not measured",
    ),
    "11_batch_norm": ("about 5 min (its CPU plan 1.8 min and its learning-rate sweep, 2026-12-01)", "not measured"),
    "12_resnet": (
        "about 39 min (its CPU plan: 37.6 min, 2026-12-01, under load 7; 3 min on idle cores)",
        "not measured",
    ),
    "13_densenet": (
        "about 21 min (its CPU plan: 19.8 min, 2026-12-01, under load 5; 3 min on idle cores)",
        "not measured",
    ),
    "13b_designing_cnns": (
        "about 28 min (its 53 networks trained in 25 min, 2026-12-01, under load 9-14)",
        "not measured",
    ),
    "14_which_cnn": (
        "about 8 min (7.5 min, measured 2026-12-04 under load 8-13; most of it the speed probe)",
        "not measured",
    ),
}
BADGE_TAG = "colab-badge"


def repository_url() -> str:
    """The course repository's address, from pyproject.toml."""
    match = re.search(r'^Repository\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    if not match:
        raise RuntimeError("pyproject.toml has no [project.urls] Repository entry")
    return match.group(1).rstrip("/")


def _github_path() -> str:
    return repository_url().removeprefix("https://github.com/")


def setup_source() -> str:
    """Source of the Colab set-up cell (the same text in every notebook).

    Quiet: pip's output is captured. When an install fails (no network, the repository not published yet)
    the cell prints one line naming the command to run for pip's own message, instead of a traceback.
    """
    return f"""# On Colab: install the course helpers and the book's d2l (without its old pins). Elsewhere: nothing.
import subprocess
import sys

if "google.colab" in sys.modules:
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    for spec in ["d2l_utils@git+{repository_url()}", "--no-deps {BOOK_PACKAGE}"]:
        if subprocess.run([*pip, *spec.split()], capture_output=True).returncode:
            print(f"Set-up failed: `pip install {{spec}}` did not work; run it in a cell to see pip's message.")
            break"""


def colab_url(notebook: Path) -> str:
    """The address that opens ``notebook`` (a chapter, or a companion in notebooks/solutions/) on Colab."""
    path = Path(notebook)
    where = f"solutions/{path.name}" if path.parent.name == "solutions" else path.name
    return f"https://colab.research.google.com/github/{_github_path()}/blob/main/notebooks/{where}"


def colab_badge(notebook: Path) -> str:
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(notebook)})"


def run_all_line(notebook: Path) -> str:
    """What Run all costs for a chapter, from RUN_ALL_COST; a clear error for a chapter without an entry."""
    stem = Path(notebook).stem
    if stem not in RUN_ALL_COST:
        raise KeyError(f"{stem}: no Run-all cost in tools/notebook_cells.py RUN_ALL_COST; measure it and add it there")
    cpu, gpu = RUN_ALL_COST[stem]
    return f"**Run all** on a 2-core CPU: {cpu}; on a GPU: {gpu}. It runs no solution (they have their own notebook)."


def badge_markdown(notebook: Path) -> str:
    """The badge cell: the "Open in Colab" badge, and for a chapter the one line on what Run all costs."""
    badge = colab_badge(notebook)
    return badge if Path(notebook).parent.name == "solutions" else f"{badge}\n\n{run_all_line(notebook)}"


def setup_cell() -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(setup_source(), id=SETUP_TAG)
    cell.metadata["tags"] = [SETUP_TAG]
    return cell


def badge_cell(notebook: Path) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(badge_markdown(notebook), id=BADGE_TAG)
    cell.metadata["tags"] = [BADGE_TAG]
    return cell


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def with_header_cells(nb: nbformat.NotebookNode, notebook: Path) -> nbformat.NotebookNode:
    """Return ``nb`` with the current set-up and badge cells first (replacing older versions of them)."""
    body = [c for c in nb.cells if not {SETUP_TAG, BADGE_TAG} & set(_tags(c))]
    nb.cells = [setup_cell(), badge_cell(notebook), *body]
    nb.nbformat, nb.nbformat_minor = 4, 5
    for index, cell in enumerate(nb.cells):
        cell.setdefault("id", f"cell-{index}")
    return nb


def header_is_current(nb: nbformat.NotebookNode, notebook: Path) -> bool:
    """True when the notebook starts with exactly the cells the template makes now."""
    if len(nb.cells) < 2:
        return False
    first, second = nb.cells[0], nb.cells[1]
    return (
        first.cell_type == "code"
        and first.source == setup_source()
        and SETUP_TAG in _tags(first)
        and second.cell_type == "markdown"
        and second.source == badge_markdown(notebook)
    )
