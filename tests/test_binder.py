"""Binder: the files repo2docker reads, and the package lists they share with the pip path.

repo2docker (mybinder.org) installs ``environment.yml`` (its ``pip:`` section is the course's package list) and
then runs ``postBuild`` from the repository root, which installs d2l_utils and the book's ``d2l==1.0.3`` without
its pins. ``requirements.txt`` is the same list for the pip path (``course.py``); the first tests keep the two lists
identical so they cannot drift apart. environment.yml adds one option, PyTorch's CPU-only index: Binder has no GPU.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata as metadata
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools.notebook_cells import repository_url  # noqa: E402

BOOK_PACKAGE = ("d2l", "1.0.3")
CPU_INDEX_OPTION = "--extra-index-url https://download.pytorch.org/whl/cpu"


def requirement_lines(path: Path = ROOT / "requirements.txt") -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def environment_pip_list(env: dict) -> list[str]:
    pip_sections = [dep["pip"] for dep in env["dependencies"] if isinstance(dep, dict) and "pip" in dep]
    assert len(pip_sections) == 1, "environment.yml needs exactly one `- pip:` section"
    return [str(item).strip() for item in pip_sections[0]]


def test_environment_yml_lists_what_requirements_txt_lists():
    env = environment()
    assert env["name"] and env["channels"], "environment.yml needs a name and channels"
    conda_deps = [dep for dep in env["dependencies"] if isinstance(dep, str)]
    assert "pip" in conda_deps, "conda must install pip for the `pip:` section"
    assert any(dep.startswith("python") for dep in conda_deps), "pin the Python version Binder builds"
    packages = [item for item in environment_pip_list(env) if not item.startswith("-")]
    assert packages == requirement_lines(), (
        "environment.yml's pip section and requirements.txt must list the same packages in the same order"
    )


def test_binder_installs_pytorchs_cpu_build():
    """Binder has no GPU: the pip section's one option adds PyTorch's CPU index, the one course.py uses.

    It is an extra index, not a replacement: the other packages come from the usual index, and pip ranks the CPU
    index's torch (e.g. ``2.5.1+cpu``) above the same version without the label, so torch comes from there.
    """
    import course

    options = [item for item in environment_pip_list(environment()) if item.startswith("-")]
    assert options == [CPU_INDEX_OPTION]
    assert CPU_INDEX_OPTION.split()[-1] == course.CPU_INDEX
    assert not any(line.startswith("-") for line in requirement_lines()), "course.py chooses the index itself"


def test_book_package_is_installed_apart_from_the_package_lists():
    """d2l's pins break current Python, so neither list may name it; course.py and postBuild add it with --no-deps."""
    for line in requirement_lines():
        assert not line.lower().startswith(("d2l=", "d2l>", "d2l<", "d2l ", "d2l~")) and line.lower() != "d2l"
    name, version = BOOK_PACKAGE
    assert f"--no-deps {name}=={version}" in (ROOT / "postBuild").read_text()
    assert f'BOOK_PACKAGE = "{name}=={version}"' in (ROOT / "course.py").read_text()


def test_repo2docker_finds_the_root_files():
    """repo2docker ignores the root's files when a binder/ or .binder/ folder exists; postBuild must be executable."""
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()
    post_build = ROOT / "postBuild"
    assert post_build.read_text().startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in post_build.read_text()
    if os.name != "nt":
        assert os.access(post_build, os.X_OK), "chmod +x postBuild"


def test_readme_has_the_binder_badge():
    github_path = repository_url().removeprefix("https://github.com/")
    binder_url = f"https://mybinder.org/v2/gh/{github_path}/HEAD?urlpath=lab/tree/notebooks"
    readme = (ROOT / "README.md").read_text()
    assert f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder_url})" in readme


# --- postBuild in a fresh virtual environment --------------------------------------------------------------------


