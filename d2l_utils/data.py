"""Fashion-MNIST for the course: one data directory, a safe download, synthetic and smoke modes, fast batches.

``load_data_fashion_mnist`` is the book's function of the same name. By default it reads the real data set
with torchvision (downloading it once into :func:`d2l_utils.config.data_dir`) and serves batches from an
in-memory tensor (:class:`InMemoryBatches`), which is several times faster than a DataLoader that converts PIL
images in worker processes. ``loader="dataloader"`` gives the classic torchvision DataLoader pipeline.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import math
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

import torch
import torchvision
from torch.nn import functional as F
from torch.utils import data
from torchvision import transforms

from . import config
from .devices import resolve_device, try_gpu
from .guard_rails.checks import atomic_write
from .idx import idx_problem
from .synthetic import IDX_FILES, SYNTHETIC_CLASS_NAMES, write_synthetic_fashion_mnist

TEXT_LABELS = (
    "t-shirt", "trouser", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "ankle boot",
)  # fmt: skip
_EXPECTED_COUNTS = {"train": 60_000, "t10k": 10_000}

Loader = Literal["fast", "dataloader"]


class DataUnavailableError(RuntimeError):
    """Fashion-MNIST is neither on disk nor downloadable (offline, blocked, corrupt, or not writable)."""


def get_fashion_mnist_labels(labels: Sequence[int] | torch.Tensor, synthetic: bool | None = None) -> list[str]:
    """Text labels for numeric Fashion-MNIST labels, as the book's function.

    On the synthetic stand-in (``synthetic=None`` follows ``D2L_SYNTHETIC``/``D2L_SMOKE``) the names say so, e.g.
    ``"synthetic 7 (sneaker-like)"``: its classes only resemble Fashion-MNIST's, and a plot must not pretend.
    """
    if synthetic is None:
        synthetic = config.synthetic_mode()
    if synthetic:
        return [f"synthetic {int(i)} ({SYNTHETIC_CLASS_NAMES[int(i)]})" for i in labels]
    return [TEXT_LABELS[int(i)] for i in labels]


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _ensure_writable(folder: Path) -> None:
    """Raise :class:`DataUnavailableError` naming ``folder`` and the fix unless files can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise _unwritable(folder, err) from err


def _unwritable(folder: Path, err: OSError) -> DataUnavailableError:
    return DataUnavailableError(
        f"Cannot write to the data directory {folder} ({err.strerror or err}). "
        f"Point {config.DATA_DIR_ENV} at a folder you can write to, e.g. "
        f"`export {config.DATA_DIR_ENV}=$HOME/d2l-data`."
    )


class _Damaged(Exception):
    """A downloaded file failed its MD5 check."""


def _download_verified(urls: Sequence[str], target: Path, md5: str, timeout: float) -> list[str]:
    """Download one gzip file to ``target`` via a temporary file, keeping it only if its MD5 matches.

    Returns the list of failures (empty on success). An interrupted or damaged download leaves nothing behind,
    and two processes downloading the same file at once each write their own temporary file.
    """
    failures = []
    for url in urls:
        try:
            with atomic_write(target) as part:
                with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as out:
                    shutil.copyfileobj(response, out)
                if _md5(part) != md5:
                    raise _Damaged
            return []
        except _Damaged:
            failures.append(f"{url}: checksum mismatch (damaged download)")
        except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as err:
            failures.append(f"{url}: {getattr(err, 'reason', None) or err}")
    return failures


def _extract_atomically(gz_path: Path, target: Path) -> None:
    with atomic_write(target) as part, gzip.open(gz_path, "rb") as src, open(part, "wb") as dst:
        shutil.copyfileobj(src, dst)


def _verified_stamp(raw: Path, name: str) -> Path:
    return raw / f".{name}.verified"


def _stamp_text(path: Path, md5: str) -> str:
    """What the stamp of an extracted file records: the archive's MD5 and the file's size and modification time."""
    stat = path.stat()
    return f"archive-md5={md5} size={stat.st_size} mtime_ns={stat.st_mtime_ns}\n"


