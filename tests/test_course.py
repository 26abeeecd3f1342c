"""course.py: old Pythons refused up front, which PyTorch build set-up picks, the fallback, and Ctrl-C.

Nothing here uses the network or installs anything: the CPU index probe, pip and the GPU check are replaced where
a test needs a given answer, and the Ctrl-C test runs a small child process in place of JupyterLab.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import urllib.error
from pathlib import Path

import pytest

import course

ROOT = Path(__file__).resolve().parents[1]
OLD_PYTHONS = ("python3.6", "python3.7", "python3.8", "python3.9")


# --- an unsupported Python is refused before anything happens ---------------------------------------------------


def test_minimum_python_is_the_one_pyproject_requires():
    requires = re.search(r'^requires-python = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert requires == f">={course.MIN_PYTHON[0]}.{course.MIN_PYTHON[1]}"


def test_message_names_the_python_found_the_one_needed_and_how_to_get_it():
    message = course.unsupported_python_message((3, 9, 18, "final", 0), "/usr/bin/python3")
    assert "Python 3.10 or newer" in message and "/usr/bin/python3 is Python 3.9.18" in message
    for way in ("https://www.python.org/downloads/", "py -3.12 course.py lab", "brew install", "conda create"):
        assert way in message
    assert course.unsupported_python_message((3, 10, 0), "python3") is None
    assert course.unsupported_python_message((4, 0, 0), "python3") is None


def test_old_python_exits_with_the_message(capsys):
    with pytest.raises(SystemExit) as stop:
        course.exit_if_unsupported_python((3, 9, 6), "python3")
    assert stop.value.code == 1
    assert "Python 3.9.6" in capsys.readouterr().err
    course.exit_if_unsupported_python((3, 10, 0), "python3")  # a supported one passes silently


def test_the_file_parses_on_python_3_6():
    """Old interpreters must reach the version check instead of failing on newer syntax."""
    ast.parse((ROOT / "course.py").read_text(), feature_version=(3, 6))


def _old_interpreters() -> list[str]:
    found = []
    for name in OLD_PYTHONS:
        pyenv = sorted(Path.home().glob(f".pyenv/versions/{name[6:]}.*/bin/{name}"))
        path = str(pyenv[-1]) if pyenv else shutil.which(name)
        if path:
            found.append(path)
    return found


@pytest.mark.parametrize("interpreter", _old_interpreters() or [None])
def test_a_real_old_python_creates_no_venv(tmp_path, interpreter):
    if interpreter is None:
        pytest.skip(f"none of {', '.join(OLD_PYTHONS)} is installed here; the tests above cover the check")
    (tmp_path / "course.py").write_text((ROOT / "course.py").read_text())
    result = subprocess.run([interpreter, "course.py", "lab"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "needs Python 3.10 or newer" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / ".venv").exists()


# --- which PyTorch build -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "system", "gpu", "cpu_index"),
    [
        ("auto", "Linux", False, True),  # the case the CPU wheels are for
        ("auto", "Linux", True, False),
        ("auto", "Windows", False, False),  # the normal index's build has no CUDA libraries there
        ("auto", "Darwin", False, False),
        ("cpu", "Linux", True, True),
        ("cpu", "Windows", False, True),
        ("cuda", "Linux", False, False),
    ],
)
def test_cpu_index_is_used_on_linux_without_an_nvidia_gpu_unless_forced(choice, system, gpu, cpu_index):
    assert course.wants_cpu_index(choice, system=system, has_nvidia_gpu=gpu) is cpu_index


def test_torch_flag_is_taken_out_of_the_arguments_jupyterlab_gets():
    assert course.split_torch_choice(["--no-browser", "--torch", "cpu", "--port", "8890"]) == (
        "cpu",
        ["--no-browser", "--port", "8890"],
    )
    assert course.split_torch_choice(["--torch=cuda"]) == ("cuda", [])
    assert course.split_torch_choice(["-k", "lenet"]) == ("auto", ["-k", "lenet"])
    with pytest.raises(SystemExit, match="auto, cpu, cuda"):
        course.split_torch_choice(["--torch", "gpu"])
    with pytest.raises(ValueError, match="auto, cpu, cuda"):
        course.wants_cpu_index("gpu")


def test_cpu_step_installs_exactly_the_torch_lines_of_requirements_txt():
    lines = course.torch_requirements()
    assert [line.split(">")[0] for line in lines] == ["torch", "torchvision"]
    assert set(lines) <= set((ROOT / "requirements.txt").read_text().splitlines())
    assert course.CPU_INDEX.endswith("/whl/cpu")


# --- the probe and the fallback --------------------------------------------------------------------------------


def test_probe_is_one_short_head_request(monkeypatch):
    seen = {}

    class Answer:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(request, timeout):
        seen.update(method=request.get_method(), url=request.full_url, timeout=timeout)
        return Answer()

    monkeypatch.setattr(course.urllib.request, "urlopen", fake_urlopen)
    assert course.unreachable_reason("https://example.invalid/whl/cpu/torch/") is None
    assert seen == {"method": "HEAD", "url": "https://example.invalid/whl/cpu/torch/", "timeout": 5}


@pytest.mark.parametrize(
    "error",
    [urllib.error.URLError("[Errno -2] Name or service not known"), TimeoutError("timed out")],
    ids=["no-dns", "timeout"],
)
def test_probe_reports_why_an_index_is_unreachable(monkeypatch, error):
    def fail(request, timeout):
        raise error

    monkeypatch.setattr(course.urllib.request, "urlopen", fail)
    reason = course.unreachable_reason("https://example.invalid/")
    assert reason and ("Name or service" in reason or "timed out" in reason)


def test_probe_of_a_closed_local_port_fails_at_once():
    """A real request (no mock) to a port nothing listens on: refused, not an exception escaping set-up."""
    from tools.lab_server import free_port

    assert course.unreachable_reason(f"http://127.0.0.1:{free_port()}/whl/cpu/torch/", timeout=2) is not None


class FakePip:
    """Stands in for ``pip install``: records each call, optionally fails on the CPU index."""

    def __init__(self, fail_on_cpu_index: bool = False):
        self.calls: list[tuple[str, ...]] = []
        self.fail_on_cpu_index = fail_on_cpu_index

    def __call__(self, *args: str) -> None:
        self.calls.append(args)
        if self.fail_on_cpu_index and course.CPU_INDEX in args:
            raise subprocess.CalledProcessError(1, ["pip", "install", *args])


def test_reachable_cpu_index_installs_torch_from_it(monkeypatch, capsys):
    monkeypatch.setattr(course, "unreachable_reason", lambda url, timeout=5: None)
    pip = FakePip()
    assert course.install_cpu_torch(pip) is True
    assert pip.calls == [("--index-url", course.CPU_INDEX, *course.torch_requirements())]
    assert "CPU-only build" in capsys.readouterr().out


def test_unreachable_cpu_index_falls_back_and_says_so(monkeypatch, capsys):
    monkeypatch.setattr(course, "unreachable_reason", lambda url, timeout=5: "Name or service not known")
    pip = FakePip()
    assert course.install_cpu_torch(pip) is False
    assert pip.calls == [], "no pip run may wait on an index that did not answer"
    out = capsys.readouterr().out
    assert "cannot be reached (Name or service not known)" in out and "usual package index" in out


def test_failed_cpu_install_falls_back_and_says_so(monkeypatch, capsys):
    monkeypatch.setattr(course, "unreachable_reason", lambda url, timeout=5: None)
    assert course.install_cpu_torch(FakePip(fail_on_cpu_index=True)) is False
    assert "failed" in capsys.readouterr().out


def _fake_venv(monkeypatch, tmp_path, torch_installed: bool) -> list[list[str]]:
    """Point course.py at an empty .venv in tmp_path and record the pip commands set-up runs."""
    venv = tmp_path / ".venv"
    monkeypatch.setattr(course, "VENV", venv)
    course.venv_python().parent.mkdir(parents=True)
    course.venv_python().write_text("")
    commands: list[list[str]] = []

    def fake_run(command, **kwargs):
        commands.append([str(part) for part in command])
        return subprocess.CompletedProcess(command, 0 if torch_installed or "-c" not in command else 1)

    def fake_pip(python, *args):
        commands.append([str(python), "-m", "pip", "install", *args])

    monkeypatch.setattr(course.subprocess, "run", fake_run)
    monkeypatch.setattr(course, "run_pip", fake_pip)
    return commands


def _pip_installs(commands: list[list[str]]) -> list[list[str]]:
    return [command[command.index("install") + 1 :] for command in commands if "install" in command]


def test_setup_without_gpu_and_without_the_cpu_index_installs_the_usual_way(monkeypatch, tmp_path):
    commands = _fake_venv(monkeypatch, tmp_path, torch_installed=False)
    monkeypatch.setattr(course, "nvidia_gpu_present", lambda: False)
    monkeypatch.setattr(course.platform, "system", lambda: "Linux")
    monkeypatch.setattr(course, "unreachable_reason", lambda url, timeout=5: "offline")
    course.setup("auto")
    installs = _pip_installs(commands)
    assert [args[-1] for args in installs] == [str(ROOT / "requirements.txt"), str(ROOT), course.BOOK_PACKAGE]
    assert not any(course.CPU_INDEX in args for args in installs)
    assert course.setup_is_current()


def test_setup_chooses_torch_only_when_the_venv_has_none(monkeypatch, tmp_path):
    commands = _fake_venv(monkeypatch, tmp_path, torch_installed=True)
    monkeypatch.setattr(course, "unreachable_reason", lambda url, timeout=5: pytest.fail("must not probe"))
    course.setup("cpu")
    assert not any(course.CPU_INDEX in args for args in _pip_installs(commands))


# --- errors and Ctrl-C -------------------------------------------------------------------------------------------


def test_interrupted_or_failed_setup_ends_with_a_message_not_a_traceback(monkeypatch, capsys):
    def interrupted(torch_choice):
        raise KeyboardInterrupt

    def pip_failed(torch_choice):
        raise subprocess.CalledProcessError(1, ["python", "-m", "pip", "install", "-r", "requirements.txt"])

    monkeypatch.setattr(course, "setup", interrupted)
    assert course.main(["lab"]) == 130
    assert "Run the same command again" in capsys.readouterr().err
    monkeypatch.setattr(course, "setup", pip_failed)
    assert course.main(["setup"]) == 1
    assert "pip install -r requirements.txt` exited with code 1" in capsys.readouterr().err


_CHILD = """
import signal, sys, time
signal.signal(signal.SIGINT, lambda *_: (print("child: interrupted, shutting down", flush=True), sys.exit(3)))
print("ready", flush=True)
time.sleep(30)
"""

_PARENT = """
import sys
sys.path.insert(0, {root!r})
import course
sys.exit(course.run_in_foreground([sys.executable, "-c", {child!r}]))
"""


@pytest.mark.skipif(os.name == "nt", reason="process groups and SIGINT as a terminal sends them are POSIX")
def test_ctrl_c_reaches_the_child_only():
    """As a terminal does on Ctrl-C, send SIGINT to the whole process group: course.py and the child in it.

    The child (in place of JupyterLab) handles it and exits 3; course.py must wait for it, return its code and
    print nothing of its own (before, it raised KeyboardInterrupt and killed the child 0.25 s later).
    """
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT.format(root=str(ROOT), child=textwrap.dedent(_CHILD))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert parent.stdout.readline().strip() == "ready"
        os.killpg(parent.pid, signal.SIGINT)
        out, err = parent.communicate(timeout=20)
    finally:
        if parent.poll() is None:
            os.killpg(parent.pid, signal.SIGKILL)
    assert parent.returncode == 3
    assert "child: interrupted, shutting down" in out
    assert err == "", err