def _repack_installed(name: str, dest: Path) -> Path:
    """Write a wheel of the installed distribution ``name`` (its files as RECORD lists them) into ``dest``.

    This gives pip a local, offline copy of exactly the release the course environment holds.
    """
    dist = metadata.distribution(name)
    site = Path(dist.locate_file(""))
    version, dist_name = dist.version, dist.metadata["Name"].replace("-", "_")
    info_dir = f"{dist_name}-{version}.dist-info"
    skip = {f"{info_dir}/{f}" for f in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")}
    wheel = dest / f"{dist_name}-{version}-py3-none-any.whl"
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in dist.files or []:
            posix = item.as_posix()
            if posix.startswith("..") or "__pycache__" in posix or posix in skip or not (site / item).is_file():
                continue
            data = (site / item).read_bytes()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            archive.writestr(posix, data)
            writer.writerow([posix, f"sha256={digest}", len(data)])
        writer.writerow([f"{info_dir}/RECORD", "", ""])
        archive.writestr(f"{info_dir}/RECORD", record.getvalue())
    return wheel


def _local_wheel(name: str, requirement: str, dest: Path) -> None:
    """A wheel of ``requirement`` in ``dest``: repacked from this environment, else downloaded once by pip.

    A course environment made by course.py on Python 3.12+ has no setuptools (pip builds d2l_utils in an isolated
    environment); then the one wheel is fetched before postBuild runs, and the test is skipped if that fails.
    """
    from packaging.requirements import Requirement

    try:
        if metadata.version(name) in Requirement(requirement).specifier:
            _repack_installed(name, dest)
            return
    except metadata.PackageNotFoundError:
        pass
    download = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-d", str(dest), requirement],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if download.returncode != 0:
        pytest.skip(f"{requirement} is not installed here and pip could not download it:\n{download.stderr[-500:]}")


def _shadow_site_packages(dest: Path) -> Path:
    """Links to every package the course environment installed from the package list, minus what postBuild adds."""
    site = Path(metadata.distribution("pip").locate_file(""))
    dest.mkdir()
    for entry in site.iterdir():
        name = entry.name.lower()
        # d2l and d2l_utils are what postBuild installs; the fresh venv brings its own pip; .pth files are not read
        if (
            name.startswith(("d2l", "__editable__"))
            or name == "pip"
            or name.startswith("pip-")
            or name.endswith(".pth")
        ):
            continue
        (dest / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    return dest


_PROBE = """
import importlib.util, json, sys
from importlib import metadata
from packaging.requirements import Requirement
missing = []
for line in sys.argv[1:]:
    req = Requirement(line)
    if req.marker is not None and not req.marker.evaluate():
        continue  # a line for another platform (Intel Macs' numpy<2)
    try:
        version = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        version = None
    if version is None or version not in req.specifier:
        missing.append(f"{line} (found {version})")
found = {name: importlib.util.find_spec(name) is not None for name in ("d2l", "d2l_utils")}
print(json.dumps({"missing": missing, "found": found}))
"""

_CHECK = """
import json, sys
import d2l, d2l_utils
from d2l import torch as d2l_torch
from importlib import metadata
import d2l_utils as du
net = du.lenet()
print(json.dumps({
    "d2l": metadata.version("d2l"), "d2l_file": d2l.__file__, "du_file": d2l_utils.__file__,
    "prefix": sys.prefix, "lenet_params": sum(p.numel() for p in net.parameters()),
    "book_has_train_ch6": hasattr(d2l_torch, "train_ch6"),
}))
"""


@pytest.mark.skipif(os.name == "nt", reason="postBuild is a bash script (Binder runs Linux)")
def test_post_build_installs_the_course_in_a_fresh_environment(tmp_path):
    """Run postBuild, unchanged, in a new virtual environment that holds the course's package list.

    How, in well under a minute and without the network:
    - the new venv (``python -m venv``, with its own pip) gets a ``.pth`` line pointing at a folder of links to the
      packages this test's environment installed from requirements.txt, minus d2l, d2l_utils and pip. A probe in
      the new venv checks every line of requirements.txt is satisfied there and that d2l and d2l_utils are not yet
      importable, so whatever imports afterwards was installed by postBuild;
    - pip runs offline (``PIP_NO_INDEX``) with ``PIP_FIND_LINKS`` pointing at wheels of the exact d2l 1.0.3 and
      setuptools releases installed here, repacked from their RECORD files. d2l's wheel keeps its old pins
      (numpy==1.23.5, ...), so a postBuild that forgot ``--no-deps`` would fail here as it would break Binder;
    - postBuild runs with bash from a copy of the repository (``pip install .`` builds there), the new venv first
      on PATH, as repo2docker runs it with the notebook environment first on PATH.
    """
    if shutil.which("bash") is None:
        pytest.skip("bash is not available")
    pytest.importorskip("packaging")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _local_wheel("d2l", f"d2l=={BOOK_PACKAGE[1]}", wheels)
    _local_wheel("setuptools", "setuptools>=64", wheels)  # d2l_utils' build backend (pyproject.toml)

    venv = tmp_path / "fresh-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
    python = venv / "bin" / "python"
    venv_site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    shadow = _shadow_site_packages(tmp_path / "course-packages")
    (venv_site / "course-packages.pth").write_text(f"{shadow}\n")

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV", "CONDA_", "D2L_"))
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheels),
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        MPLBACKEND="agg",
    )

    before = subprocess.run(
        [str(python), "-c", _PROBE, *requirement_lines()],
        cwd=tmp_path,  # not the repository: `python -c` puts the working directory on sys.path
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert before.returncode == 0, before.stderr
    state = json.loads(before.stdout)
    assert state["missing"] == [], "the fresh environment lacks packages of requirements.txt"
    assert state["found"] == {"d2l": False, "d2l_utils": False}, "the fresh environment must start without them"

    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("postBuild", "pyproject.toml", "README.md", "requirements.txt", "environment.yml"):
        shutil.copy2(ROOT / name, repo / name)
    shutil.copytree(ROOT / "d2l_utils", repo / "d2l_utils", ignore=shutil.ignore_patterns("__pycache__"))

    build = subprocess.run(["bash", "postBuild"], cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, f"postBuild failed:\n{build.stdout}\n{build.stderr}"

    after = subprocess.run(
        [str(python), "-c", _CHECK], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert after.returncode == 0, after.stderr
    result = json.loads(after.stdout.strip().splitlines()[-1])
    assert result["d2l"] == BOOK_PACKAGE[1]
    assert Path(result["d2l_file"]).is_relative_to(venv_site), "d2l must come from the fresh environment"
    assert Path(result["du_file"]).is_relative_to(venv_site), "d2l_utils must be installed, not read from the tree"
    assert result["lenet_params"] == 61_706
    assert result["book_has_train_ch6"]