def _is_verified(raw: Path, name: str, md5: str) -> bool:
    """True when ``raw/name`` was extracted from the archive with checksum ``md5`` and not changed since.

    The stamp is written after extracting a checked archive (or after comparing the file with one), so the
    synthetic stand-in's files, or any other files of the right size, are never taken for Fashion-MNIST.
    """
    stamp = _verified_stamp(raw, name)
    return stamp.exists() and stamp.read_text() == _stamp_text(raw / name, md5)


def _record_verified(raw: Path, name: str, md5: str) -> None:
    """Write the stamp; in a read-only folder skip it (the file is then compared with its archive each time)."""
    with contextlib.suppress(OSError), atomic_write(_verified_stamp(raw, name)) as tmp:
        tmp.write_text(_stamp_text(raw / name, md5))


def _matches_archive(gz_path: Path, path: Path) -> bool:
    """True when ``path`` holds exactly the decompressed content of ``gz_path`` (compared chunk by chunk)."""
    with gzip.open(gz_path, "rb") as src, open(path, "rb") as extracted:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            if extracted.read(len(chunk)) != chunk:
                return False
        return extracted.read(1) == b""


def _ensure_file(raw: Path, gz_name: str, md5: str, mirrors: Sequence[str] | None, timeout: float) -> str | None:
    """Make ``raw/<name>`` a whole extraction of the archive with checksum ``md5``; return what failed, or None.

    ``mirrors=None`` means: do not download.
    """
    name = gz_name.removesuffix(".gz")
    path, gz_path = raw / name, raw / gz_name
    expected_count = _EXPECTED_COUNTS[name.split("-")[0]]
    found = idx_problem(path, expected_count)
    if found is None and _is_verified(raw, name, md5):
        return None
    archive_ok = gz_path.exists() and _md5(gz_path) == md5
    if found is None and archive_ok and _matches_archive(gz_path, path):
        _record_verified(raw, name, md5)
        return None
    found = f"{name} is {found or 'not verified as Fashion-MNIST (not extracted from a checked archive)'}"
    if not archive_ok:
        if gz_path.exists():
            found += f" and {gz_name} fails its MD5 checksum (damaged)"
        if mirrors is None:
            return f"{found}; not downloaded (download=False)"
        _ensure_writable(raw)
        failures = _download_verified([m + gz_name for m in mirrors], gz_path, md5, timeout)
        if failures:
            return f"{found}; the download failed: " + "; ".join(failures)
    _ensure_writable(raw)
    _extract_atomically(gz_path, path)
    problem = idx_problem(path, expected_count)
    if problem:
        path.unlink(missing_ok=True)
        return f"{problem} after extracting {gz_name}"
    _record_verified(raw, name, md5)
    return None


def ensure_fashion_mnist(
    root: Path | None = None, *, download: bool = True, mirrors: Sequence[str] | None = None, timeout: float = 30.0
) -> Path:
    """Make sure the four real Fashion-MNIST files are in ``root/FashionMNIST/raw``; return that folder.

    Files are fetched from torchvision's mirrors, checked against torchvision's MD5 sums, and only then renamed
    into place and extracted; a stamp records each verified extraction, so files from anywhere else (the
    synthetic stand-in included) are never accepted as Fashion-MNIST. A folder that already holds verified
    files is only read (it may be read-only). Anything missing or damaged that cannot be fetched raises
    :class:`DataUnavailableError` saying where the course looked and how to get the files.
    """
    root = Path(root) if root is not None else config.data_dir()
    raw = root / "FashionMNIST" / "raw"
    mirrors = list(mirrors if mirrors is not None else torchvision.datasets.FashionMNIST.mirrors)
    problems = {}
    for gz_name, md5 in torchvision.datasets.FashionMNIST.resources:
        problem = _ensure_file(raw, gz_name, md5, mirrors if download else None, timeout)
        if problem:
            problems[gz_name.removesuffix(".gz")] = problem
    if problems:
        details = "\n".join(f"  - {name}: {why}" for name, why in problems.items())
        raise DataUnavailableError(
            f"Fashion-MNIST is not available in {raw}.\n{details}\n"
            f"To fix it, either\n"
            f"  1. connect to the internet and run again (files are downloaded once, then reused; damaged files "
            f"are replaced), or\n"
            f"  2. copy the four files {', '.join(g for g, _ in torchvision.datasets.FashionMNIST.resources)} "
            f"from a machine that has them into {raw} (or set {config.DATA_DIR_ENV} to a folder holding "
            f"FashionMNIST/raw), or\n"
            f"  3. run on the synthetic stand-in instead: set {config.SYNTHETIC_ENV}=1 "
            f"(results on it are not Fashion-MNIST's)."
        )
    return raw


