"""MNIST and Fashion-MNIST as the book's ``load_data_fashion_mnist`` serves them: checked files from one data directory
(or the synthetic stand-in), in fast in-memory batches or the book's torchvision DataLoader."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torchvision
from torch.nn import functional as F
from torch.utils import data
from torchvision import transforms

from . import config
from .devices import resolve_device, try_gpu
from .guard_rails.checks import is_positive_int
from .guard_rails.files import DataUnavailableError, RawFile, check_mirrors, ensure_files, unwritable
from .synthetic import IDX_FILES, SYNTHETIC_CLASS_NAMES, write_synthetic_fashion_mnist


@dataclass(frozen=True)
class DataSetInfo:
    """One data set of 28×28 grey images: where it lives, how its files are checked, what its classes are called.
    Mirrors and archive MD5s are torchvision's; ``content_md5s`` also verify re-compressed or extracted copies."""

    name: str  # in messages: "MNIST"
    folder: str  # files live in <data_dir>/<folder>/raw, torchvision's layout; also its torchvision.datasets class
    class_names: tuple[str, ...]
    content_md5s: tuple[tuple[str, str], ...] = ()  # (file name, MD5 of the uncompressed file)
    train_size: int = 60_000
    test_size: int = 10_000
    stand_in: str = "synthetic stand-in"  # what the synthetic stand-in is called when it serves instead
    real_under_modes: bool = False  # under the modes, verified real files already on disk still serve

    @property
    def dataset_class(self) -> type:
        return getattr(torchvision.datasets, self.folder)

    def raw_folder(self, root: Path) -> Path:
        return Path(root) / self.folder / "raw"

    def raw_files(self) -> list[RawFile]:
        """Each file with its example count and MD5 sums."""
        archives, content = dict(self.dataset_class.resources), dict(self.content_md5s)
        sizes = {"train": self.train_size, "t10k": self.test_size}
        return [
            RawFile(name, sizes[name.split("-")[0]], archives[name + ".gz"], content.get(name)) for name in IDX_FILES
        ]

    def ensure(
        self, root: Path | None = None, *, download: bool = True, mirrors: Sequence[str] | None = None,
        timeout: float = 30.0,
    ) -> Path:  # fmt: skip
        """Make sure the four real files are in ``root/<folder>/raw`` and return it: fetched and MD5-checked before
        they are moved in (``mirrors``: torchvision's), else :class:`DataUnavailableError` saying where to put them."""
        root = Path(root) if root is not None else config.data_dir()
        mirrors = check_mirrors(mirrors if mirrors is not None else self.dataset_class.mirrors) if download else None
        return ensure_files(self.raw_folder(root), self.raw_files(), self.name, mirrors, timeout)

    def load(
        self,
        batch_size: int,
        resize: int | tuple[int, int] | None = None,
        *,
        synthetic: bool | None = None,
        data_dir: str | Path | None = None,
        **options,
    ) -> tuple[InMemoryBatches | data.DataLoader, InMemoryBatches | data.DataLoader]:
        """Return ``(train_iter, test_iter)``. ``resize``: a side (e.g. 224) or (height, width); ``synthetic``: the
        stand-in (None follows the modes); ``data_dir`` overrides ``D2L_DATA_DIR``; the other options are
        :class:`LoadOptions` (``loader``, ``num_workers``, ``seed``, ``max_*_examples``, ``device``)."""
        request = LoadOptions(batch_size, resize, **options)
        root = Path(data_dir).expanduser() if data_dir is not None else config.data_dir()
        wants_stand_in = config.synthetic_mode() if synthetic is None else (synthetic or config.smoke_mode())
        if not wants_stand_in:
            self.ensure(root)
        elif synthetic is True or not self.real_under_modes or not _verified_on_disk(self, root):
            return _serve(self, _stand_in(root, self), False, request)
        return _serve(self, root, True, request)


