"""``.ci/run`` seeds the tests' data folder from the CI's data cache and makes real-data skips failures there.

The script runs for real in a copy of the repository's layout, with a stand-in ``python3`` on PATH that records
the environment and the data folder instead of running the tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz")  # fmt: skip

pytestmark = pytest.mark.skipif(sys.platform == "win32" or not shutil.which("bash"), reason=".ci/run is bash")


def run_ci(tmp_path: Path, with_cache: bool) -> dict[str, str]:
    """Run .ci/run in ``tmp_path/clone`` (the cache, if any, beside it); return what the fake python3 saw."""
    clone = tmp_path / "clone"
    (clone / ".ci").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / ".ci" / "run", clone / ".ci" / "run")
    cache = tmp_path / "shared" / "data" / "MNIST" / "raw"
    if with_cache and not cache.exists():
        cache.mkdir(parents=True)
        for name in NAMES:
            (cache / name).write_bytes(name.encode())
            (cache / name).chmod(0o444)  # the cache is read-only
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "python3"
    fake.write_text(
        "#!/usr/bin/env bash\n"
        'echo "args=$*" > "$RECORD"\n'
        'echo "D2L_DATA_DIR=${D2L_DATA_DIR:-}" >> "$RECORD"\n'
        'echo "D2L_REQUIRE_REAL_DATA=${D2L_REQUIRE_REAL_DATA:-}" >> "$RECORD"\n'
        'echo "files=$(ls "$D2L_DATA_DIR/MNIST/raw" 2>/dev/null | tr "\\n" " ")" >> "$RECORD"\n'
    )
    fake.chmod(0o755)
    record = tmp_path / "record.txt"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "RECORD": str(record)}
    env.pop("D2L_REQUIRE_REAL_DATA", None)
    subprocess.run(["bash", str(clone / ".ci" / "run")], check=True, env=env, cwd=tmp_path)
    return dict(line.split("=", 1) for line in record.read_text().splitlines())


def test_with_the_cache_the_data_folder_is_seeded_and_real_data_required(tmp_path):
    seen = run_ci(tmp_path, with_cache=True)
    assert seen["args"] == "course.py test"
    assert Path(seen["D2L_DATA_DIR"]) == (tmp_path / "clone" / ".data").resolve()
    assert sorted(seen["files"].split()) == sorted(NAMES)
    assert seen["D2L_REQUIRE_REAL_DATA"] == "1"
    for name in NAMES:  # copies that the loader may extract beside and the next run may replace
        assert os.access(tmp_path / "clone" / ".data" / "MNIST" / "raw" / name, os.W_OK)
    assert run_ci(tmp_path, with_cache=True)["files"] == seen["files"], "a second run replaces its own copies"


def test_without_the_cache_nothing_is_seeded_and_skips_stay_skips(tmp_path):
    seen = run_ci(tmp_path, with_cache=False)
    assert seen["D2L_REQUIRE_REAL_DATA"] == "" and seen["files"] == ""
    assert Path(seen["D2L_DATA_DIR"]) == (tmp_path / "clone" / ".data").resolve()


def test_the_data_folder_is_ignored_by_git():
    result = subprocess.run(["git", "check-ignore", "-q", ".data/MNIST/raw/train-images-idx3-ubyte"], cwd=ROOT)
    if result.returncode == 128:
        pytest.skip("not a git checkout")
    assert result.returncode == 0