class InMemoryBatches:
    """Minibatches of Fashion-MNIST served from one uint8 tensor: the fast path.

    The data set is decoded once; each epoch shuffles indices, gathers a batch, scales it to [0, 1] and, when
    asked, resizes it with bilinear interpolation on whatever device holds the data. ``to(device)`` moves the
    whole data set to the training device (``load_data_fashion_mnist`` does this when it fits), so a GPU never
    waits for a CPU worker. Iterating yields ``(X, y)`` with ``X`` of shape (batch, 1, H, W), like the DataLoader path.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int,
        *,
        shuffle: bool,
        resize: int | tuple[int, int] | None = None,
        seed: int = 0,
        description: str = "Fashion-MNIST",
    ) -> None:
        if images.dtype != torch.uint8 or images.ndim != 3:
            raise ValueError(f"images must be a uint8 tensor (N, H, W), got {images.dtype} {tuple(images.shape)}")
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        _check_batch_size(batch_size)
        self.images, self.labels = images, labels.long()
        self.batch_size, self.shuffle = batch_size, shuffle
        self.resize = _resize_pair(resize)
        self.description = description
        self._generator = torch.Generator().manual_seed(seed)

    @property
    def device(self) -> torch.device:
        return self.images.device

    @property
    def num_examples(self) -> int:
        return len(self.labels)

    def __len__(self) -> int:
        return math.ceil(self.num_examples / self.batch_size)

    @property
    def last_batch_size(self) -> int:
        """How many examples an epoch's last batch holds (``batch_size`` when it divides the data set)."""
        return self.num_examples % self.batch_size or self.batch_size

    def to(self, device: torch.device | str) -> InMemoryBatches:
        """Move the stored data set to ``device`` (in place) and return self."""
        self.images, self.labels = self.images.to(device), self.labels.to(device)
        return self

    def state_dict(self) -> dict:
        """The shuffling generator's state, so that a resumed run sees the same batches."""
        return {"generator": self._generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self._generator.set_state(state["generator"])

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = self.num_examples
        order = torch.randperm(n, generator=self._generator) if self.shuffle else torch.arange(n)
        order = order.to(self.device)
        for start in range(0, n, self.batch_size):
            idx = order[start : start + self.batch_size]
            X = self.images[idx].unsqueeze(1).float().div_(255)
            if self.resize is not None and tuple(X.shape[-2:]) != self.resize:
                # Antialiasing only when shrinking, as torchvision's Resize does on PIL images; upsampling is the same.
                shrink = self.resize[0] < X.shape[-2] or self.resize[1] < X.shape[-1]
                X = F.interpolate(X, size=self.resize, mode="bilinear", align_corners=False, antialias=shrink)
            yield X, self.labels[idx]

    def __repr__(self) -> str:
        return (
            f"InMemoryBatches({self.description}, {self.num_examples} examples, batch_size={self.batch_size}, "
            f"resize={self.resize}, device={self.device})"
        )


def _check_batch_size(batch_size: int) -> None:
    if not _is_positive_int(batch_size):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")


def _is_positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _resize_pair(resize: int | Sequence[int] | None) -> tuple[int, int] | None:
    """``resize`` as (height, width), or None; a side length ``n`` means (n, n). Rejects anything else."""
    if resize is None:
        return None
    pair = (resize, resize) if isinstance(resize, int) else tuple(resize) if isinstance(resize, (tuple, list)) else ()
    if len(pair) != 2 or not all(_is_positive_int(n) for n in pair):
        raise ValueError(f"resize must be a positive integer or a (height, width) pair of them, got {resize!r}")
    return pair


def default_num_workers() -> int:
    """Worker processes for the DataLoader path: none on Windows and macOS, where workers are spawned.

    Spawned workers re-import the notebook's code and fail with BrokenPipe/freeze_support errors in Jupyter;
    on Linux they are forked and safe. Capped at the number of CPUs (the book hard-codes 4).
    """
    if sys.platform in ("win32", "darwin"):
        return 0
    return min(4, os.cpu_count() or 1)


def _torchvision_split(root: Path, train: bool, transform=None) -> torchvision.datasets.FashionMNIST:
    """One split read by torchvision, its labels checked to be classes 0–9."""
    split = torchvision.datasets.FashionMNIST(root=str(root), train=train, transform=transform, download=False)
    labels = split.targets
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= len(TEXT_LABELS)):
        name = "train-labels-idx1-ubyte" if train else "t10k-labels-idx1-ubyte"
        raise DataUnavailableError(
            f"{root / 'FashionMNIST' / 'raw' / name} holds labels from {int(labels.min())} to {int(labels.max())}, "
            f"but Fashion-MNIST's classes are 0 to {len(TEXT_LABELS) - 1}: the file is damaged or not "
            "Fashion-MNIST. Delete the folder's files and run again to download them afresh."
        )
    return split


