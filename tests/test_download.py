"""Downloading Fashion-MNIST safely, against a local HTTP server (the internet is never contacted).

The server holds small IDX files in the real format; torchvision's MD5 sums and the expected example counts are
patched to match them, so the real code path runs: download to a temporary file, check the MD5, rename, extract,
check the IDX structure, then read through torchvision.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.server
import threading
import time

import numpy as np
import pytest
import torch
import torchvision

import d2l_utils as du
from d2l_utils import data as du_data
from d2l_utils.guard_rails import files as du_files
from d2l_utils.guard_rails.files import idx_problem, write_idx

OFFLINE = "http://127.0.0.1:9/"  # the discard port: nothing listens, so the connection is refused at once
SIZES = {"train": 60, "t10k": 10}


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        server = self.server
        name = self.path.lstrip("/")
        server.requests.append(name)
        body, mode = server.files.get(name), server.modes.get(name, "ok")
        if body is None:
            self.send_error(404)
            return
        if mode == "slow":
            time.sleep(1.5)
        if mode == "corrupt":
            body = body[:-10] + b"0123456789"
        self.send_response(200)
        if mode == "truncate-chunked":  # chunked transfer, cut inside a chunk
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(f"{len(body):x}\r\n".encode() + body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "truncate":  # the connection drops half way
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class FakeMirror:
    def __init__(self, tmp_path):
        rng = np.random.default_rng(0)
        self.arrays = {}
        for split, n in SIZES.items():
            self.arrays[f"{split}-images-idx3-ubyte"] = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
            self.arrays[f"{split}-labels-idx1-ubyte"] = rng.integers(0, 10, n, dtype=np.uint8)
        self.files = {}
        for name, array in self.arrays.items():
            write_idx(tmp_path / name, array)
            self.files[name + ".gz"] = gzip.compress((tmp_path / name).read_bytes(), mtime=0)
            (tmp_path / name).unlink()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.files, self.server.modes, self.server.requests = self.files, {}, []
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def modes(self):
        return self.server.modes

    @property
    def requests(self):
        return self.server.requests

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mirror(monkeypatch, tmp_path):
    fake = FakeMirror(tmp_path)
    resources = [(name, hashlib.md5(body).hexdigest()) for name, body in fake.files.items()]
    monkeypatch.setattr(torchvision.datasets.FashionMNIST, "resources", resources)
    monkeypatch.setattr(torchvision.datasets.FashionMNIST, "mirrors", [fake.url])
    small = dataclasses.replace(du_data.FASHION_MNIST, train_size=SIZES["train"], test_size=SIZES["t10k"])
    monkeypatch.setattr(du_data, "FASHION_MNIST", small)
    yield fake
    fake.close()


def assert_intact(raw, mirror, names=None):
    for name in names or mirror.arrays:
        data = (raw / name).read_bytes()
        header = 16 if "images" in name else 8
        assert np.array_equal(np.frombuffer(data[header:], dtype=np.uint8), mirror.arrays[name].ravel()), name


def test_download_verify_extract_and_read(mirror, tmp_path, capsys):
    root = tmp_path / "data"
    raw = du.data.FASHION_MNIST.ensure(root)
    assert raw == root / "FashionMNIST" / "raw"
    stamps = [f".{name}.verified" for name in mirror.arrays]  # each file was extracted from a checked archive
    assert sorted(p.name for p in raw.iterdir()) == sorted([*mirror.arrays, *mirror.files, *stamps])
    assert_intact(raw, mirror)
    assert sorted(mirror.requests) == sorted(mirror.files)

    train_iter, test_iter = du.load_data_fashion_mnist(4, synthetic=False, data_dir=root)
    assert "synthetic" not in capsys.readouterr().out.lower()
    assert (train_iter.num_examples, test_iter.num_examples) == (60, 10)
    assert train_iter.description == "Fashion-MNIST"
    X, y = (t.cpu() for t in next(iter(test_iter)))  # served on the training device (a GPU where there is one)
    assert torch.equal(y, torch.from_numpy(mirror.arrays["t10k-labels-idx1-ubyte"][:4]).long())
    torch.testing.assert_close(X[:, 0], torch.from_numpy(mirror.arrays["t10k-images-idx3-ubyte"][:4]).float() / 255)

    du.load_data_fashion_mnist(4, synthetic=False, data_dir=root)
    assert len(mirror.requests) == 4, "files on disk must be reused, not downloaded again"


def test_download_goes_to_d2l_data_dir(mirror, monkeypatch, tmp_path):
    monkeypatch.setenv("D2L_DATA_DIR", str(tmp_path / "env-dir"))
    train_iter, _ = du.load_data_fashion_mnist(8, synthetic=False, loader="dataloader", num_workers=0)
    assert (tmp_path / "env-dir" / "FashionMNIST" / "raw" / "train-images-idx3-ubyte").exists()
    assert len(train_iter.dataset) == 60


@pytest.mark.bad_input
def test_next_mirror_is_tried(mirror, tmp_path):
    raw = du.data.FASHION_MNIST.ensure(tmp_path, mirrors=[OFFLINE, mirror.url])
    assert_intact(raw, mirror)


@pytest.mark.bad_input
@pytest.mark.parametrize(
    ("mode", "reason"), [("truncate", "checksum mismatch"), ("truncate-chunked", "IncompleteRead")]
)
def test_interrupted_download_leaves_nothing_that_looks_complete(mirror, tmp_path, mode, reason):
    mirror.modes["train-images-idx3-ubyte.gz"] = mode
    with pytest.raises(du.DataUnavailableError) as info:
        du.data.FASHION_MNIST.ensure(tmp_path)
    message = str(info.value)
    assert "train-images-idx3-ubyte is missing; the download failed" in message
    assert reason in message
    assert mirror.url + "train-images-idx3-ubyte.gz" in message
    raw = tmp_path / "FashionMNIST" / "raw"
    left = sorted(p.name for p in raw.iterdir())
    assert not any(n.endswith(".part") for n in left), left
    assert "train-images-idx3-ubyte" not in left and "train-images-idx3-ubyte.gz" not in left
    others = [n for n in mirror.arrays if n != "train-images-idx3-ubyte"]
    assert_intact(raw, mirror, others)  # what did arrive is kept, complete

    mirror.modes.clear()
    du.data.FASHION_MNIST.ensure(tmp_path)
    assert_intact(raw, mirror)
    assert mirror.requests.count("train-labels-idx1-ubyte.gz") == 1, "finished files are not fetched again"


@pytest.mark.bad_input
def test_damaged_download_is_rejected_by_checksum(mirror, tmp_path):
    mirror.modes["t10k-labels-idx1-ubyte.gz"] = "corrupt"
    with pytest.raises(du.DataUnavailableError, match="t10k-labels-idx1-ubyte.gz: checksum mismatch"):
        du.data.FASHION_MNIST.ensure(tmp_path)
    raw = tmp_path / "FashionMNIST" / "raw"
    assert not (raw / "t10k-labels-idx1-ubyte.gz").exists() and not (raw / "t10k-labels-idx1-ubyte").exists()
    assert not list(raw.glob("*.part"))


@pytest.mark.bad_input
def test_stalled_server_times_out(mirror, tmp_path):
    mirror.modes["t10k-labels-idx1-ubyte.gz"] = "slow"
    with pytest.raises(du.DataUnavailableError, match="t10k-labels-idx1-ubyte.*timed out"):
        du.data.FASHION_MNIST.ensure(tmp_path, timeout=0.3)
    assert not list((tmp_path / "FashionMNIST" / "raw").glob("*.part"))


@pytest.mark.bad_input
def test_offline_error_says_where_and_how(tmp_path):
    """Offline, the book's loader fails with a raw network traceback."""
    with pytest.raises(du.DataUnavailableError) as info:
        du.data.FASHION_MNIST.ensure(tmp_path, mirrors=[OFFLINE], timeout=5)
    message = str(info.value)
    raw = tmp_path / "FashionMNIST" / "raw"
    assert f"Fashion-MNIST is not available in {raw}." in message
    for gz_name, _ in torchvision.datasets.FashionMNIST.resources:
        assert OFFLINE + gz_name in message
        assert gz_name in message.split("copy the four files")[1]
    assert "connect to the internet and run again" in message
    assert "D2L_DATA_DIR" in message and "D2L_SYNTHETIC=1" in message
    assert not list(raw.iterdir()), "nothing half-written is left behind"


