"""course.py as a command-line tool: help that installs nothing, named mistakes, set-up messages a learner can act on.

Nothing here uses the network or installs anything. Help and wrong commands run the real file in an empty folder
(so any ``.venv`` it made would show); the PyTorch build of a ``.venv`` is read by the real probe from fake
``torch`` packages put first on ``PYTHONPATH``; pip's output filter runs the real pip where it needs no index, and
a stand-in ``pip`` module elsewhere.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import course

ROOT = Path(__file__).resolve().parents[1]


def _course_in_empty_folder(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "course.py").write_text((ROOT / "course.py").read_text())
    return subprocess.run(
        [sys.executable, "course.py", *args], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )


# --- help and wrong commands -----------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [[], ["--help"], ["-h"], ["help"], ["setup", "--help"]])
def test_help_is_short_plain_usage_and_creates_nothing(tmp_path, args):
    result = _course_in_empty_folder(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    usage = result.stdout
    assert usage.startswith("Usage: python3 course.py COMMAND")
    for part in ("lab ", "test ", "setup ", "--torch auto|cpu|cuda", "-h, --help", "Examples:", "course.py test -k"):
        assert part in usage
    assert "``" not in usage and ":func:" not in usage, "plain text, not the module's reST docstring"
    assert len(usage.splitlines()) <= 30 and max(map(len, usage.splitlines())) <= 120
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course.py"], "no .venv, nothing else"


@pytest.mark.bad_input
def test_an_unknown_command_is_named_with_the_list_of_commands(tmp_path):
    result = _course_in_empty_folder(tmp_path, "tset")
    assert result.returncode == 2
    assert "unknown command 'tset' (did you mean `test`?)" in result.stderr
    assert "Commands: lab, test, setup" in result.stderr and "--help" in result.stderr
    assert result.stdout == "" and not (tmp_path / ".venv").exists()


@pytest.mark.bad_input
def test_an_option_before_the_command_says_the_command_comes_first(tmp_path):
    result = _course_in_empty_folder(tmp_path, "--torch", "cpu", "setup")
    assert result.returncode == 2
    assert "'--torch' is not a command (the command comes first)" in result.stderr
    assert not (tmp_path / ".venv").exists()


@pytest.mark.parametrize(("command", "tool"), [("lab", "JupyterLab"), ("test", "pytest")])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_lab_or_test_help_before_setup_says_setup_runs_first_and_installs_nothing(tmp_path, command, tool, flag):
    result = _course_in_empty_folder(tmp_path, command, flag)
    assert result.returncode == 0, result.stderr
    assert f"would list {tool}'s own options, but set-up has not run yet" in result.stdout
    assert "Nothing was installed" in result.stdout and "python3 course.py setup" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course.py"]


@pytest.mark.parametrize(("command", "expected"), [("lab", "jupyter lab"), ("test", "usage: ")])
def test_lab_or_test_help_after_setup_is_the_tools_own(monkeypatch, capfd, command, expected):
    """With the environment set up, the help goes to JupyterLab or pytest themselves (here: this Python's)."""
    monkeypatch.setattr(course, "setup_is_current", lambda: True)
    monkeypatch.setattr(course, "setup", lambda torch_choice="auto": Path(sys.executable))
    monkeypatch.setattr(course, "running_server", lambda python: pytest.fail("help must not look for servers"))
    assert course.main([command, "--help"]) == 0
    out = capfd.readouterr().out
    assert f"`python3 course.py {command}` passes its other arguments to" in out
    assert expected in out.lower()


# --- set-up messages -------------------------------------------------------------------------------------------


def test_the_sizes_in_the_messages_are_the_measured_ones_in_the_setup_guide():
    readme = (ROOT / "docs" / "SETUP.md").read_text()
    cuda_row = re.search(r"^\| usual Linux build \(CUDA\) \|.*\| ([\d.]+ GB) \| [^|]+\|$", readme, re.M)
    cpu_row = re.search(r"^\| CPU-only \|.*\| ([\d.]+ GB) \| [^|]+\|$", readme, re.M)
    assert (cuda_row.group(1), cpu_row.group(1)) == (course.VENV_SIZE_CUDA, course.VENV_SIZE_CPU)


def test_unreachable_cpu_index_says_what_the_usual_build_costs_and_how_to_get_cpu_later(monkeypatch, capsys):
    monkeypatch.setattr(course, "unreachable_reason", lambda url, timeout=5: "timed out")
    monkeypatch.setattr(course.platform, "system", lambda: "Linux")
    assert course.install_cpu_torch(lambda *args: pytest.fail("no pip run may wait on that index")) is False
    out = capsys.readouterr().out
    assert "cannot be reached (timed out)" in out
    assert f"about {course.VENV_SIZE_CUDA} instead of {course.VENV_SIZE_CPU}" in out
    assert "delete .venv, then run `python3 course.py setup --torch cpu`" in out


@pytest.mark.parametrize("system", ["Windows", "Darwin"])
def test_unreachable_cpu_index_elsewhere_says_nothing_is_lost(monkeypatch, capsys, system):
    monkeypatch.setattr(course, "unreachable_reason", lambda url, timeout=5: "offline")
    monkeypatch.setattr(course.platform, "system", lambda: system)
    course.install_cpu_torch(lambda *args: None)
    out = capsys.readouterr().out
    assert f"on {system} that build has no CUDA either" in out and "GB" not in out


def _fake_torch(folder: Path, version: str, cuda: str | None) -> Path:
    """A package folder holding only what the build probe reads: torch's metadata and torch/version.py."""
    (folder / "torch").mkdir(parents=True)
    (folder / "torch" / "__init__.py").write_text("raise ImportError('the probe must not import torch')\n")
    (folder / "torch" / "version.py").write_text(
        f"from typing import Optional\n__version__ = {version!r}\ncuda: Optional[str] = {cuda!r}\nhip = None\n"
    )
    info = folder / f"torch-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\n")
    return folder