def _placement(device: torch.device | str | None, nbytes: int) -> torch.device:
    """Where the fast loader keeps a data set of ``nbytes``: ``device``, or by default the best accelerator.

    By default a CUDA GPU holds the data only when it takes under a quarter of the GPU's free memory; the rest
    is left for the net, its gradients and activations.
    """
    if device is not None:
        return resolve_device(device)
    best = try_gpu()
    if best.type == "cuda":
        free, _ = torch.cuda.mem_get_info(best)
        if nbytes > free // 4:
            return torch.device("cpu")
    return best


def load_data_fashion_mnist(
    batch_size: int,
    resize: int | tuple[int, int] | None = None,
    *,
    synthetic: bool | None = None,
    loader: Loader = "fast",
    num_workers: int | None = None,
    data_dir: str | Path | None = None,
    seed: int = 0,
    max_train_examples: int | None = None,
    max_test_examples: int | None = None,
    device: torch.device | str | None = None,
) -> tuple[InMemoryBatches | data.DataLoader, InMemoryBatches | data.DataLoader]:
    """Return ``(train_iter, test_iter)`` over Fashion-MNIST, as the book's function of the same name.

    Args:
        batch_size: examples per minibatch.
        resize: side length (or (height, width)) to resize the 28×28 images to, e.g. 224 for AlexNet.
        synthetic: use the synthetic stand-in; ``None`` follows ``D2L_SYNTHETIC``/``D2L_SMOKE``.
        loader: ``"fast"`` (in-memory tensors, the default) or ``"dataloader"`` (the book's torchvision
            DataLoader with ``ToTensor``/``Resize`` transforms).
        num_workers: DataLoader worker processes (``"dataloader"`` only); default :func:`default_num_workers`.
        data_dir: overrides ``D2L_DATA_DIR`` and the default cache folder.
        seed: seeds the training set's shuffling, so runs repeat.
        max_train_examples, max_test_examples: keep only the first examples of each split, for a quick run
            on a slow machine (smoke mode caps them further).
        device: where the fast loader keeps the decoded data set, so batches are made where training runs.
            ``None``: ``try_gpu()`` if the data takes under a quarter of its free memory, else the CPU. The
            DataLoader path always yields CPU batches (``train_ch6`` moves each one).

    The real data is downloaded once into the data directory. Offline without it, a
    :class:`DataUnavailableError` explains where the files go. In smoke mode (``D2L_SMOKE=1``) the data is
    synthetic and cut to a small subset; both modes print a banner saying so.
    """
    _check_batch_size(batch_size)
    resize = _resize_pair(resize)
    if loader not in ("fast", "dataloader"):
        raise ValueError(f"loader must be 'fast' or 'dataloader', got {loader!r}")
    for name, size in (("max_train_examples", max_train_examples), ("max_test_examples", max_test_examples)):
        if size is not None and not _is_positive_int(size):
            raise ValueError(f"{name} must be a positive integer (at least 1), got {size!r}")
    root = Path(data_dir).expanduser() if data_dir is not None else config.data_dir()
    use_synthetic = config.synthetic_mode() if synthetic is None else (synthetic or config.smoke_mode())
    root = _prepare_files(root, use_synthetic)
    sizes = _split_sizes(max_train_examples, max_test_examples, resize)
    description = "synthetic Fashion-MNIST stand-in" if use_synthetic else "Fashion-MNIST"
    if loader == "fast":
        return _in_memory_iters(root, sizes, batch_size, resize, seed, description, device)
    return _dataloader_iters(root, sizes, batch_size, resize, seed, num_workers)