@pytest.mark.bad_input
def test_offline_through_load_data(monkeypatch, shared_data_dir):
    monkeypatch.setattr(torchvision.datasets.FashionMNIST, "mirrors", [OFFLINE])
    with pytest.raises(du.DataUnavailableError, match=f"not available in {shared_data_dir}"):
        du.load_data_fashion_mnist(256, synthetic=False)


@pytest.mark.bad_input
def test_download_false(mirror, tmp_path):
    with pytest.raises(du.DataUnavailableError, match=r"is missing; not downloaded \(download=False\)") as info:
        du.data.FASHION_MNIST.ensure(tmp_path, download=False)
    assert mirror.requests == []
    # Fashion-MNIST publishes no MD5 of its extracted files, so only the archives can be copied in by hand.
    assert "copy the four files" in str(info.value) and "extracted files" not in str(info.value)


@pytest.mark.bad_input
def test_truncated_extracted_file_is_repaired_from_verified_archive(mirror, tmp_path):
    raw = du.data.FASHION_MNIST.ensure(tmp_path)
    path = raw / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:1000])
    du.data.FASHION_MNIST.ensure(tmp_path, mirrors=[OFFLINE])  # the .gz passed its MD5 check: no network needed
    assert_intact(raw, mirror)


@pytest.mark.bad_input
def test_corrupt_files_are_reported_with_the_fix(mirror, tmp_path):
    raw = du.data.FASHION_MNIST.ensure(tmp_path)
    path = raw / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:1000])
    (raw / "train-images-idx3-ubyte.gz").write_bytes(b"not a gzip file")
    with pytest.raises(du.DataUnavailableError) as info:
        du.data.FASHION_MNIST.ensure(tmp_path, mirrors=[OFFLINE], timeout=5)
    message = str(info.value)
    expected = 16 + 60 * 28 * 28
    assert f"train-images-idx3-ubyte is corrupt: 1,000 bytes where {expected:,} were expected" in message
    assert "train-images-idx3-ubyte.gz fails its MD5 checksum (damaged)" in message
    assert "damaged files are replaced" in message and "copy the four files" in message
    assert_intact(raw, mirror, [n for n in mirror.arrays if n != "train-images-idx3-ubyte"])

    du.data.FASHION_MNIST.ensure(tmp_path)  # back online: the damaged files are replaced
    assert_intact(raw, mirror)


