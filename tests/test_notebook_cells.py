"""Colab: every notebook starts with the current set-up cell and its own badge, all from one template.

The template is tools/notebook_cells.py; the repository's address is written once, in pyproject.toml.
``python tools/build_notebooks.py`` refreshes the header cells when the template or the address changes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import course  # noqa: E402
from tools.notebook_cells import (  # noqa: E402
    NOTEBOOKS,
    RUN_ALL_COST,
    badge_markdown,
    colab_badge,
    colab_url,
    header_is_current,
    repository_url,
    setup_source,
)

NOTEBOOK_PATHS = sorted(NOTEBOOKS.glob("*.ipynb")) + sorted((NOTEBOOKS / "solutions").glob("*.ipynb"))
REBUILD = "run `python tools/build_notebooks.py {}` to refresh its header cells"


def test_there_are_notebooks():
    assert NOTEBOOK_PATHS, "notebooks/ holds no notebooks"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.relative_to(NOTEBOOKS).as_posix())
def test_notebook_starts_with_the_current_header(path):
    nb = nbformat.read(path, as_version=4)
    assert header_is_current(nb, path), REBUILD.format(path.relative_to(ROOT))
    assert nb.cells[0].outputs == [] and nb.cells[0].execution_count is None, "the set-up cell is saved unexecuted"
    assert colab_url(path).endswith(f"/blob/main/{path.relative_to(ROOT).as_posix()}")


def test_every_chapter_says_what_run_all_costs_and_its_solutions_notebook_does_not():
    chapters = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert sorted(RUN_ALL_COST) == [p.stem for p in chapters], "one Run-all cost per chapter in RUN_ALL_COST"
    for path in chapters:
        line = badge_markdown(path).splitlines()[-1]
        assert line.startswith("**Run all** on a 2-core CPU: about ") and "; on a GPU: " in line
        assert "Run all" not in badge_markdown(NOTEBOOKS / "solutions" / path.name)


@pytest.mark.bad_input
def test_a_chapter_without_a_measured_run_all_cost_is_named_with_the_fix():
    with pytest.raises(KeyError, match="99_new: no Run-all cost in tools/notebook_cells.py RUN_ALL_COST"):
        badge_markdown(NOTEBOOKS / "99_new.ipynb")


def test_setup_cell_is_identical_everywhere():
    sources = {nbformat.read(path, as_version=4).cells[0].source for path in NOTEBOOK_PATHS}
    assert sources == {setup_source()}


def _project_files() -> list[Path]:
    """Files git tracks or would track (ignored ones left out); without git, every file outside ignored folders."""
    if shutil.which("git") and (ROOT / ".git").exists():
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\0")
        return [ROOT / name for name in listed if name and (ROOT / name).is_file()]
    skip = {".git", ".venv", "venv", "data", "__pycache__", ".ruff_cache", ".pytest_cache", ".ipynb_checkpoints"}
    return [p for p in ROOT.rglob("*") if p.is_file() and not skip & set(p.relative_to(ROOT).parts[:-1] + (p.name,))]


def test_repository_address_is_written_in_one_place():
    """Only pyproject.toml holds it; README.md and the generated notebooks show links built from it."""
    github_path = repository_url().removeprefix("https://github.com/").lower()
    allowed = {ROOT / "pyproject.toml", ROOT / "README.md", *NOTEBOOK_PATHS}
    offenders = []
    for path in _project_files():
        if path in allowed or path.suffix in {".png", ".jpg", ".gz", ".pt", ".svg", ".pdf"}:
            continue
        try:
            text = path.read_text(encoding="utf-8").lower()
        except (UnicodeDecodeError, OSError):
            continue
        if github_path in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == [], f"the repository's address is written outside pyproject.toml: {offenders}"


def test_readme_links_every_notebook_to_colab():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [path.name for path in sorted(NOTEBOOKS.glob("*.ipynb")) if colab_badge(path) not in readme]
    assert missing == [], f"README.md lacks the Colab badge of {missing}"


def _run_setup_cell(monkeypatch, on_colab: bool, returncode: int = 0) -> list[tuple[list[str], dict]]:
    calls = []

    def fake_run(args, **kwargs):
        calls.append((list(args), kwargs))
        return subprocess.CompletedProcess(args, returncode)

    monkeypatch.setattr(subprocess, "run", fake_run)
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(setup_source(), "<colab-setup-cell>", "exec"), {"__name__": "__main__"})
    return calls


def test_setup_cell_does_nothing_outside_colab(monkeypatch, capsys):
    assert _run_setup_cell(monkeypatch, on_colab=False) == []
    assert capsys.readouterr() == ("", "")


def test_setup_cell_installs_the_course_quietly_on_colab(monkeypatch, capsys):
    calls = _run_setup_cell(monkeypatch, on_colab=True)
    pip = [sys.executable, "-m", "pip", "install", "-q"]
    assert calls == [
        ([*pip, f"d2l_utils@git+{repository_url()}"], {"capture_output": True}),
        ([*pip, "--no-deps", course.BOOK_PACKAGE], {"capture_output": True}),
    ]
    assert capsys.readouterr() == ("", "")


def test_setup_cell_reports_a_failed_install_in_one_line(monkeypatch, capsys):
    calls = _run_setup_cell(monkeypatch, on_colab=True, returncode=1)
    assert len(calls) == 1, "after the first failure the cell stops instead of piling up errors"
    out, err = capsys.readouterr()
    assert err == "" and out.count("\n") == 1
    assert out.startswith("Set-up failed: `pip install d2l_utils@git+") and "run it in a cell" in out


def test_setup_cell_is_short():
    lines = setup_source().splitlines()
    assert len(lines) <= 10 and max(map(len, lines)) <= 120
