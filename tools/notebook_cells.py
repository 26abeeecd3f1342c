"""The cells every course notebook starts with, generated from one template.

Cell 0 is the Colab set-up cell, identical in every notebook: on Colab it quietly installs d2l_utils from the
repository and the book's d2l package without its old pins, and says in one line if that fails; anywhere else
it does nothing. Cell 1 is the notebook's title line with its own "Open in Colab" badge. The repository's
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
    """The address that opens ``notebook`` (a path under notebooks/) on Colab."""
    return f"https://colab.research.google.com/github/{_github_path()}/blob/main/notebooks/{Path(notebook).name}"


def badge_markdown(notebook: Path) -> str:
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(notebook)})"


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
