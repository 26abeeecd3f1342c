#!/usr/bin/env python3
"""Set up the course in a local virtual environment, then start it or test it (``--help`` says how to use it).

Set-up creates ``.venv`` next to this file, installs requirements.txt and d2l_utils (editable), and the book's
``d2l==1.0.3`` with ``--no-deps`` (its own pins break current Python). It is skipped when nothing changed.
Extra arguments go to JupyterLab or pytest, e.g. ``python3 course.py test -k lenet``.

Which PyTorch build the first set-up installs: ``--torch auto`` (the default) takes PyTorch's CPU-only wheels on
Linux without an NVIDIA GPU (no CUDA libraries, a tenth of the download), and the normal package index's build
everywhere else; ``--torch cpu`` or ``--torch cuda`` forces one. If the CPU index cannot be reached, set-up says
so, and what it costs, and uses the normal index. Ctrl-C while JupyterLab or pytest runs goes to them, as if they
ran on their own. ``lab`` serves the repository's root (README, figures) and opens ``notebooks/``; when a server
started for this folder still runs, it gives that one's address instead of starting a second on the same files.
"""

# Python compiles the whole file before the version check below runs, so all of it keeps to syntax Python 3.6
# can parse: an old Python then gets the message, not a SyntaxError. Annotations such as `str | None` are
# evaluated only when their function is defined, which happens after the check has passed.
import difflib
import hashlib
import json
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
COMMANDS = ("lab", "test", "setup")
HELP_FLAGS = ("-h", "--help")
PYTEST_ARGS = ["-n", "2", "--dist", "loadfile"]  # two workers; a notebook never splits across kernels
PYTEST_NO_TESTS = 5  # pytest's exit code when the arguments selected no test
CPU_INDEX = "https://download.pytorch.org/whl/cpu"  # PyTorch's CPU-only wheels (no CUDA libraries)
TORCH_CHOICES = ("auto", "cpu", "cuda")
TORCH_PACKAGES = ("torch", "torchvision")  # the two packages PyTorch's indexes build per CUDA/CPU variant
PROBE_TIMEOUT = 5  # seconds; a mirror-only or offline network must not hold up set-up
SERVER_TIMEOUT = 3  # seconds for a running JupyterLab's status page to answer
VENV_SIZE_CUDA, VENV_SIZE_CPU = "6.0 GB", "1.6 GB"  # .venv on disk, measured (docs/SETUP.md, "Start in detail")
# pip lines a learner cannot act on: requirements meant for other systems, packages that are already there.
PIP_NOISE = re.compile(r"\s*(Ignoring \S+: markers .* don't match your environment|Requirement already satisfied: )")

USAGE = f"""\
Usage: python3 course.py COMMAND [--torch auto|cpu|cuda] [ARGUMENTS...]
       (on Windows: py course.py COMMAND ...)

Commands:
  lab     set up (first time only), then open the course in JupyterLab in your browser
  test    set up (first time only), then run every test: unit tests and all notebooks in smoke mode
  setup   only create or refresh the virtual environment .venv

Options:
  --torch auto|cpu|cuda   the PyTorch build a new .venv gets. auto (the default): the CPU-only build on Linux
                          without an NVIDIA GPU, the usual build elsewhere. To switch later, delete .venv.
  -h, --help              show this help and exit

Other arguments go to JupyterLab (lab) or pytest (test); `lab --help` and `test --help` list theirs once
set-up has run.

Examples:
  python3 course.py lab                             # the course in JupyterLab
  python3 course.py lab --no-browser --port 8890    # on a remote machine, or on another port
  python3 course.py test -k lenet                   # only the tests whose names contain "lenet"
  python3 course.py setup --torch cpu               # set up only, with PyTorch's CPU-only build

The first set-up creates .venv next to course.py: {VENV_SIZE_CPU} with the CPU-only PyTorch,
{VENV_SIZE_CUDA} with the usual Linux build. It runs again only when requirements.txt or pyproject.toml
change. Ctrl-C in the terminal stops JupyterLab or the tests.
"""


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


# --- help and wrong commands ------------------------------------------------------------------------------------


def unknown_command_message(name: str) -> str:
    """What to say when the first argument is no command: the commands there are, and the closest one."""
    close = difflib.get_close_matches(name, COMMANDS, n=1)
    guess = f" (did you mean `{close[0]}`?)" if close else ""
    what = (
        f"{name!r} is not a command (the command comes first)" if name.startswith("-") else f"unknown command {name!r}"
    )
    commands = ", ".join(COMMANDS)
    return f"course.py: {what}{guess}.\nCommands: {commands}. `python3 course.py --help` shows how to use them."


