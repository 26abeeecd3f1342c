"""The README's start command brings up JupyterLab on the course, and a real client can run a notebook there.

The test starts ``python3 course.py lab`` (the README's command) as a separate process on 127.0.0.1, a free port
and a random token, then talks to it only over HTTP and WebSocket, as JupyterLab's browser front end does:
it checks that the repository (README, figures) is served and the browser is sent to notebooks/, lists the
notebooks through the contents API, opens a session (which starts a kernel in notebooks/), executes
a notebook's code cells over the kernel's WebSocket channel, checks the outputs, and shuts the server down through
the API. When ``.venv`` is not set up by course.py (no current set-up stamp), the same ``course.main(["lab"])``
runs with its set-up step replaced by "use this Python", so the test never installs anything.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest
import requests
import websocket  # websocket-client, a dependency of jupyter_server

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(ROOT))
from tools.lab_server import free_port, isolated_env, lab_command  # noqa: E402

STARTUP_TIMEOUT = 90  # seconds; a loaded 2-core CI machine starts JupyterLab in about 5
CELL_TIMEOUT = 120


def _sanitizers() -> list[tuple[re.Pattern, str]]:
    """The masks nbval applies (tests/nbval_sanitize.cfg), so outputs compare the same way here."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "tests" / "nbval_sanitize.cfg")
    return [(re.compile(config[name]["regex"]), config[name]["replace"]) for name in config.sections()]


def _sanitize(text: str, masks) -> str:
    for pattern, replacement in masks:
        text = pattern.sub(replacement, text)
    return text


class LabServer:
    """A JupyterLab process and a token-authenticated HTTP session to it."""

    def __init__(self, tmp_path: Path):
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"token {self.token}"
        self.log_path = tmp_path / "jupyter.log"
        outer = isolated_env(tmp_path)
        env = {k: v for k, v in outer.items() if not k.startswith(("D2L_", "PYTEST_XDIST"))}
        env.update(
            D2L_SMOKE="1",  # what `python3 course.py test` sets; kernels inherit it
            D2L_DATA_DIR=str(tmp_path / "data"),
            OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
        )
        command, self.prefix = lab_command(self.port, self.token)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so cleanup reaches the server and its kernels
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"JupyterLab exited with {self.process.returncode}:\n{self.log()}")
            try:
                if self.http.get(f"{self.base}/api/status", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        pytest.fail(f"JupyterLab did not answer within {STARTUP_TIMEOUT} s:\n{self.log()}")

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self.http.request(method, f"{self.base}{path}", timeout=30, **kwargs)
        assert response.ok, f"{method} {path}: {response.status_code} {response.text[:500]}\n{self.log()}"
        return response

    def stop(self) -> None:
        """Kill the process group if the API shutdown did not end it (only on failure)."""
        if self.process.poll() is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.process.pid, sig)
                    self.process.wait(timeout=10)
                    break
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    continue


class KernelChannel:
    """Jupyter messaging over the server's kernel WebSocket (the JSON protocol JupyterLab also speaks)."""

    def __init__(self, server: LabServer, kernel_id: str):
        self.session = uuid.uuid4().hex
        url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?session_id={self.session}"
        self.ws = websocket.create_connection(
            url, header=[f"Authorization: token {server.token}"], timeout=CELL_TIMEOUT
        )

    def close(self) -> None:
        self.ws.close()

    def request(self, msg_type: str, content: dict) -> tuple[dict, list[dict]]:
        """Send a shell request; return its reply and the iopub messages it caused, up to the kernel going idle."""
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": msg_type,
            "session": self.session,
            "username": "test",
            "version": "5.3",
            "date": datetime.now(timezone.utc).isoformat(),
        }
        message = {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell"}
        self.ws.send(json.dumps(message))
        reply, outputs, idle = None, [], False
        while reply is None or not idle:
            incoming = json.loads(self.ws.recv())
            if incoming.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = incoming["header"]["msg_type"]
            if incoming["channel"] == "shell" and kind.endswith("_reply"):
                reply = incoming
            elif incoming["channel"] == "iopub":
                if kind == "status":
                    idle = incoming["content"]["execution_state"] == "idle"
                elif kind in {"stream", "execute_result", "display_data", "error"}:
                    outputs.append(incoming)
        return reply, outputs

    def execute(self, code: str) -> tuple[dict, list[dict]]:
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {}}
        return self.request("execute_request", {**content, "allow_stdin": False, "stop_on_error": True})


def _stdout(outputs: list[dict]) -> str:
    return "".join(
        o["content"]["text"]
        for o in outputs
        if o["header"]["msg_type"] == "stream" and o["content"]["name"] == "stdout"
    )


def _saved_stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout")


def _notebook_to_run(names: list[str]) -> str | None:
    """The first notebook in course order: the cheapest to run (the convolution basics come first)."""
    return sorted(names)[0] if names else None


