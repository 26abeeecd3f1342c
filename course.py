#!/usr/bin/env python3
"""Set up the course in a local virtual environment, then start it or test it.

    python3 course.py lab      # set up (first time only) and open the notebooks in JupyterLab
    python3 course.py test     # set up (first time only) and run every test: unit tests + all notebooks (smoke)
    python3 course.py setup    # only create/refresh .venv

Set-up creates ``.venv`` next to this file, installs requirements.txt and d2l_utils (editable), and the book's
``d2l==1.0.3`` with ``--no-deps`` (its own pins break current Python). It is skipped when nothing changed.
Extra arguments go to JupyterLab or pytest, e.g. ``python3 course.py test -k lenet``.

Which PyTorch build the first set-up installs: ``--torch auto`` (the default) takes PyTorch's CPU-only wheels on
Linux without an NVIDIA GPU (no CUDA libraries, a tenth of the download), and the normal package index's build
everywhere else; ``--torch cpu`` or ``--torch cuda`` forces one. If the CPU index cannot be reached, set-up says
so and uses the normal index. Ctrl-C while JupyterLab or pytest runs goes to them, as if they ran on their own.
"""

# Python compiles the whole file before the version check below runs, so all of it keeps to syntax Python 3.6
# can parse: an old Python then gets the message, not a SyntaxError. Annotations such as `str | None` are
# evaluated only when their function is defined, which happens after the check has passed.
import hashlib
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
import venv
from pathlib import Path

MIN_PYTHON = (3, 10)  # pyproject.toml's requires-python (tests/test_course.py keeps them equal)


def unsupported_python_message(version_info, executable):
    """The message for a Python older than MIN_PYTHON (naming the one found and how to get a newer), else None."""
    if tuple(version_info[:2]) >= MIN_PYTHON:
        return None
    needed = f"{MIN_PYTHON[0]}.{MIN_PYTHON[1]}"
    found = ".".join(str(part) for part in version_info[:3])
    return (
        f"This course needs Python {needed} or newer, but {executable} is Python {found}.\n"
        "Nothing was installed. Get a newer Python, then run the same command with it:\n"
        "  - Windows: install it from https://www.python.org/downloads/ and run `py -3.12 course.py lab`\n"
        "  - macOS: `brew install python@3.12` (Homebrew), or the installer from https://www.python.org/downloads/,\n"
        "    then `python3.12 course.py lab`\n"
        "  - Linux: your distribution's python3.12 package (e.g. `sudo apt install python3.12 python3.12-venv`)\n"
        "  - conda: `conda create -n py312 python=3.12`, `conda activate py312`, then `python course.py lab`"
    )


def exit_if_unsupported_python(version_info=sys.version_info, executable=sys.executable):
    """Stop with the message above before anything (``.venv``, downloads) is created."""
    message = unsupported_python_message(version_info, executable)
    if message is not None:
        print(message, file=sys.stderr)
        sys.exit(1)


exit_if_unsupported_python()

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BOOK_PACKAGE = "d2l==1.0.3"
PYTEST_ARGS = ["-n", "2", "--dist", "loadfile"]  # two workers; a notebook never splits across kernels
CPU_INDEX = "https://download.pytorch.org/whl/cpu"  # PyTorch's CPU-only wheels (no CUDA libraries)
TORCH_CHOICES = ("auto", "cpu", "cuda")
TORCH_PACKAGES = ("torch", "torchvision")  # the two packages PyTorch's indexes build per CUDA/CPU variant
PROBE_TIMEOUT = 5  # seconds; a mirror-only or offline network must not hold up set-up


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


# --- which PyTorch build ----------------------------------------------------------------------------------------


def nvidia_gpu_present() -> bool:
    """True when this machine shows an NVIDIA driver (its tool on PATH, its kernel module, or WSL's driver)."""
    return (
        shutil.which("nvidia-smi") is not None
        or Path("/proc/driver/nvidia").exists()
        or Path("/usr/lib/wsl/lib/nvidia-smi").exists()
    )


def wants_cpu_index(choice: str, system: str | None = None, has_nvidia_gpu: bool | None = None) -> bool:
    """Whether to install PyTorch from its CPU-only index.

    ``auto`` does so on Linux without an NVIDIA GPU: there the normal index's torch brings about 3 GB of CUDA
    libraries that can never run. On Windows and macOS the normal index's build has no CUDA libraries anyway.
    """
    if choice not in TORCH_CHOICES:
        raise ValueError(f"--torch must be one of {', '.join(TORCH_CHOICES)}, got {choice!r}")
    if choice != "auto":
        return choice == "cpu"
    system = platform.system() if system is None else system
    has_nvidia_gpu = nvidia_gpu_present() if has_nvidia_gpu is None else has_nvidia_gpu
    return system == "Linux" and not has_nvidia_gpu


