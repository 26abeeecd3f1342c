"""Start the README's ``python3 course.py lab`` as a separate, isolated process for tests and tools.

Both the JupyterLab launch test and the headless-Chromium screenshot tool drive a real server this way: on
127.0.0.1, a free port and a random token, with Jupyter's and IPython's folders moved into a scratch directory
so no user configuration leaks in. When ``.venv`` was not set up by course.py, ``course.main(["lab"])`` runs with
its set-up step replaced by "use this Python", so nothing is ever installed.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import course  # noqa: E402

_LAB_WITHOUT_SETUP = """
import sys
from pathlib import Path
sys.path.insert(0, {root!r})
import course
course.setup = lambda *args, **kwargs: Path(sys.executable)
sys.exit(course.main(["lab", *sys.argv[1:]]))
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_command(port: int, token: str) -> tuple[list[str], Path]:
    """The command that starts the course's JupyterLab, and the environment (prefix) its kernels will run in."""
    server_args = [
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
    ]
    if course.setup_is_current():
        return [sys.executable, str(ROOT / "course.py"), "lab", *server_args], course.VENV
    return [sys.executable, "-c", _LAB_WITHOUT_SETUP.format(root=str(ROOT)), *server_args], Path(sys.prefix)


def isolated_env(workdir: Path, **extra: str) -> dict[str, str]:
    """This process's environment with Jupyter's and IPython's folders moved under ``workdir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(
        JUPYTER_CONFIG_DIR=str(workdir / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(workdir / "jupyter-runtime"),
        JUPYTER_DATA_DIR=str(workdir / "jupyter-data"),
        IPYTHONDIR=str(workdir / "ipython"),
        **extra,
    )
    return env
