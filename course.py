#!/usr/bin/env python3
"""Set up the course in a local virtual environment, then start it or test it.

    python3 course.py lab      # set up (first time only) and open the notebooks in JupyterLab
    python3 course.py test     # set up (first time only) and run every test: unit tests + all notebooks (smoke)
    python3 course.py setup    # only create/refresh .venv

Set-up creates ``.venv`` next to this file, installs requirements.txt and d2l_utils (editable), and the book's
``d2l==1.0.3`` with ``--no-deps`` (its own pins break current Python). It is skipped when nothing changed.
Extra arguments go to JupyterLab or pytest, e.g. ``python3 course.py test -k lenet``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BOOK_PACKAGE = "d2l==1.0.3"
PYTEST_ARGS = ["-n", "2", "--dist", "loadfile"]  # two workers; a notebook never splits across kernels


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _fingerprint() -> str:
    digest = hashlib.sha256(BOOK_PACKAGE.encode())
    for name in ("requirements.txt", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def setup_is_current() -> bool:
    """True when ``.venv`` exists and was set up from the current requirements.txt and pyproject.toml."""
    stamp = VENV / ".course-setup"
    return venv_python().exists() and stamp.exists() and stamp.read_text() == _fingerprint()


def setup() -> Path:
    """Create or refresh the virtual environment; return its Python."""
    stamp = VENV / ".course-setup"
    python = venv_python()
    if setup_is_current():
        return python
    if not python.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)

    def pip(*args: str) -> None:
        subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", *args], check=True)

    pip("-r", str(ROOT / "requirements.txt"))
    pip("-e", str(ROOT))
    pip("--no-deps", BOOK_PACKAGE)
    stamp.write_text(_fingerprint())
    return python


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"lab", "test", "setup"}:
        print(__doc__)
        return 2
    command, extra = argv[0], argv[1:]
    python = setup()
    if command == "setup":
        return 0
    if command == "lab":
        # Containers often run as root, where JupyterLab refuses to start without this flag.
        if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
            extra.append("--allow-root")
        return subprocess.call([str(python), "-m", "jupyter", "lab", str(ROOT / "notebooks"), *extra], cwd=ROOT)
    env = dict(os.environ, D2L_SMOKE="1", OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    return subprocess.call([str(python), "-m", "pytest", *PYTEST_ARGS, *extra], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
