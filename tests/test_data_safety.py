"""The data folder is safe under concurrency, read-only folders, truncation and impostor files.

Real Fashion-MNIST is never downloaded here: the "real" cases use the local fake mirror of test_download.py
(small IDX files whose MD5 sums are patched in), so the real code path runs offline.
"""

from __future__ import annotations

import gzip
import hashlib
import multiprocessing
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from test_download import OFFLINE, assert_intact, mirror  # noqa: F401 (the fixture)

import d2l_utils as du
from d2l_utils import config
from d2l_utils import data as du_data
from d2l_utils.guard_rails.checks import atomic_write
from d2l_utils.guard_rails.files import idx_problem
from d2l_utils.synthetic import IDX_FILES, write_synthetic_fashion_mnist

SMALL = {"num_train": 3000, "num_test": 500}
COUNTS = {"train": SMALL["num_train"], "t10k": SMALL["num_test"]}


def assert_whole_synthetic(raw):
    for name in IDX_FILES:
        assert idx_problem(raw / name, COUNTS[name.split("-")[0]]) is None, name
    assert not [p.name for p in raw.iterdir() if p.name.endswith(".part")]


@pytest.fixture
def read_only(monkeypatch):
    """Make every file write fail, as in a read-only folder (tests run as root, who ignores permissions)."""

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    def install():
        monkeypatch.setattr(tempfile, "mkstemp", refuse)
        monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
        monkeypatch.setattr(os, "replace", refuse)

    return install


def _prepare_repeatedly(root: str, barrier) -> None:
    for _ in range(10):
        barrier.wait()  # both processes start writing the same files at the same moment
        write_synthetic_fashion_mnist(root, **SMALL)
        stamp = Path(root) / "FashionMNIST" / "raw" / "SYNTHETIC"
        stamp.unlink(missing_ok=True)  # the next round writes everything again, racing the other process


def test_two_processes_preparing_the_same_folder_at_once(tmp_path):
    """Two notebooks (or test workers) start at the same moment: neither crashes, no file is half-written.

    With one shared temporary name per file (the old writer), one process renamed the other's temporary file
    away and the other died with FileNotFoundError within these ten rounds.
    """
    fork = multiprocessing.get_context("fork")  # a copy of this process: no second start-up of torch
    barrier = fork.Barrier(2)
    procs = [fork.Process(target=_prepare_repeatedly, args=(str(tmp_path), barrier)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    raw = write_synthetic_fashion_mnist(tmp_path, **SMALL)
    assert_whole_synthetic(raw)


def test_concurrent_downloads_of_the_same_file(mirror, tmp_path):  # noqa: F811
    """Two threads fetching the same archive each write their own temporary file; both succeed."""
    import threading

    results = []

    def prepare():
        try:
            results.append(du.data.FASHION_MNIST.ensure(tmp_path))
        except Exception as err:  # collected, so the assertion shows it
            results.append(err)

    threads = [threading.Thread(target=prepare) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    raw = tmp_path / "FashionMNIST" / "raw"
    assert results == [raw] * 3
    assert_intact(raw, mirror)
    assert not [p.name for p in raw.iterdir() if p.name.endswith(".part")]


@pytest.mark.bad_input
def test_real_mode_never_accepts_the_synthetic_files(shared_data_dir):
    """Synthetic files where the real ones belong have the right sizes and headers, but are not taken."""
    du.load_data_fashion_mnist(64, synthetic=True)  # full size: Fashion-MNIST's byte counts (written once)
    with pytest.raises(du.DataUnavailableError) as info:
        du.data.FASHION_MNIST.ensure(shared_data_dir / "synthetic", mirrors=[OFFLINE], timeout=5)
    message = str(info.value)
    assert "train-images-idx3-ubyte is not verified as Fashion-MNIST (not extracted from a checked archive)" in message
    assert "set D2L_SYNTHETIC=1" in message


@pytest.mark.bad_input
def test_labels_outside_0_to_9_in_real_files_are_reported(mirror, monkeypatch, tmp_path):  # noqa: F811
    labels = mirror.arrays["t10k-labels-idx1-ubyte"].copy()
    labels[3] = 12
    body = b"\x00\x00\x08\x01" + len(labels).to_bytes(4, "big") + labels.tobytes()
    mirror.files["t10k-labels-idx1-ubyte.gz"] = gzip.compress(body, mtime=0)
    resources = [(name, hashlib.md5(data).hexdigest()) for name, data in mirror.files.items()]
    monkeypatch.setattr(torchvision.datasets.FashionMNIST, "resources", resources)
    with pytest.raises(du.DataUnavailableError, match=r"t10k-labels-idx1-ubyte holds labels from \d to 12, but "
                                                      r"Fashion-MNIST's classes are 0 to 9"):  # fmt: skip
        du.load_data_fashion_mnist(4, synthetic=False, data_dir=tmp_path)


@pytest.mark.bad_input
def test_read_only_folder_with_complete_real_data_loads(mirror, read_only, tmp_path):  # noqa: F811
    raw = du.data.FASHION_MNIST.ensure(tmp_path)
    for stamp in raw.glob(".*.verified"):  # as prepared by torchvision itself: no stamps, only the archives
        stamp.unlink()
    read_only()
    train_iter, test_iter = du.load_data_fashion_mnist(4, synthetic=False, data_dir=tmp_path)
    assert (train_iter.num_examples, test_iter.num_examples) == (60, 10)


@pytest.mark.bad_input
def test_read_only_folder_with_complete_synthetic_data_loads(read_only):
    du.load_data_fashion_mnist(64, synthetic=True)
    read_only()
    train_iter, _ = du.load_data_fashion_mnist(64, synthetic=True)
    assert train_iter.num_examples == 60_000


@pytest.mark.bad_input
def test_truncated_synthetic_file_is_rewritten(tmp_path):
    raw = write_synthetic_fashion_mnist(tmp_path, **SMALL)
    path = raw / "train-images-idx3-ubyte"
    whole = path.read_bytes()
    path.write_bytes(whole[:5000])
    write_synthetic_fashion_mnist(tmp_path, **SMALL)
    assert path.read_bytes() == whole


@pytest.mark.bad_input
def test_truncated_synthetic_file_in_a_read_only_folder_is_reported_in_our_words(read_only, monkeypatch, tmp_path):
    monkeypatch.setattr(du_data, "write_synthetic_fashion_mnist", lambda root: write_synthetic_fashion_mnist(
        root, **SMALL))  # fmt: skip
    du.load_data_fashion_mnist(64, synthetic=True, data_dir=tmp_path)
    path = tmp_path / "synthetic" / "FashionMNIST" / "raw" / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:1000])
    read_only()
    with pytest.raises(du.DataUnavailableError, match=r"Cannot write to the data directory .*synthetic.*Point "
                                                      r"D2L_DATA_DIR at a folder you can write to"):  # fmt: skip
        du.load_data_fashion_mnist(64, synthetic=True, data_dir=tmp_path)


def test_fast_loader_places_the_data_at_load_time(monkeypatch):
    train_iter, test_iter = du.load_data_fashion_mnist(64, synthetic=True, max_train_examples=128, device="cpu")
    assert train_iter.device.type == test_iter.device.type == "cpu"
    monkeypatch.setattr(du_data, "try_gpu", lambda: torch.device("cpu"))
    train_iter, _ = du.load_data_fashion_mnist(64, synthetic=True, max_train_examples=128)
    assert train_iter.device.type == "cpu"


def test_default_placement_keeps_a_large_data_set_off_a_small_gpu(monkeypatch):
    """By default the data goes to the GPU only when it takes under a quarter of its free memory (mocked GPU)."""
    monkeypatch.setattr(du_data, "try_gpu", lambda: torch.device("cuda:0"))
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (30_000, 80_000))
    assert du_data._placement(None, 10_000) == torch.device("cpu")
    assert du_data._placement(None, 7_000) == torch.device("cuda:0")
    assert du_data._placement("cpu", 7_000) == torch.device("cpu")