def _prepare_files(root: Path, use_synthetic: bool) -> Path:
    """Make sure the IDX files are on disk (writing the stand-in, or downloading); return the root to read."""
    if not use_synthetic:
        ensure_fashion_mnist(root)
        return root
    root = root / "synthetic"
    try:
        write_synthetic_fashion_mnist(root)  # writes only what is missing or damaged
    except OSError as err:
        raise _unwritable(root, err) from err
    config.banner(f"Using SYNTHETIC stand-in data (not Fashion-MNIST) from {root}; results are not the book's.")
    return root


def _split_sizes(max_train: int | None, max_test: int | None, resize: tuple[int, int] | None) -> dict[bool, int | None]:
    """How many examples of each split (keyed by ``train``) to keep; smoke mode caps them and says so."""
    sizes = {True: max_train, False: max_test}
    if not config.smoke_mode():
        return sizes
    limits = config.SMOKE_LIMITS
    resized = resize not in (None, (28, 28))
    sizes = {train: min(size or limits.subset(train, resized), limits.subset(train, resized))
             for train, size in sizes.items()}  # fmt: skip
    config.banner(
        f"Smoke mode ({config.SMOKE_ENV}=1): synthetic data cut to {sizes[True]} training and "
        f"{sizes[False]} test examples, at most {limits.max_epochs} epoch."
    )
    return sizes


def _in_memory_iters(
    root, sizes, batch_size, resize, seed, description, device
) -> tuple[InMemoryBatches, InMemoryBatches]:
    """The fast path: torchvision decodes each split once; batches come from its uint8 tensor on ``device``."""
    iters = []
    for train in (True, False):
        split = _torchvision_split(root, train)
        images, labels = split.data[: sizes[train]], split.targets[: sizes[train]]
        iters.append(
            InMemoryBatches(images, labels, batch_size, shuffle=train, resize=resize, seed=seed,
                            description=description)
        )  # fmt: skip
    target = _placement(device, sum(it.images.nbytes + it.labels.nbytes for it in iters))
    return iters[0].to(target), iters[1].to(target)


def _dataloader_iters(root, sizes, batch_size, resize, seed, num_workers) -> tuple[data.DataLoader, data.DataLoader]:
    """The book's path: PIL images through ``Resize``/``ToTensor`` transforms in DataLoader workers."""
    trans = [transforms.ToTensor()]
    if resize:
        trans.insert(0, transforms.Resize(resize))
    transform = transforms.Compose(trans)
    workers = default_num_workers() if num_workers is None else num_workers
    iters = []
    for train in (True, False):
        split = _torchvision_split(root, train, transform)
        if sizes[train] is not None:
            split = data.Subset(split, range(min(sizes[train], len(split))))
        iters.append(
            data.DataLoader(split, batch_size, shuffle=train, num_workers=workers, persistent_workers=workers > 0,
                            generator=torch.Generator().manual_seed(seed))
        )  # fmt: skip
    return iters[0], iters[1]


__all__ = [
    "DataUnavailableError", "InMemoryBatches", "TEXT_LABELS", "default_num_workers", "ensure_fashion_mnist",
    "get_fashion_mnist_labels", "load_data_fashion_mnist", "IDX_FILES",
]  # fmt: skip
