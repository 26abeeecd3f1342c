"""Which MNIST files the course trusts: official archives, re-compressed copies and extracted files verify; others not.

Tiny fake MNIST files (60 + 10 images in the real IDX format) stand in for the real ones: the data set's
description is patched so that their MD5 sums are "official", so the real code path runs without real data and
without a network.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib

import numpy as np
import pytest
import torchvision
from test_download import OFFLINE, FakeMirror

import d2l_utils as du
from d2l_utils import data as du_data
from d2l_utils.guard_rails.files import write_idx

SIZES = {"train": 60, "t10k": 10}
NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@pytest.fixture
def fake_mnist(monkeypatch, tmp_path):
    """The uncompressed bytes of four small MNIST-format files, patched in as MNIST's (archives: gzip, mtime 0)."""
    rng = np.random.default_rng(1)
    content = {}
    for name in NAMES:
        n = SIZES[name.split("-")[0]]
        array = (
            rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
            if "images" in name
            else rng.integers(0, 10, n, dtype=np.uint8)
        )
        write_idx(tmp_path / name, array)
        content[name] = (tmp_path / name).read_bytes()
        (tmp_path / name).unlink()
    official = {name + ".gz": gzip.compress(body, mtime=0) for name, body in content.items()}
    monkeypatch.setattr(torchvision.datasets.MNIST, "resources",
                        [(gz, hashlib.md5(body).hexdigest()) for gz, body in official.items()])  # fmt: skip
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [OFFLINE])
    small = dataclasses.replace(
        du_data.MNIST, train_size=SIZES["train"], test_size=SIZES["t10k"],
        content_md5s=tuple((name, hashlib.md5(body).hexdigest()) for name, body in content.items()),
    )  # fmt: skip
    monkeypatch.setattr(du_data, "MNIST", small)
    return {"content": content, "official": official}


def recompressed(body: bytes) -> bytes:
    """The same content gzipped differently (as a copy made elsewhere): its archive MD5 is not the official one."""
    return gzip.compress(body, compresslevel=1, mtime=1_700_000_000)


def put(raw, files: dict[str, bytes]) -> None:
    raw.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (raw / name).write_bytes(body)


def stamp(raw, name: str) -> str:
    return (raw / f".{name}.verified").read_text().split(" ")[0]


def test_official_archives_in_an_offline_folder_verify(fake_mnist, tmp_path, capsys):
    raw = tmp_path / "MNIST" / "raw"
    put(raw, fake_mnist["official"])
    assert du.data.MNIST.ensure(tmp_path) == raw  # the mirror is unreachable: nothing is downloaded
    assert stamp(raw, "t10k-images-idx3-ubyte").startswith("archive-md5=")
    train_iter, test_iter = du.load_data_mnist(16, data_dir=tmp_path, device="cpu")
    assert (train_iter.num_examples, test_iter.num_examples) == (60, 10)
    assert train_iter.source == du.data.DataSource("MNIST", True, False, 60, 10)
    assert "synthetic" not in capsys.readouterr().out.lower()