@pytest.mark.bad_input
def test_data_on_a_missing_device_is_refused():
    with pytest.raises(du.DeviceNotAvailableError, match="cuda:3 was requested"):
        du.load_data_fashion_mnist(64, synthetic=True, max_train_examples=128, device="cuda:3")


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(b"old")
    with pytest.raises(OSError, match="disk full"), atomic_write(path) as tmp:
        tmp.write_bytes(b"half")
        raise OSError("disk full")
    assert path.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["file.bin"]
    with atomic_write(path) as tmp:
        tmp.write_bytes(b"new")
    assert path.read_bytes() == b"new" and oct(path.stat().st_mode & 0o777) == oct(0o644)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.bin"]


@pytest.mark.bad_input
@pytest.mark.parametrize("name", ["t10k-labels-idx1-ubyte", "t10k-labels-idx1-ubyte.gz"])
def test_a_data_file_replaced_by_a_folder_is_named_with_the_fix(mirror, tmp_path, name):  # noqa: F811
    raw = du_data.FASHION_MNIST.ensure(tmp_path)
    (raw / name).unlink()
    (raw / name).mkdir()
    with pytest.raises(du.DataUnavailableError) as info:
        du.load_data_fashion_mnist(4, synthetic=False, data_dir=tmp_path)
    assert f"{raw / name} is a folder, not a file: move it away or delete it" in str(info.value)
    assert (raw / name).is_dir(), "the learner's folder is left as it was"


@pytest.mark.bad_input
@pytest.mark.parametrize("quote", ['"', "'"])
def test_quotes_around_the_data_dir_are_not_part_of_its_name(monkeypatch, tmp_path, quote):
    monkeypatch.setenv("D2L_DATA_DIR", f"{quote}{tmp_path / 'data'}{quote}")
    assert config.data_dir() == (tmp_path / "data").resolve()
    monkeypatch.setenv("D2L_DATA_DIR", f"{tmp_path / 'data'}{quote}")  # one quote alone is part of the name
    assert config.data_dir().name == "data" + quote


def test_a_numpy_integer_is_a_resize(tmp_path):
    train_iter, _ = du.load_data_fashion_mnist(4, resize=np.int64(32), synthetic=True, data_dir=tmp_path,
                                               max_train_examples=4, max_test_examples=4)  # fmt: skip
    assert train_iter.resize == (32, 32) and next(iter(train_iter))[0].shape == (4, 1, 32, 32)