def unreachable_reason(url: str, timeout: float = PROBE_TIMEOUT) -> str | None:
    """None when ``url`` answers within ``timeout`` seconds, else why not (one request, no retries)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return None
    except (OSError, ValueError) as error:  # URLError, HTTPError and timeouts are all OSErrors
        return str(getattr(error, "reason", error)) or type(error).__name__


def split_torch_choice(args: list[str]) -> tuple[str, list[str]]:
    """Take ``--torch X`` or ``--torch=X`` out of the arguments; return the choice and the other arguments."""
    choice, rest, items = "auto", [], iter(args)
    for arg in items:
        if arg == "--torch":
            choice = next(items, "")
        elif arg.startswith("--torch="):
            choice = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    if choice not in TORCH_CHOICES:
        raise SystemExit(f"--torch must be one of {', '.join(TORCH_CHOICES)}, got {choice!r}")
    return choice, rest


def torch_requirements() -> list[str]:
    """The torch and torchvision lines of requirements.txt (the one place their versions are given)."""
    lines = (line.split("#", 1)[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines())
    return [line for line in lines if re.match(r"[\w.-]*", line).group().lower() in TORCH_PACKAGES]


def install_cpu_torch(pip) -> bool:
    """Install torch and torchvision from PyTorch's CPU index; False (after saying why) if that cannot be done."""
    reason = unreachable_reason(f"{CPU_INDEX}/torch/")
    fallback = "installing PyTorch from your usual package index instead (the default build, larger)"
    if reason is not None:
        print(f"PyTorch's CPU index {CPU_INDEX} cannot be reached ({reason}); {fallback}.", flush=True)
        return False
    print(f"Installing PyTorch's CPU-only build from {CPU_INDEX} (`--torch cuda` for the default).", flush=True)
    try:
        pip("--index-url", CPU_INDEX, *torch_requirements())
    except subprocess.CalledProcessError:
        print(f"Installing from {CPU_INDEX} failed (see above); {fallback}.", flush=True)
        return False
    return True


# --- set-up -----------------------------------------------------------------------------------------------------


def _installed(python: Path, package: str) -> bool:
    probe = f"import importlib.metadata as m; m.version({package!r})"
    return subprocess.run([str(python), "-c", probe], capture_output=True).returncode == 0


def setup(torch_choice: str = "auto") -> Path:
    """Create or refresh the virtual environment; return its Python.

    PyTorch is chosen only when ``.venv`` has none yet; to switch builds later, delete ``.venv``.
    """
    stamp = VENV / ".course-setup"
    python = venv_python()
    if setup_is_current():
        return python
    if not python.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)

    def pip(*args: str) -> None:
        subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", *args], check=True)

    if not _installed(python, "torch") and wants_cpu_index(torch_choice):
        install_cpu_torch(pip)  # else requirements.txt below brings the normal index's build
    pip("-r", str(ROOT / "requirements.txt"))
    pip("-e", str(ROOT))
    pip("--no-deps", BOOK_PACKAGE)
    stamp.write_text(_fingerprint())
    return python


# --- running JupyterLab and pytest ------------------------------------------------------------------------------


def run_in_foreground(command: list[str], **popen_kwargs) -> int:
    """Run ``command`` and return its exit code, leaving Ctrl-C to it alone.

    The child shares the terminal, so Ctrl-C reaches it directly: JupyterLab asks whether to shut down (a second
    Ctrl-C confirms) and removes its runtime files, pytest prints its summary. This process ignores Ctrl-C
    meanwhile, so it neither kills the child half-way nor prints a traceback of its own.
    """
    child = subprocess.Popen(command, **popen_kwargs)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return child.wait()
    finally:
        signal.signal(signal.SIGINT, previous)


def lab_command(python: Path, extra: list[str]) -> list[str]:
    # Containers often run as root, where JupyterLab refuses to start without this flag.
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in extra:
        extra = [*extra, "--allow-root"]
    return [str(python), "-m", "jupyter", "lab", str(ROOT / "notebooks"), *extra]


def run(command: str, extra: list[str], torch_choice: str) -> int:
    python = setup(torch_choice)
    if command == "setup":
        return 0
    if command == "lab":
        return run_in_foreground(lab_command(python, extra), cwd=ROOT)
    env = dict(os.environ, D2L_SMOKE="1", OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    return run_in_foreground([str(python), "-m", "pytest", *PYTEST_ARGS, *extra], cwd=ROOT, env=env)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"lab", "test", "setup"}:
        print(__doc__)
        return 2
    torch_choice, extra = split_torch_choice(argv[1:])
    try:
        return run(argv[0], extra, torch_choice)
    except KeyboardInterrupt:
        print("\nInterrupted. Run the same command again to finish the set-up.", file=sys.stderr)
        return 130
    except subprocess.CalledProcessError as error:
        failed = " ".join(str(part) for part in error.cmd)
        print(
            f"\nSet-up failed: `{failed}` exited with code {error.returncode} (its message is above).\n"
            f"Run the same command again once that is fixed; delete {VENV} to start from scratch.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