FASHION_MNIST = DataSetInfo(
    name="Fashion-MNIST",
    folder="FashionMNIST",
    class_names=("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"),
    stand_in="synthetic Fashion-MNIST stand-in",
)
MNIST = DataSetInfo(
    name="MNIST",
    folder="MNIST",
    class_names=tuple(str(digit) for digit in range(10)),
    # MNIST's published MD5 sums of the four uncompressed files.
    content_md5s=(
        ("train-images-idx3-ubyte", "6bbc9ace898e44ae57da46a324031adb"),
        ("train-labels-idx1-ubyte", "a25bea736e30d166cdddb491f175f624"),
        ("t10k-images-idx3-ubyte", "2646ac647ad5339dbf082846283269ea"),
        ("t10k-labels-idx1-ubyte", "27ae3e4e09519cfbb04c329615203637"),
    ),
    stand_in="synthetic stand-in (garment-like shapes, not digits)",
    real_under_modes=True,
)
TEXT_LABELS = FASHION_MNIST.class_names


@dataclass(frozen=True)
class DataSource:
    """What a loader served (``train_iter.source``): the data set, whether real verified files, and smoke mode;
    the ``D2L_DATA_LOG`` file lists each one, which is how a real run is told from a smoke one."""

    name: str  # "MNIST", or the stand-in's name
    verified_real: bool
    smoke: bool
    num_train: int
    num_test: int


_LATEST: dict[str, DataSource] = {}  # keyed by the data set asked for


def data_used() -> tuple[DataSource, ...]:
    """The data sets this process has loaded, one entry each, the one loaded last at the end."""
    return tuple(_LATEST.values())


def _record_use(source: DataSource) -> None:
    """With ``D2L_DATA_LOG`` set, append the data set served or iterated over to that file (one JSON line)."""
    log = os.environ.get(config.DATA_LOG_ENV, "").strip()
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps(asdict(source)) + "\n")


def _text_labels(info: DataSetInfo, labels: Sequence[int] | torch.Tensor, synthetic: bool) -> list[str]:
    """Class names of ``labels``; a value that is no class of ``info`` (or no whole number) is refused."""
    values = labels.tolist() if isinstance(labels, torch.Tensor) else list(labels)
    classes = len(info.class_names)
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) and not hasattr(value, "__index__"):
            raise ValueError(f"labels must be whole numbers (class indices 0 to {classes - 1}), got {value!r}")
        if not 0 <= int(value) < classes:
            raise ValueError(
                f"label {int(value)} is not a class of {info.name}: its classes are 0 to {classes - 1}. "
                "Pass the predicted or true class indices (e.g. net(X).argmax(dim=1)), not scores."
            )
    if synthetic:
        return [f"synthetic {int(i)} ({SYNTHETIC_CLASS_NAMES[int(i)]})" for i in values]
    return [info.class_names[int(i)] for i in values]


def get_fashion_mnist_labels(labels: Sequence[int] | torch.Tensor, synthetic: bool | None = None) -> list[str]:
    """Text labels for numeric Fashion-MNIST labels, as the book's function; on the stand-in
    (``synthetic=None`` follows the modes) they say so, e.g. ``"synthetic 7 (sneaker-like)"``."""
    if synthetic is None:
        synthetic = config.synthetic_mode()
    return _text_labels(FASHION_MNIST, labels, synthetic)


def get_mnist_labels(labels: Sequence[int] | torch.Tensor, synthetic: bool | None = None) -> list[str]:
    """The digits ``"0"`` to ``"9"`` for numeric MNIST labels; after ``load_data_mnist`` served the stand-in
    (or under the modes, ``synthetic=None``) they say "synthetic", since its shapes are not digits."""
    if synthetic is None:
        latest = _LATEST.get(MNIST.name)
        synthetic = config.synthetic_mode() if latest is None else not latest.verified_real
    return _text_labels(MNIST, labels, synthetic)


class InMemoryBatches:
    """Minibatches of (Fashion-)MNIST served from one uint8 tensor, the fast path: decoded once, shuffled,
    scaled and resized on the device that holds it (``to(device)``), yielding ``(X, y)`` like the DataLoader path."""

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
        self.description, self.source = description, None  # the loaders set the DataSource they served
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
        if self.source is not None:
            _record_use(self.source)
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
    if not is_positive_int(batch_size):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")