def help_before_setup_message(command: str) -> str:
    """``lab --help`` or ``test --help`` before set-up: what would happen, without installing anything."""
    tool = "JupyterLab" if command == "lab" else "pytest"
    return (
        f"`python3 course.py {command} --help` would list {tool}'s own options, but set-up has not run yet:\n"
        f"`python3 course.py {command}` first sets up .venv ({VENV_SIZE_CPU} to {VENV_SIZE_CUDA} on disk), then starts "
        f"{tool} with the arguments you give.\nNothing was installed. course.py's own options: "
        f"`python3 course.py --help`. {tool}'s: run `python3 course.py setup`, then ask again."
    )


def help_answer(command: str, extra: list[str]) -> int | None:
    """Answer a help request that needs no set-up (return the exit code); None when there is none to answer."""
    if not any(arg in HELP_FLAGS for arg in extra):
        return None
    if command == "setup":
        print(USAGE, end="")
        return 0
    if not setup_is_current():
        print(help_before_setup_message(command))
        return 0
    tool = "JupyterLab" if command == "lab" else "pytest"
    print(f"`python3 course.py {command}` passes its other arguments to {tool}. {tool}'s options:\n", flush=True)
    return None  # run() passes --help on


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


def usual_index_message(system: str | None = None) -> str:
    """What installing PyTorch from the usual index instead of the CPU one costs, and how to change it later."""
    system = platform.system() if system is None else system
    if system != "Linux":
        return f"installing PyTorch from your usual package index instead (on {system} that build has no CUDA either)."
    return (
        "installing PyTorch from your usual package index instead. On Linux that is the build with CUDA libraries: "
        f"a .venv of about {VENV_SIZE_CUDA} instead of {VENV_SIZE_CPU} (measured, see docs/SETUP.md). To get the "
        "CPU-only build later, once that index can be reached: delete .venv, then run "
        "`python3 course.py setup --torch cpu`."
    )


def install_cpu_torch(pip) -> bool:
    """Install torch and torchvision from PyTorch's CPU index; False (after saying why) if that cannot be done."""
    reason = unreachable_reason(f"{CPU_INDEX}/torch/")
    if reason is not None:
        print(f"PyTorch's CPU index {CPU_INDEX} cannot be reached ({reason}); {usual_index_message()}", flush=True)
        return False
    print(f"Installing PyTorch's CPU-only build from {CPU_INDEX} (`--torch cuda` for the default).", flush=True)
    try:
        pip("--index-url", CPU_INDEX, *torch_requirements())
    except subprocess.CalledProcessError:
        print(f"Installing from {CPU_INDEX} failed (see above); {usual_index_message()}", flush=True)
        return False
    return True


_TORCH_PROBE = (  # reads the version files without importing torch, which takes seconds
    "import importlib.metadata as m, importlib.util as u, pathlib; print(m.version('torch')); "
    "print(pathlib.Path(u.find_spec('torch').origin).with_name('version.py').read_text())"
)


def installed_torch(python: Path) -> tuple[str, bool] | None:
    """The version of the PyTorch in ``.venv`` and whether it is a CUDA build; None when it has none."""
    result = subprocess.run([str(python), "-c", _TORCH_PROBE], capture_output=True, text=True)
    if result.returncode != 0 or not result.stdout:
        return None
    version, _, source = result.stdout.partition("\n")
    full = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)", source, re.M)  # with the build tag, e.g. "+cu130"
    cuda = re.search(r"^cuda\b[^=\n]*=\s*['\"]", source, re.M)
    return (full.group(1) if full else version.strip()), cuda is not None


def other_build_message(choice: str, version: str, has_cuda: bool) -> str | None:
    """What to say when ``--torch choice`` asks for another build than the one ``.venv`` has; else None."""
    if choice == "cpu" and has_cuda:
        build = "the build with CUDA libraries"
    elif choice == "cuda" and "+cpu" in version:
        build = "PyTorch's CPU-only build"
    else:
        return None
    return (
        f"This .venv already has PyTorch {version}, {build}. --torch {choice} chooses the build only for a new "
        f".venv, so this one stays as it is.\nTo switch: delete .venv (Linux and macOS: `rm -rf .venv`; Windows: "
        f"`rmdir /s /q .venv`), then run `python3 course.py setup --torch {choice}`."
    )


# --- set-up -----------------------------------------------------------------------------------------------------


def _installed(python: Path, package: str) -> bool:
    probe = f"import importlib.metadata as m; m.version({package!r})"
    return subprocess.run([str(python), "-c", probe], capture_output=True).returncode == 0