def test_course_lab_serves_and_runs_the_notebooks(tmp_path):
    server = LabServer(tmp_path)
    try:
        server.wait_until_up()

        # JupyterLab's own page is served (not only the bare Jupyter server).
        page = server.api("GET", "/lab")
        assert "jupyter-config-data" in page.text

        # The server's root is the repository, so the README and its figures open from the file browser; the
        # browser starts in notebooks/, whose listing is the course's notebooks.
        top = server.api("GET", "/api/contents/", params={"content": 1}).json()["content"]
        assert {"README.md", "img", "notebooks"} <= {item["name"] for item in top}
        figure = sorted(p.name for p in (ROOT / "img").glob("*.png"))[0]
        assert server.api("GET", f"/files/img/{figure}").content == (ROOT / "img" / figure).read_bytes()
        assert server.api("GET", "/files/README.md").text.startswith("# ")
        landing = server.http.get(f"{server.base}/", timeout=30, allow_redirects=False)
        assert landing.is_redirect and landing.headers["Location"].startswith("/lab/tree/notebooks")
        listing = server.api("GET", "/api/contents/notebooks", params={"content": 1}).json()
        served = sorted(item["name"] for item in listing["content"] if item["type"] == "notebook")
        assert served == sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))

        name = _notebook_to_run(served)
        if name is None:
            pytest.skip("no notebooks yet")
        model = server.api("GET", f"/api/contents/notebooks/{name}", params={"content": 1}).json()
        assert model["type"] == "notebook" and model["format"] == "json"
        nb = nbformat.from_dict(model["content"])

        # Open it as JupyterLab does: a session for the notebook's path starts a kernel in notebooks/.
        session = server.api(
            "POST",
            "/api/sessions",
            json={"path": f"notebooks/{name}", "type": "notebook", "kernel": {"name": "python3"}},
        ).json()
        kernel_id = session["kernel"]["id"]
        assert kernel_id in {k["id"] for k in server.api("GET", "/api/kernels").json()}

        channel = KernelChannel(server, kernel_id)
        try:
            reply, _ = channel.request("kernel_info_request", {})
            assert reply["content"]["status"] == "ok"
            masks = _sanitizers()
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                reply, outputs = channel.execute(cell.source)
                errors = [o["content"] for o in outputs if o["header"]["msg_type"] == "error"]
                assert reply["content"]["status"] == "ok" and not errors, (
                    f"{name} cell {index} failed: {errors or reply['content']}"
                )
                if index == 0:
                    assert outputs == [], "the Colab set-up cell must do nothing outside Colab"
                if "# NBVAL_CHECK_OUTPUT" in cell.source.splitlines() and cell.get("execution_count"):
                    assert _sanitize(_stdout(outputs), masks) == _sanitize(_saved_stdout(cell), masks), (
                        f"{name} cell {index} printed something else than the saved notebook"
                    )
            # The kernel runs in the notebook's folder, on the course's interpreter and package.
            _, outputs = channel.execute("import os, sys, d2l_utils\nprint(os.getcwd())\nprint(sys.prefix)")
            cwd, prefix = _stdout(outputs).split()
            assert Path(cwd).resolve() == NOTEBOOKS.resolve()
            assert Path(prefix).resolve() == server.prefix.resolve()
        finally:
            channel.close()

        server.api("DELETE", f"/api/sessions/{session['id']}")
        assert server.api("GET", "/api/kernels").json() == []

        # Clean shutdown through the API: the server, and course.py around it, exit with status 0.
        server.api("POST", "/api/shutdown")
        assert server.process.wait(timeout=30) == 0, server.log()
    finally:
        server.stop()


class TerminalSession:
    """The README's command run in a pseudo-terminal of its own, as in a terminal window: Ctrl-C is a keystroke.

    The terminal then sends SIGINT to its whole foreground process group, course.py and JupyterLab alike, exactly
    as a real one does; everything the processes print is collected.
    """

    def __init__(self, tmp_path: Path):
        import fcntl
        import pty
        import termios

        self.port, self.token = free_port(), secrets.token_hex(16)
        self.runtime_dir = tmp_path / "jupyter-runtime"
        env = {k: v for k, v in isolated_env(tmp_path).items() if not k.startswith(("D2L_", "PYTEST_XDIST"))}
        command, _ = lab_command(self.port, self.token)
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # the pty becomes its controlling terminal
        )
        os.close(slave)
        self.chunks: list[bytes] = []
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the terminal's last process has gone
                return
            if not chunk:
                return
            self.chunks.append(chunk)

    def output(self) -> str:
        return b"".join(self.chunks).decode(errors="replace")

    def wait_for(self, condition, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"{what} within {timeout} s:\n{self.output()[-3000:]}")
            time.sleep(0.2)

    def server_answers(self) -> bool:
        url = f"http://127.0.0.1:{self.port}/api/status"
        try:
            return requests.get(url, headers={"Authorization": f"token {self.token}"}, timeout=2).ok
        except requests.ConnectionError:
            return False

    def press_ctrl_c(self) -> None:
        os.write(self.master, b"\x03")

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        os.close(self.master)


@pytest.mark.skipif(os.name == "nt", reason="pseudo-terminals are POSIX; on Windows JupyterLab stops at once")
def test_ctrl_c_twice_stops_the_course_as_jupyterlab_alone_would(tmp_path):
    """First Ctrl-C: JupyterLab asks whether to shut down; a second one confirms. course.py only waits for it.

    Before, course.py caught the first Ctrl-C itself, killed JupyterLab 0.25 s later and printed a traceback,
    leaving JupyterLab's runtime files (jpserver-*.json) behind.
    """
    session = TerminalSession(tmp_path)
    try:
        session.wait_for(session.server_answers, "JupyterLab did not answer", STARTUP_TIMEOUT)
        assert list(session.runtime_dir.glob("jpserver-*.json")), "a running server lists itself there"
        session.press_ctrl_c()
        session.wait_for(lambda: "this Jupyter server (y/[n])?" in session.output(), "no confirmation asked", 20)
        assert session.process.poll() is None, "the first Ctrl-C must not stop anything by itself"
        session.press_ctrl_c()
        session.wait_for(lambda: session.process.poll() is not None, "JupyterLab did not stop", 20)
    finally:
        session.close()
    output = session.output()
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output[-3000:]
    assert session.process.returncode == 0, output[-3000:]
    assert list(session.runtime_dir.glob("jpserver-*")) == [], "JupyterLab's shutdown removes its runtime files"