def _resize_pair(resize: int | Sequence[int] | None) -> tuple[int, int] | None:
    """``resize`` as (height, width), or None; a side length ``n`` means (n, n). Rejects anything else."""
    if resize is None:
        return None
    pair = tuple(resize) if isinstance(resize, (tuple, list)) else (resize, resize) if is_positive_int(resize) else ()
    if len(pair) != 2 or not all(is_positive_int(n) for n in pair):
        raise ValueError(f"resize must be a positive integer or a (height, width) pair of them, got {resize!r}")
    return int(pair[0]), int(pair[1])


def default_num_workers() -> int:
    """Worker processes for the DataLoader path, at most the CPUs: none on Windows and macOS, whose
    spawned workers fail in Jupyter (BrokenPipe, freeze_support); forked workers on Linux are safe."""
    if sys.platform in ("win32", "darwin"):
        return 0
    return min(4, os.cpu_count() or 1)


def _torchvision_split(root: Path, train: bool, info: DataSetInfo, transform=None) -> data.Dataset:
    """One split read by torchvision from ``root/<folder>/raw``, its labels checked to be ``info``'s classes."""
    split = info.dataset_class(root=str(root), train=train, transform=transform, download=False)
    labels, classes = split.targets, len(info.class_names)
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        name = "train-labels-idx1-ubyte" if train else "t10k-labels-idx1-ubyte"
        raise DataUnavailableError(
            f"{info.raw_folder(root) / name} holds labels from {int(labels.min())} to {int(labels.max())}, "
            f"but {info.name}'s classes are 0 to {classes - 1}: the file is damaged or not "
            f"{info.name}. Delete the folder's files and run again to download them afresh."
        )
    return split


def _placement(device: torch.device | str | None, nbytes: int) -> torch.device:
    """Where the fast loader keeps ``nbytes`` of data: ``device``, or by default a CUDA GPU only when it takes
    under a quarter of its free memory (the rest is the net's), else the best accelerator or the CPU."""
    if device is not None:
        return resolve_device(device)
    best = try_gpu()
    if best.type == "cuda" and nbytes > torch.cuda.mem_get_info(best)[0] // 4:  # (free, total) bytes
        return torch.device("cpu")
    return best


def load_data_fashion_mnist(batch_size: int, resize: int | tuple[int, int] | None = None, **options):
    """Return ``(train_iter, test_iter)`` over Fashion-MNIST, as the book's function of the same name; the options
    (``synthetic``, ``loader``, ``data_dir``, ``seed``, ``device``, ...) are :meth:`DataSetInfo.load`'s."""
    return FASHION_MNIST.load(batch_size, resize, **options)


def load_data_mnist(batch_size: int, resize: int | tuple[int, int] | None = None, **options):
    """Return ``(train_iter, test_iter)`` over MNIST's digits, options as :func:`load_data_fashion_mnist`; under
    the modes verified real files on disk still serve, else the stand-in, labelled "synthetic" everywhere."""
    return MNIST.load(batch_size, resize, **options)


@dataclass
class LoadOptions:
    """How the loaders serve a data set, each option checked on creation, before any file is touched."""

    batch_size: int
    resize: tuple[int, int] | None = None  # any size ``resize`` takes, made a (height, width) pair
    loader: str = "fast"  # in-memory batches, or the book's "dataloader" (with ``num_workers`` worker processes)
    num_workers: int | None = None
    seed: int = 0  # fixes the shuffling
    max_train_examples: int | None = None  # keep the first ones
    max_test_examples: int | None = None
    device: torch.device | str | None = None  # where the fast loader keeps the data (see _placement)

    def __post_init__(self) -> None:
        _check_batch_size(self.batch_size)
        self.resize = _resize_pair(self.resize)
        if self.loader not in ("fast", "dataloader"):
            raise ValueError(f"loader must be 'fast' or 'dataloader', got {self.loader!r}")
        for name in ("max_train_examples", "max_test_examples"):
            size = getattr(self, name)
            if size is not None and not is_positive_int(size):
                raise ValueError(f"{name} must be a positive integer (at least 1), got {size!r}")