def _echo(line: bytes) -> None:
    """Show one line of a child's output exactly as it wrote it (its encoding may not be ours)."""
    sys.stdout.flush()
    out = getattr(sys.stdout, "buffer", None)
    if out is None:
        sys.stdout.write(line.decode(errors="replace"))
    else:
        out.write(line)
    sys.stdout.flush()


def run_pip(python: Path, *args: str) -> None:
    """``pip install ARGS`` in ``.venv``, showing its output except the lines that match PIP_NOISE.

    Only pip's standard output is read: its warnings and errors go to standard error, which stays untouched.
    Through a pipe pip draws each download's progress bar once, when the file is complete.
    """
    command = [str(python), "-m", "pip", "install", "--disable-pip-version-check", *args]
    with subprocess.Popen(command, stdout=subprocess.PIPE, env=dict(os.environ, PYTHONUNBUFFERED="1")) as child:
        for line in child.stdout:
            if not PIP_NOISE.match(line.decode(errors="replace")):
                _echo(line)
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, command)


def setup(torch_choice: str = "auto") -> Path:
    """Create or refresh the virtual environment; return its Python.

    PyTorch is chosen only when ``.venv`` has none yet; a ``--torch`` choice that differs from the build already
    there is answered with how to switch (delete ``.venv``).
    """
    stamp = VENV / ".course-setup"
    python = venv_python()
    if torch_choice != "auto" and python.exists():
        installed = installed_torch(python)
        message = installed and other_build_message(torch_choice, *installed)
        if message:
            print(message, flush=True)
    if setup_is_current():
        return python
    if not python.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)

    def pip(*args: str) -> None:
        run_pip(python, *args)

    if not _installed(python, "torch") and wants_cpu_index(torch_choice):
        install_cpu_torch(pip)  # else requirements.txt below brings the normal index's build
    pip("-r", str(ROOT / "requirements.txt"))
    pip("-e", str(ROOT))
    pip("--no-deps", BOOK_PACKAGE)
    stamp.write_text(_fingerprint())
    return python


# --- one JupyterLab per course ----------------------------------------------------------------------------------


def jupyter_runtime_dir(python: Path) -> Path | None:
    """The folder where Jupyter (as ``.venv`` has it configured) records the servers it runs."""
    probe = "from jupyter_core.paths import jupyter_runtime_dir; print(jupyter_runtime_dir())"
    result = subprocess.run([str(python), "-c", probe], capture_output=True, text=True)
    folder = result.stdout.strip() if result.returncode == 0 else ""
    return Path(folder) if folder else None


def server_records(runtime_dir: Path) -> list[dict]:
    """Jupyter's record (``jpserver-<pid>.json``) of each server it started, with the file it was read from."""
    records = []
    for path in sorted(runtime_dir.glob("jpserver-*.json")):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(record, dict):
            records.append(dict(record, record_file=str(path)))
    return records


def serves_this_course(record: dict) -> bool:
    """Whether the server serves this clone: its root is the repository or a folder in it (such as notebooks/)."""
    root = record.get("root_dir") or record.get("notebook_dir")
    if not isinstance(root, str) or not root:
        return False
    root = Path(root).resolve()
    return root == ROOT or ROOT in root.parents