def test_recompressed_archives_verify_by_their_content(fake_mnist, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    copies = {name + ".gz": recompressed(body) for name, body in fake_mnist["content"].items()}
    assert all(copies[gz] != fake_mnist["official"][gz] for gz in copies)
    put(raw, copies)
    du.data.MNIST.ensure(tmp_path)
    for name, body in fake_mnist["content"].items():
        assert (raw / name).read_bytes() == body
        assert stamp(raw, name).startswith("content-md5=")
    train_iter, _ = du.load_data_mnist(16, data_dir=tmp_path, device="cpu")
    assert train_iter.source.verified_real


def test_extracted_files_alone_verify(fake_mnist, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    put(raw, fake_mnist["content"])
    du.data.MNIST.ensure(tmp_path, download=False)
    assert sorted(p.name for p in raw.iterdir()) == sorted([*NAMES, *(f".{n}.verified" for n in NAMES)])


@pytest.mark.bad_input
def test_a_file_with_another_md5_is_refused(fake_mnist, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    changed = dict(fake_mnist["content"])
    body = bytearray(changed["train-images-idx3-ubyte"])
    body[-1] ^= 0xFF  # one pixel: still a whole IDX file of the right size
    changed["train-images-idx3-ubyte"] = bytes(body)
    put(raw, changed)
    with pytest.raises(du.DataUnavailableError) as info:
        du.data.MNIST.ensure(tmp_path)
    message = str(info.value)
    assert "train-images-idx3-ubyte is not verified as MNIST (neither extracted from a checked archive nor " \
           "with MNIST's MD5 sum)" in message  # fmt: skip
    assert OFFLINE + "train-images-idx3-ubyte.gz" in message
    assert message.count("  - ") == 1, "the three genuine files verify"
    with pytest.raises(du.DataUnavailableError):
        du.load_data_mnist(16, synthetic=False, data_dir=tmp_path)


@pytest.mark.bad_input
def test_a_recompressed_archive_of_other_content_is_refused(fake_mnist, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    body = bytearray(fake_mnist["content"]["t10k-labels-idx1-ubyte"])
    body[-1] = (body[-1] + 1) % 10
    put(raw, {"t10k-labels-idx1-ubyte.gz": recompressed(bytes(body))})
    with pytest.raises(du.DataUnavailableError, match=r"t10k-labels-idx1-ubyte is missing and t10k-labels-idx1-ubyte"
                                                      r"\.gz fails its MD5 checksum \(damaged\)"):  # fmt: skip
        du.data.MNIST.ensure(tmp_path, download=False)
    assert not (raw / "t10k-labels-idx1-ubyte").exists()


@pytest.mark.bad_input
def test_a_verified_file_changed_afterwards_is_checked_again(fake_mnist, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    put(raw, fake_mnist["content"])
    du.data.MNIST.ensure(tmp_path, download=False)
    path = raw / "t10k-images-idx3-ubyte"
    body = bytearray(path.read_bytes())
    body[100] ^= 0x01
    path.write_bytes(bytes(body))  # same size, new modification time: the stamp no longer vouches for it
    with pytest.raises(du.DataUnavailableError, match="t10k-images-idx3-ubyte is not verified as MNIST"):
        du.data.MNIST.ensure(tmp_path, download=False)


def test_download_accepts_a_mirror_serving_recompressed_archives(fake_mnist, tmp_path):
    server = FakeMirror(tmp_path / "served")  # its own files are replaced by ours
    try:
        server.files.clear()
        server.files.update({name + ".gz": recompressed(body) for name, body in fake_mnist["content"].items()})
        raw = du.data.MNIST.ensure(tmp_path / "data", mirrors=[OFFLINE, server.url.rstrip("/")])
        assert sorted(server.requests) == sorted(n + ".gz" for n in NAMES)
        for name, body in fake_mnist["content"].items():
            assert (raw / name).read_bytes() == body
    finally:
        server.close()


@pytest.mark.bad_input
def test_offline_error_says_where_it_looked_and_what_to_do(fake_mnist, tmp_path):
    with pytest.raises(du.DataUnavailableError) as info:
        du.load_data_mnist(16, synthetic=False, data_dir=tmp_path)
    message = str(info.value)
    raw = tmp_path / "MNIST" / "raw"
    assert f"MNIST is not available in {raw}." in message
    assert all(f"{name}: {name} is missing; the download failed: {OFFLINE}{name}.gz" in message for name in NAMES)
    assert "connect to the internet and run again" in message and "(or the four extracted files)" in message
    assert "set D2L_DATA_DIR to a folder holding MNIST/raw" in message and "D2L_SYNTHETIC=1" in message
    assert not list(raw.iterdir()), "nothing half-written is left behind"


@pytest.mark.bad_input
def test_read_only_folder_with_complete_data_loads(fake_mnist, tmp_path, monkeypatch):
    import os
    import tempfile

    raw = tmp_path / "MNIST" / "raw"
    put(raw, fake_mnist["content"])  # extracted, never stamped

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    for module, name in ((tempfile, "mkstemp"), (tempfile, "TemporaryFile"), (os, "replace")):
        monkeypatch.setattr(module, name, refuse)
    train_iter, _ = du.load_data_mnist(16, data_dir=tmp_path, device="cpu")
    assert train_iter.source.verified_real and train_iter.num_examples == 60


def test_smoke_mode_takes_a_subset_of_real_files_on_disk(fake_mnist, tmp_path, monkeypatch, capsys):
    put(tmp_path / "MNIST" / "raw", fake_mnist["official"])
    monkeypatch.setenv("D2L_SMOKE", "1")
    train_iter, _ = du.load_data_mnist(16, data_dir=tmp_path, device="cpu")
    out = capsys.readouterr().out
    assert "Smoke mode (D2L_SMOKE=1): MNIST cut to" in out and "synthetic" not in out.lower()
    assert train_iter.source.verified_real and train_iter.source.smoke
    assert du.get_mnist_labels([7]) == ["7"]


@pytest.mark.parametrize("mode", ["D2L_SMOKE", "D2L_SYNTHETIC"])
def test_without_real_files_the_stand_in_says_synthetic_and_never_mnist(fake_mnist, monkeypatch, capsys, mode):
    monkeypatch.setenv(mode, "1")
    train_iter, test_iter = du.load_data_mnist(64, device="cpu")
    out = capsys.readouterr().out
    assert "SYNTHETIC stand-in" in out and "not digits" in out
    for it in (train_iter, test_iter):
        assert not it.source.verified_real
        assert "synthetic" in it.source.name and "MNIST" not in it.source.name
        assert "synthetic" in repr(it) and "MNIST" not in repr(it)
    labels = du.get_mnist_labels([0, 7])
    assert labels == ["synthetic 0 (T-shirt-like)", "synthetic 7 (sneaker-like)"]
    assert not any(label.isdigit() for label in labels)


def test_the_stand_in_is_taken_when_asked_for_even_with_real_files(fake_mnist, tmp_path, monkeypatch):
    put(tmp_path / "MNIST" / "raw", fake_mnist["content"])
    monkeypatch.setenv("D2L_SYNTHETIC", "1")
    real, _ = du.load_data_mnist(16, data_dir=tmp_path, device="cpu")
    stand_in, _ = du.load_data_mnist(16, synthetic=True, data_dir=tmp_path, device="cpu", max_train_examples=64)
    assert real.source.verified_real and real.num_examples == 60
    assert not stand_in.source.verified_real and stand_in.num_examples == 64
    assert du.get_mnist_labels([1])[0].startswith("synthetic")  # follows the latest load


def test_the_build_log_records_every_load_and_pass(fake_mnist, tmp_path, monkeypatch):
    put(tmp_path / "MNIST" / "raw", fake_mnist["content"])
    log = tmp_path / "used.jsonl"
    monkeypatch.setenv("D2L_DATA_LOG", str(log))
    train_iter, test_iter = du.load_data_mnist(16, data_dir=tmp_path, device="cpu")
    for _ in test_iter:
        pass
    lines = log.read_text().splitlines()  # the load, then one pass
    assert len(lines) == 2 and '"verified_real": true' in lines[0] and '"smoke": false' in lines[0]


@pytest.mark.bad_input
@pytest.mark.parametrize(
    ("mirrors", "message"),
    [
        ("https://example.org/mnist/", r"got the single string 'https://example.org/mnist/': write mirrors=\["),
        ([], "mirrors is empty: name at least one base address"),
        ([None], "every mirror must be a base address"),
    ],
)
def test_bad_mirrors_are_refused_before_any_download(fake_mnist, tmp_path, mirrors, message):
    for ensure in (du.data.MNIST.ensure, du.data.FASHION_MNIST.ensure):
        with pytest.raises(ValueError, match=message):
            ensure(tmp_path, mirrors=mirrors)
    assert not (tmp_path / "MNIST").exists()


@pytest.mark.bad_input
@pytest.mark.parametrize("label", [10, -1, 255])
def test_text_labels_of_classes_that_do_not_exist_are_refused(label):
    for helper, name in ((du.get_mnist_labels, "MNIST"), (du.get_fashion_mnist_labels, "Fashion-MNIST")):
        for synthetic in (False, True):
            with pytest.raises(ValueError, match=rf"label {label} is not a class of {name}: its classes are 0 to 9"):
                helper([3, label], synthetic=synthetic)


@pytest.mark.bad_input
def test_text_labels_of_scores_are_refused():
    import torch

    with pytest.raises(ValueError, match=r"labels must be whole numbers \(class indices 0 to 9\), got 0\.5"):
        du.get_mnist_labels(torch.tensor([0.5, 2.0]), synthetic=False)
    assert du.get_mnist_labels(torch.tensor([2, 9]), synthetic=False) == ["2", "9"]