def _verified_on_disk(info: DataSetInfo, root: Path) -> bool:
    """True when ``root`` already holds ``info``'s verified real files (nothing is downloaded to find out)."""
    try:
        info.ensure(root, download=False)
    except DataUnavailableError:
        return False
    return True


def _stand_in(root: Path, info: DataSetInfo) -> Path:
    """Write the synthetic stand-in under ``root/synthetic`` if needed (saying so); return the root to read."""
    root = root / "synthetic"
    try:
        write_synthetic_fashion_mnist(root)  # writes only what is missing or damaged
    except OSError as err:
        raise unwritable(root, err) from err
    if info.real_under_modes:
        config.banner(
            f"Using SYNTHETIC stand-in data from {root}: garment-like shapes, not digits (no verified real "
            f"{info.name} files in {info.raw_folder(root.parent)}); results on it say nothing about {info.name}."
        )
    else:
        config.banner(f"Using SYNTHETIC stand-in data (not Fashion-MNIST) from {root}; results are not the book's.")
    return root


def _serve(info: DataSetInfo, root: Path, real: bool, request: LoadOptions):
    """The two iterators over the files in ``root``, each carrying its :class:`DataSource`."""
    reader = info if real else FASHION_MNIST  # the stand-in has Fashion-MNIST's file layout
    name = info.name if real else info.stand_in
    sizes = _split_sizes(request, name)
    if request.loader == "fast":
        iters = _in_memory_iters(root, reader, sizes, request, name)
    else:
        iters = _dataloader_iters(root, reader, sizes, request)
    counts = [it.num_examples if isinstance(it, InMemoryBatches) else len(it.dataset) for it in iters]
    source = DataSource(name, real, config.smoke_mode(), *counts)
    for it in iters:
        it.source = source
    _LATEST.pop(info.name, None)  # the latest served data set goes last
    _LATEST[info.name] = source
    _record_use(source)
    return iters[0], iters[1]


def _split_sizes(request: LoadOptions, name: str) -> dict[bool, int | None]:
    """How many examples of each split (keyed by ``train``) to keep; smoke mode caps them and says so."""
    sizes = {True: request.max_train_examples, False: request.max_test_examples}
    if not config.smoke_mode():
        return sizes
    limits = config.SMOKE_LIMITS
    resized = request.resize not in (None, (28, 28))
    caps = {train: limits.subset(train, resized, request.batch_size) for train in sizes}
    sizes = {train: min(size or caps[train], caps[train]) for train, size in sizes.items()}
    config.banner(
        f"Smoke mode ({config.SMOKE_ENV}=1): {name} cut to {sizes[True]} training and "
        f"{sizes[False]} test examples, at most {limits.max_epochs} epoch."
    )
    return sizes


def _in_memory_iters(root, info, sizes, request, description) -> list[InMemoryBatches]:
    """The fast path: torchvision decodes each split once; batches come from its uint8 tensor on ``device``."""
    iters = []
    for train in (True, False):
        split = _torchvision_split(root, train, info)
        images, labels = split.data[: sizes[train]], split.targets[: sizes[train]]
        iters.append(
            InMemoryBatches(images, labels, request.batch_size, shuffle=train, resize=request.resize, seed=request.seed,
                            description=description)
        )  # fmt: skip
    target = _placement(request.device, sum(it.images.nbytes + it.labels.nbytes for it in iters))
    return [it.to(target) for it in iters]


def _dataloader_iters(root, info, sizes, request) -> list[data.DataLoader]:
    """The book's path: PIL images through ``Resize``/``ToTensor`` transforms in DataLoader workers."""
    trans = [transforms.ToTensor()]
    if request.resize:
        trans.insert(0, transforms.Resize(request.resize))
    transform = transforms.Compose(trans)
    workers = default_num_workers() if request.num_workers is None else request.num_workers
    iters = []
    for train in (True, False):
        split = _torchvision_split(root, train, info, transform)
        if sizes[train] is not None:
            split = data.Subset(split, range(min(sizes[train], len(split))))
        iters.append(
            data.DataLoader(split, request.batch_size, shuffle=train, num_workers=workers,
                            persistent_workers=workers > 0, generator=torch.Generator().manual_seed(request.seed))
        )  # fmt: skip
    return iters