def _windows_pid_alive(pid: int) -> bool:
    import ctypes

    kernel32 = ctypes.windll.kernel32
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return kernel32.GetLastError() == 5  # access denied: it exists, under another user
    code = ctypes.c_ulong()
    try:
        return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def pid_alive(pid) -> bool:
    """Whether a process with this id exists (on Windows ``os.kill`` would end it, so ask the system instead)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    if os.name == "nt":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """Whether a process has ended but was not yet reaped (Linux shows state Z; a container may never reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def server_answers(record: dict, timeout: float = SERVER_TIMEOUT) -> bool:
    """Whether the recorded server answers on its status page (a reused process id does not)."""
    url = record.get("url")
    if not isinstance(url, str) or not re.match(r"https?://", url):
        return False
    request = urllib.request.Request(url.rstrip("/") + "/api/status")
    if record.get("token"):
        request.add_header("Authorization", f"token {record['token']}")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never ask a proxy about this machine
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def remove_record(record: dict) -> None:
    """Delete the runtime files of a server that died without removing them (killed, or the machine crashed)."""
    path = Path(record["record_file"])
    for stale in (path, path.with_name(f"{path.stem}-open.html")):
        try:
            stale.unlink()
        except OSError:
            pass


def running_server(python: Path) -> dict | None:
    """The record of a server for this clone that still answers, if any; the records of dead servers are removed."""
    runtime_dir = jupyter_runtime_dir(python)
    for record in server_records(runtime_dir) if runtime_dir is not None else []:
        if not serves_this_course(record):
            continue
        if not pid_alive(record.get("pid")):
            remove_record(record)
        elif server_answers(record):
            return record
    return None


def lab_address(record: dict) -> str:
    """The address that opens the running server on notebooks/, with its token when it has one."""
    url = record["url"].rstrip("/") + "/lab/tree/notebooks"
    return f"{url}?token={record['token']}" if record.get("token") else url


def already_running_message(record: dict) -> str:
    return (
        f"The course is already running in JupyterLab (a server for this folder, process {record['pid']}):\n\n"
        f"    {lab_address(record)}\n\n"
        "Open that address in your browser. A second server would run the same notebooks with kernels of its own "
        "and save the same files twice.\nTo start a new one, first stop that one: Ctrl-C in its terminal, or "
        "File > Shut Down in JupyterLab."
    )


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
    # The repository is the root, so README.md and the figures are one click away; the browser opens notebooks/.
    root = [f"--ServerApp.root_dir={ROOT}", "--LabApp.default_url=/lab/tree/notebooks"]
    return [str(python), "-m", "jupyter", "lab", *root, *extra]


def selection_filters(args: list[str]) -> list[str]:
    """The pytest arguments that choose which tests run: ``-k`` and ``-m`` expressions, and test paths."""
    filters, items = [], iter(args)
    for arg in items:
        if arg in ("-k", "-m"):
            filters.append(f"{arg} {next(items, '')!r}")
        elif arg[:2] in ("-k", "-m"):
            filters.append(f"{arg[:2]} {arg[2:].lstrip('=')!r}")
        elif not arg.startswith("-") and (ROOT / arg.split("::")[0]).exists():
            filters.append(arg)
    return filters


def no_tests_message(args: list[str]) -> str:
    """Why pytest ran nothing (its exit code 5): which of the arguments selected no test, and how to find names."""
    filters = selection_filters(args)
    chosen = " with ".join(f"`{f}`" for f in filters) if filters else "the arguments given"
    return (
        f"\nNo test ran: {chosen} selected none of the course's tests (pytest's exit code 5).\n"
        "-k matches parts of test and file names, e.g. `-k lenet` (notebooks/06_lenet.ipynb and the LeNet tests) "
        'or `-k "shape and not alexnet"`.\n`python3 course.py test --collect-only -q` lists every test\'s name.'
    )


def run_lab(python: Path, extra: list[str]) -> int:
    if not any(arg in HELP_FLAGS for arg in extra):
        server = running_server(python)
        if server is not None:
            print(already_running_message(server))
            return 0
    return run_in_foreground(lab_command(python, extra), cwd=ROOT)


def run_tests(python: Path, extra: list[str]) -> int:
    env = dict(os.environ, D2L_SMOKE="1", OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    code = run_in_foreground([str(python), "-m", "pytest", *PYTEST_ARGS, *extra], cwd=ROOT, env=env)
    if code == PYTEST_NO_TESTS:
        print(no_tests_message(extra), file=sys.stderr)
    return code


def run(command: str, extra: list[str], torch_choice: str) -> int:
    python = setup(torch_choice)
    if command == "setup":
        return 0
    if command == "lab":
        return run_lab(python, extra)
    return run_tests(python, extra)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in (*HELP_FLAGS, "help"):
        print(USAGE, end="")
        return 0
    if argv[0] not in COMMANDS:
        print(unknown_command_message(argv[0]), file=sys.stderr)
        return 2
    torch_choice, extra = split_torch_choice(argv[1:])
    unknown = [arg for arg in extra if arg not in HELP_FLAGS]
    if argv[0] == "setup" and unknown:
        print(f"course.py setup: unknown option {unknown[0]!r}. Its options: --torch auto|cpu|cuda, -h/--help.",
              file=sys.stderr)  # fmt: skip
        return 2
    answered = help_answer(argv[0], extra)
    if answered is not None:
        return answered
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
    except OSError as error:  # e.g. an empty or half-copied .venv/bin/python: it cannot even start
        if str(error.filename) != str(venv_python()):
            raise
        print(f"{VENV} is broken: its Python {error.filename} cannot be run ({error.strerror}).\nDelete {VENV} "
              "(Linux and macOS: `rm -rf .venv`; Windows: `rmdir /s /q .venv`), then run the same command again to "
              "set it up afresh.", file=sys.stderr)  # fmt: skip
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
