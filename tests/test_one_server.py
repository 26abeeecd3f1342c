"""One JupyterLab per course: ``course.py lab`` gives the address of the server already running for this clone.

Jupyter records each server it runs in its runtime folder (``jpserver-<pid>.json``: root, address, token, process).
A record counts when its root is this repository or a folder in it, its process exists and the server answers on
its status page; records of servers that died are removed. The unit tests write such records themselves, with a
small local HTTP server in place of JupyterLab; the last test starts a real JupyterLab, asks again, then kills it.
Nothing uses the network beyond 127.0.0.1.
"""

from __future__ import annotations

import http.server
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

import course

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools.lab_server import free_port, isolated_env, lab_command  # noqa: E402

STARTUP_TIMEOUT = 90  # seconds; as in test_launch_jupyter.py


class StatusServer:
    """Answers ``GET /api/status`` with 200 for the right token and 403 otherwise, as Jupyter's server does."""

    def __init__(self, token: str):
        expected = f"token {token}"

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the name http.server calls)
                ok = self.path == "/api/status" and self.headers.get("Authorization") == expected
                self.send_response(200 if ok else 403)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def status_server():
    server = StatusServer("t0ken")
    yield server
    server.close()


@pytest.fixture
def runtime_dir(tmp_path, monkeypatch):
    folder = tmp_path / "runtime"
    folder.mkdir()
    monkeypatch.setattr(course, "jupyter_runtime_dir", lambda python: folder)
    return folder


def _record(runtime_dir: Path, pid: int, port: int, root: Path = ROOT, token: str = "t0ken") -> Path:
    """Write what Jupyter writes for a server: jpserver-<pid>.json and the page that opens it."""
    path = runtime_dir / f"jpserver-{pid}.json"
    url = f"http://127.0.0.1:{port}/"
    info = {"base_url": "/", "pid": pid, "port": port, "root_dir": str(root), "token": token, "url": url}
    path.write_text(json.dumps(info))
    path.with_name(f"jpserver-{pid}-open.html").write_text("<html></html>")
    return path


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def lab_not_started(monkeypatch):
    monkeypatch.setattr(course, "setup", lambda torch_choice="auto": Path(sys.executable))
    monkeypatch.setattr(course, "run_in_foreground", lambda *a, **k: pytest.fail("a second server was started"))


def test_a_running_server_for_this_clone_is_given_instead_of_a_second(runtime_dir, status_server, lab_not_started):
    record = _record(runtime_dir, os.getpid(), status_server.port)
    found = course.running_server(Path(sys.executable))
    assert found["pid"] == os.getpid() and found["record_file"] == str(record)


def test_course_lab_prints_that_servers_address_and_exits_0(runtime_dir, status_server, lab_not_started, capsys):
    _record(runtime_dir, os.getpid(), status_server.port)
    assert course.main(["lab"]) == 0
    out = capsys.readouterr().out
    assert "already running" in out
    assert f"http://127.0.0.1:{status_server.port}/lab/tree/notebooks?token=t0ken" in out
    assert "Ctrl-C in its terminal" in out


def test_a_server_on_the_notebooks_folder_counts_too(runtime_dir, status_server):
    """As `jupyter lab notebooks` or an older course.py starts it."""
    _record(runtime_dir, os.getpid(), status_server.port, root=ROOT / "notebooks")
    assert course.running_server(Path(sys.executable)) is not None


def test_a_record_of_a_dead_server_is_removed_and_a_new_server_starts(runtime_dir, status_server, monkeypatch):
    record = _record(runtime_dir, _dead_pid(), status_server.port)
    started = []
    monkeypatch.setattr(course, "setup", lambda torch_choice="auto": Path(sys.executable))
    monkeypatch.setattr(course, "run_in_foreground", lambda command, **kwargs: started.append(command) or 0)
    assert course.main(["lab", "--no-browser"]) == 0
    assert started and started[0][2:4] == ["jupyter", "lab"] and "--no-browser" in started[0]
    assert list(runtime_dir.iterdir()) == [], f"{record.name} and its page are removed"


def test_another_clones_server_is_left_alone(runtime_dir, status_server, tmp_path):
    record = _record(runtime_dir, os.getpid(), status_server.port, root=tmp_path / "another-clone")
    assert course.running_server(Path(sys.executable)) is None
    assert record.exists()