def _first_on_path(monkeypatch, folder: Path) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]))


def test_the_build_probe_reads_this_environments_torch():
    import torch

    assert course.installed_torch(Path(sys.executable)) == (str(torch.__version__), torch.version.cuda is not None)


@pytest.mark.parametrize(
    ("version", "cuda", "expected"),
    [("2.13.0+cpu", None, ("2.13.0+cpu", False)), ("2.15.0", "12.8", ("2.15.0", True))],
    ids=["cpu-index", "usual-linux"],
)
def test_the_build_probe_tells_cpu_from_cuda_without_importing_torch(monkeypatch, tmp_path, version, cuda, expected):
    _first_on_path(monkeypatch, _fake_torch(tmp_path, version, cuda))
    assert course.installed_torch(Path(sys.executable)) == expected


def test_the_build_probe_finds_no_torch(tmp_path):
    bare = tmp_path / "python"
    bare.write_text(f'#!/bin/sh\nexec {sys.executable} -I -S "$@"\n')  # no site-packages: no torch
    bare.chmod(0o755)
    if os.name == "nt":
        pytest.skip("the stand-in interpreter is a POSIX shell script")
    assert course.installed_torch(bare) is None


def _current_venv(monkeypatch, tmp_path: Path) -> None:
    """A .venv whose Python is this one and whose set-up stamp is current, so set-up has nothing to install."""
    monkeypatch.setattr(course, "VENV", tmp_path / ".venv")
    python = course.venv_python()
    python.parent.mkdir(parents=True)
    python.symlink_to(sys.executable)
    (course.VENV / ".course-setup").write_text(course._fingerprint())
    monkeypatch.setattr(course, "run_pip", lambda *args: pytest.fail("nothing to install"))


@pytest.mark.skipif(os.name == "nt", reason="the stand-in .venv links to this Python")
@pytest.mark.parametrize(
    ("choice", "version", "cuda", "build"),
    [
        ("cpu", "2.15.0", "12.8", "the build with CUDA libraries"),
        ("cuda", "2.13.0+cpu", None, "PyTorch's CPU-only build"),
    ],
)
def test_a_torch_choice_the_venv_does_not_have_says_so_and_how_to_switch(
    monkeypatch, tmp_path, capsys, choice, version, cuda, build
):
    _current_venv(monkeypatch, tmp_path)
    _first_on_path(monkeypatch, _fake_torch(tmp_path / "site", version, cuda))
    assert course.main(["setup", "--torch", choice]) == 0
    out = capsys.readouterr().out
    assert f"This .venv already has PyTorch {version}, {build}." in out
    assert f"--torch {choice} chooses the build only for a new .venv" in out
    assert "rm -rf .venv" in out and f"`python3 course.py setup --torch {choice}`" in out


@pytest.mark.skipif(os.name == "nt", reason="the stand-in .venv links to this Python")
@pytest.mark.parametrize(("choice", "version", "cuda"), [("cpu", "2.13.0+cpu", None), ("cuda", "2.15.0", "12.8")])
def test_a_torch_choice_the_venv_already_has_is_quiet(monkeypatch, tmp_path, capsys, choice, version, cuda):
    _current_venv(monkeypatch, tmp_path)
    _first_on_path(monkeypatch, _fake_torch(tmp_path / "site", version, cuda))
    assert course.main(["setup", "--torch", choice]) == 0
    assert capsys.readouterr().out == ""


# --- pip's output ----------------------------------------------------------------------------------------------

_MARKER_LINE = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if ";" in line]


