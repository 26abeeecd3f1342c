"""A learnable stand-in for Fashion-MNIST, written in the real IDX format.

Real Fashion-MNIST needs a download. For offline machines and for CI the course can write a synthetic data set
with the same shapes (28×28 grey images, 10 classes, 60,000 + 10,000 examples) to the same file names and
format, so that exactly the same torchvision code reads it. Each class is a fixed pattern (a square of its own
size, textured with a blurred silhouette); every example is its class's pattern shifted by a few pixels, with
random brightness and pixel noise. The book's LeNet learns it well above chance within a few hundred SGD steps,
which is what a test of the training code needs. It is not Fashion-MNIST:
results on it say nothing about the book's numbers, and every run on it says "synthetic".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .checkpoint import atomic_write
from .idx import idx_problem, write_idx

IMAGE_SIZE = 28
NUM_CLASSES = 10
# (file name, is_train, is_images), as torchvision's FashionMNIST expects them in <root>/FashionMNIST/raw.
IDX_FILES = {
    "train-images-idx3-ubyte": (True, True),
    "train-labels-idx1-ubyte": (True, False),
    "t10k-images-idx3-ubyte": (False, True),
    "t10k-labels-idx1-ubyte": (False, False),
}
_FORMAT_VERSION = "2"
_MAX_SHIFT = 3


def class_templates(seed: int = 0) -> np.ndarray:
    """Ten distinct patterns in [0, 1], shape (10, 28 + 2·shift, 28 + 2·shift), padded for shifting.

    Class ``c`` is a square of side ``6 + 2c`` near the top-left corner, textured with its own smooth blob
    silhouette. The sizes give each class its own amount of ink, a signal the book's sigmoid LeNet picks up
    within a few hundred SGD steps at lr 0.9; on the blob silhouettes alone it stayed at chance for more than
    1,800 steps (batch 64).
    """
    rng = np.random.default_rng(seed)
    side = IMAGE_SIZE - 8
    coarse = rng.random((NUM_CLASSES, 5, 5))
    # Bilinear upsampling of a 5×5 random grid gives a smooth blob pattern per class.
    grid = np.linspace(0, 4, side)
    i0 = np.clip(np.floor(grid).astype(int), 0, 3)
    frac = grid - i0
    rows = coarse[:, i0, :] * (1 - frac)[None, :, None] + coarse[:, i0 + 1, :] * frac[None, :, None]
    smooth = rows[:, :, i0] * (1 - frac)[None, None, :] + rows[:, :, i0 + 1] * frac[None, None, :]
    silhouettes = (smooth > 0.5).astype(np.float32) * (0.55 + 0.45 * smooth)
    pad = 4 + _MAX_SHIFT
    blobs = np.pad(silhouettes, ((0, 0), (pad, pad), (pad, pad)))
    squares = np.zeros_like(blobs)
    for c in range(NUM_CLASSES):
        side_c = 6 + 2 * c
        squares[c, 2 + _MAX_SHIFT : 2 + _MAX_SHIFT + side_c, 2 + _MAX_SHIFT : 2 + _MAX_SHIFT + side_c] = 1.0
    return squares * np.where(blobs > 0, 1.0, 0.6).astype(np.float32)


def make_synthetic_split(num_examples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) uint8 drawn from the class templates."""
    templates = class_templates()
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, NUM_CLASSES, size=num_examples).astype(np.uint8)
    shifts = rng.integers(0, 2 * _MAX_SHIFT + 1, size=(num_examples, 2))
    windows = np.lib.stride_tricks.sliding_window_view(templates, (IMAGE_SIZE, IMAGE_SIZE), axis=(1, 2))
    images = np.empty((num_examples, IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    for start in range(0, num_examples, 10_000):
        sl = slice(start, start + 10_000)
        crops = windows[labels[sl], shifts[sl, 0], shifts[sl, 1]]
        brightness = rng.uniform(0.6, 1.0, size=(len(crops), 1, 1))
        noise = rng.normal(0.0, 0.12, size=crops.shape)
        images[sl] = (np.clip(crops * brightness + noise, 0.0, 1.0) * 255).round().astype(np.uint8)
    return images, labels


def write_synthetic_fashion_mnist(root: Path, num_train: int = 60_000, num_test: int = 10_000) -> Path:
    """Write the synthetic data set to ``root/FashionMNIST/raw`` unless an identical, whole one is already there.

    Returns the raw folder. The four files have Fashion-MNIST's names, so ``torchvision.datasets.FashionMNIST``
    reads them unchanged. A stamp file ``SYNTHETIC`` records the parameters: files are regenerated when they
    differ or when a file is missing or truncated. A complete set is only read, so a read-only folder holding one
    works. Every file is written atomically, so two processes preparing the same folder at once both end with
    whole files (the content is deterministic).
    """
    raw = Path(root) / "FashionMNIST" / "raw"
    stamp = raw / "SYNTHETIC"
    wanted = f"version={_FORMAT_VERSION} train={num_train} test={num_test}\n"
    if synthetic_files_ok(raw, wanted, num_train, num_test):
        return raw
    raw.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)  # until every file is rewritten, the folder must not claim to be complete
    splits = {True: make_synthetic_split(num_train, seed=1), False: make_synthetic_split(num_test, seed=2)}
    for name, (train, is_images) in IDX_FILES.items():
        images, labels = splits[train]
        write_idx(raw / name, images if is_images else labels)
    with atomic_write(stamp) as tmp:
        tmp.write_text(wanted)
    return raw


def synthetic_files_ok(raw: Path, wanted_stamp: str, num_train: int, num_test: int) -> bool:
    """True when ``raw`` holds this version's synthetic set, every file whole (right size and header)."""
    stamp = raw / "SYNTHETIC"
    if not (stamp.exists() and stamp.read_text() == wanted_stamp):
        return False
    counts = {True: num_train, False: num_test}
    return all(idx_problem(raw / name, counts[train]) is None for name, (train, _) in IDX_FILES.items())