@pytest.mark.parametrize("case", ["nothing-listens", "wrong-token"])
def test_a_live_process_that_is_not_that_server_is_not_trusted(runtime_dir, status_server, case):
    """A process id the system gave to another program, or a server that does not know the token."""
    port, token = (free_port(), "t0ken") if case == "nothing-listens" else (status_server.port, "other")
    record = _record(runtime_dir, os.getpid(), port, token=token)
    assert course.running_server(Path(sys.executable)) is None
    assert record.exists(), "the process lives: not ours to clean up"


def test_unreadable_records_are_skipped(runtime_dir, status_server):
    (runtime_dir / "jpserver-1.json").write_text("{not json")
    (runtime_dir / "jpserver-2.json").write_text("[]")
    _record(runtime_dir, os.getpid(), status_server.port)
    assert course.running_server(Path(sys.executable))["pid"] == os.getpid()


def test_help_never_looks_for_a_server(runtime_dir, status_server, monkeypatch):
    _record(runtime_dir, os.getpid(), status_server.port)
    started = []
    monkeypatch.setattr(course, "setup_is_current", lambda: True)
    monkeypatch.setattr(course, "setup", lambda torch_choice="auto": Path(sys.executable))
    monkeypatch.setattr(course, "run_in_foreground", lambda command, **kwargs: started.append(command) or 0)
    assert course.main(["lab", "--help"]) == 0
    assert started and "--help" in started[0]


def test_process_ids_that_exist_and_that_do_not():
    assert course.pid_alive(os.getpid())
    assert not course.pid_alive(_dead_pid())
    for nonsense in (0, -1, None, "123"):
        assert not course.pid_alive(nonsense)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="process states are read from Linux's /proc")
def test_a_process_that_ended_but_was_not_reaped_counts_as_gone():
    """Inside containers nobody may reap a killed server's JupyterLab: it stays a zombie with its process id."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    stat = Path(f"/proc/{child.pid}/stat")
    deadline = time.monotonic() + 30
    while stat.read_text().rsplit(")", 1)[1].split()[0] != "Z" and time.monotonic() < deadline:
        time.sleep(0.05)  # not child.poll(): that would reap it
    try:
        assert not course.pid_alive(child.pid)
    finally:
        child.wait()


def test_the_runtime_folder_is_the_one_jupyter_uses(monkeypatch, tmp_path):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "rt"))
    assert course.jupyter_runtime_dir(Path(sys.executable)) == tmp_path / "rt"


# --- with a real JupyterLab ------------------------------------------------------------------------------------


def _wait_until_up(process: subprocess.Popen, port: int, token: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            url = f"http://127.0.0.1:{port}/api/status"
            if requests.get(url, headers={"Authorization": f"token {token}"}, timeout=5).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer within {STARTUP_TIMEOUT} s:\n{log.read_text()[-3000:]}")


@pytest.mark.skipif(os.name == "nt", reason="the server is stopped by killing its process group (POSIX)")
def test_a_real_second_course_lab_gives_the_first_ones_address(tmp_path, monkeypatch):
    """Start the course's JupyterLab, run ``course.py lab`` again, then kill the first without letting it clean up."""
    env = {k: v for k, v in isolated_env(tmp_path).items() if not k.startswith(("D2L_", "PYTEST_XDIST"))}
    port, token = free_port(), secrets.token_hex(16)
    command, _ = lab_command(port, token)
    log = tmp_path / "jupyter.log"
    with open(log, "wb") as out:
        first = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        _wait_until_up(first, port, token, log)
        second_command, _ = lab_command(free_port(), secrets.token_hex(16))
        second = subprocess.run(second_command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode == 0, second.stdout + second.stderr
        assert f"http://127.0.0.1:{port}/lab/tree/notebooks?token={token}" in second.stdout, second.stdout
        assert first.poll() is None, "the first server keeps running"
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # no shutdown: its runtime record stays behind, as after a crash
        first.wait(timeout=30)
    runtime = Path(env["JUPYTER_RUNTIME_DIR"])
    records = list(runtime.glob("jpserver-*.json"))
    assert records, "a killed server leaves its record"
    pid = json.loads(records[0].read_text())["pid"]  # JupyterLab itself, a child of the process killed above
    deadline = time.monotonic() + 30
    while course.pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    assert course.running_server(Path(sys.executable)) is None
    assert list(runtime.glob("jpserver-*")) == [], "the stale record and its page are removed"