@pytest.mark.bad_input
def test_wrong_header_is_detected(mirror, tmp_path):
    raw = du.data.FASHION_MNIST.ensure(tmp_path)
    path = raw / "t10k-labels-idx1-ubyte"
    data = bytearray(path.read_bytes())
    data[7] = 99  # the example count in the header
    path.write_bytes(bytes(data))
    assert idx_problem(path, 10) == "corrupt: its IDX header is wrong"
    du.data.FASHION_MNIST.ensure(tmp_path, mirrors=[OFFLINE])
    assert_intact(raw, mirror)


@pytest.mark.bad_input
def test_unwritable_data_dir(monkeypatch, tmp_path):
    """Tests run as root, who may write anywhere: a path below a regular file cannot be created by anyone."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(du.DataUnavailableError) as info:
        du.data.FASHION_MNIST.ensure(blocker / "data", mirrors=[OFFLINE])
    message = str(info.value)
    assert f"Cannot write to the data directory {blocker / 'data'}" in message
    assert "Point D2L_DATA_DIR at a folder you can write to" in message
    monkeypatch.setenv("D2L_DATA_DIR", str(blocker / "data"))
    with pytest.raises(du.DataUnavailableError, match="Point D2L_DATA_DIR at a folder you can write to"):
        du.load_data_fashion_mnist(64, synthetic=True)
    assert blocker.read_text() == "not a folder"


@pytest.mark.bad_input
def test_ctrl_c_during_download_leaves_no_part_file(mirror, monkeypatch, tmp_path):
    def interrupted_copy(src, dst, *args):
        dst.write(src.read(100))
        raise KeyboardInterrupt

    monkeypatch.setattr(du_files.shutil, "copyfileobj", interrupted_copy)
    with pytest.raises(KeyboardInterrupt):
        du.data.FASHION_MNIST.ensure(tmp_path)
    assert list((tmp_path / "FashionMNIST" / "raw").iterdir()) == []