@pytest.mark.skipif(not _MARKER_LINE, reason="requirements.txt has no line for other systems")
def test_pips_real_line_about_other_systems_requirements_is_recognised_as_noise():
    """Real pip, no index: the marker line of requirements.txt, which never matches the machine running the tests
    (Intel Macs only), makes pip say it ignores it, and only that."""
    requirement = _MARKER_LINE[0].split("#", 1)[0].strip()
    pip = [sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--disable-pip-version-check"]
    result = subprocess.run([*pip, requirement], capture_output=True, text=True, timeout=120)
    ignoring = [line for line in result.stdout.splitlines() if line.startswith("Ignoring ")]
    assert ignoring, result.stdout + result.stderr
    assert all(course.PIP_NOISE.match(line) for line in ignoring)


_FAKE_PIP = """
import sys
print("Collecting numpy>=1.24")
print("Ignoring numpy: markers 'sys_platform == \\"darwin\\"' don't match your environment")
print("Requirement already satisfied: pandas>=2.0 in ./.venv/lib/python3.12/site-packages (3.1.0)")
print("  Requirement already satisfied: tzdata in ./.venv/lib/python3.12/site-packages (from pandas)")
print("Successfully installed numpy-2.4.0")
print("ERROR: Could not find a version that satisfies the requirement torch>=99", file=sys.stderr)
sys.exit(1 if "fail" in sys.argv else 0)
"""


@pytest.fixture
def fake_pip(tmp_path, monkeypatch):
    """``python -m pip`` that prints what pip prints during set-up (found first on PYTHONPATH)."""
    (tmp_path / "pip").mkdir()
    (tmp_path / "pip" / "__init__.py").write_text("")
    (tmp_path / "pip" / "__main__.py").write_text(textwrap.dedent(_FAKE_PIP))
    _first_on_path(monkeypatch, tmp_path)


def test_pip_lines_a_learner_cannot_act_on_are_hidden_the_rest_shown(fake_pip, capfd):
    course.run_pip(Path(sys.executable), "-r", "requirements.txt")
    out, err = capfd.readouterr()
    assert out.splitlines() == ["Collecting numpy>=1.24", "Successfully installed numpy-2.4.0"]
    assert "ERROR: Could not find a version" in err, "pip's errors stay visible"


@pytest.mark.bad_input
def test_a_failing_pip_still_fails_set_up_with_its_command(fake_pip, capfd):
    with pytest.raises(subprocess.CalledProcessError) as failed:
        course.run_pip(Path(sys.executable), "fail")
    assert failed.value.returncode == 1 and failed.value.cmd[-3:] == ["install", "--disable-pip-version-check", "fail"]
    assert "ERROR: Could not find a version" in capfd.readouterr().err


# --- a test filter that selects nothing ------------------------------------------------------------------------


def test_the_filters_that_choose_tests_are_found_among_pytests_arguments():
    args = ["-k", "lenet", "-m", "bad_input", "tests/test_course.py::test_x", "-kshape", "--maxfail", "1", "-x"]
    assert course.selection_filters(args) == [
        "-k 'lenet'",
        "-m 'bad_input'",
        "tests/test_course.py::test_x",
        "-k 'shape'",
    ]


@pytest.mark.bad_input
def test_a_filter_that_selects_nothing_is_named_with_a_hint(monkeypatch, capfd):
    """The real pytest on one small test file (one process instead of two workers, to keep it short)."""
    monkeypatch.setattr(course, "setup", lambda torch_choice="auto": Path(sys.executable))
    monkeypatch.setattr(course, "PYTEST_ARGS", [])
    code = course.main(["test", "-k", "nothing_matches", "tests/test_screenshot_lab.py"])
    assert code == course.PYTEST_NO_TESTS == 5, "the exit code stays pytest's"
    err = capfd.readouterr().err
    assert "No test ran: `-k 'nothing_matches'` with `tests/test_screenshot_lab.py` selected none" in err
    assert "python3 course.py test --collect-only -q" in err


@pytest.mark.bad_input
def test_an_unknown_setup_option_is_refused_with_the_valid_ones(tmp_path):
    result = _course_in_empty_folder(tmp_path, "setup", "--no-such-option")
    assert result.returncode == 2
    assert "unknown option '--no-such-option'" in result.stderr and "--torch auto|cpu|cuda, -h/--help" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course.py"], "nothing set up"


@pytest.mark.bad_input
@pytest.mark.parametrize("command", ["test", "lab"])
@pytest.mark.parametrize("mode", [0o755, 0o644], ids=["empty", "not-executable"])
def test_a_broken_venv_python_says_to_delete_the_venv(tmp_path, command, mode):
    python = tmp_path / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    python.parent.mkdir(parents=True)
    python.write_bytes(b"")  # e.g. a copy cut off half-way
    python.chmod(mode)
    result = _course_in_empty_folder(tmp_path, command)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{tmp_path / '.venv'} is broken: its Python {python} cannot be run" in result.stderr
    assert (
        "Delete" in result.stderr and "rm -rf .venv" in result.stderr and "run the same command again" in result.stderr
    )
