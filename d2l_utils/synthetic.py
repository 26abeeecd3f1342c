"""A learnable stand-in for Fashion-MNIST in the real IDX format (same shapes, names, 60,000 + 10,000 examples),
for offline machines and CI: garment-like silhouettes with look-alike tops, so LeNet neither stays at chance nor
reaches 100 %. Results on it say nothing about the book's, and every run on it says "synthetic"."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .guard_rails.checks import atomic_write
from .guard_rails.files import IMAGE_SIDE, idx_problem, write_idx

NUM_CLASSES = 10
# As torchvision's FashionMNIST expects them in <root>/FashionMNIST/raw; each name starts with its split.
IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
_FORMAT_VERSION = "3"
_CENTRE = IMAGE_SIDE / 2
_PIXEL_NOISE = 0.15
# Ten garment-like classes in Fashion-MNIST's label order. Each class is drawn from a few parts: a part is a
# trapezoid (top, bottom, centre_x, width_top, width_bottom, ink) in pixels of the 28×28 frame (equal widths make
# a rectangle). ink > 0 paints the part at that brightness; ink < 0 darkens what is under it (a coat's opening).
SYNTHETIC_CLASS_NAMES = (
    "T-shirt-like", "trouser-like", "pullover-like", "dress-like", "coat-like",
    "sandal-like", "shirt-like", "sneaker-like", "bag-like", "boot-like",
)  # fmt: skip


def _parts(n: int, *rows) -> np.ndarray:
    """Stack parts into an (n, P, 6) array; each entry of a row is a number or an (n,) array."""
    rows = [np.stack(np.broadcast_arrays(*row, np.zeros(n)), axis=1)[:, :6] for row in rows]
    return np.stack(rows, axis=1).astype(np.float32)


def _top(n: int, sleeve: np.ndarray, *, bottom: float = 24.0, width: float = 12.0) -> list[tuple]:
    """A torso with two sleeves of per-example length: the shape all four upper-body classes share."""
    arm = _CENTRE + width / 2 + 2.0
    return [
        (5.0, bottom, _CENTRE, width, width, 1.0),
        (5.0, 5.0 + sleeve, 2 * _CENTRE - arm, 4.0, 3.5, 0.85),
        (5.0, 5.0 + sleeve, arm, 4.0, 3.5, 0.85),
    ]


def _class_parts(label: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """The parts of ``n`` examples of one class, (n, P, 6), before the shared random scale and shift;
    the upper-body classes overlap on purpose (sleeves, a faint collar or opening), as in Fashion-MNIST."""
    u = rng.uniform
    match label:
        case 0:
            return _parts(n, *_top(n, u(4, 10, n)))
        case 1:
            return _parts(n, (3, 7, 14, 10, 10, 1), (7, 26, 11.4, 4, 4.5, 1), (7, 26, 16.6, 4, 4.5, 1))
        case 2:
            return _parts(n, *_top(n, u(12, 19, n)))
        case 3:
            return _parts(n, (3, 26, 14, 7, 17, 1))
        case 4:
            opening = (7, 25, _CENTRE, 1.5, 1.5, -u(0.0, 0.7, n))
            return _parts(n, *_top(n, u(13, 20, n), bottom=25.0, width=13.0), opening)
        case 5:
            return _parts(n, (14, 16, 14, 18, 20, 0.7), (18, 20, 14, 20, 21, 0.7), (22, 25, 14, 23, 23, 1))
        case 6:
            collar = (5, 11, _CENTRE, 5, 1, -u(0.0, 0.6, n))
            return _parts(n, *_top(n, u(9, 19, n)), collar)
        case 7:
            return _parts(n, (13, 19, 16, 11, 15, 1), (19, 24, 14, 22, 23, 1))
        case 8:
            return _parts(
                n, (10, 25, 14, 19, 19, 1), (5, 10, 10, 2, 2, 0.8), (5, 10, 18, 2, 2, 0.8), (4, 6, 14, 10, 10, 0.8)
            )
        case _:
            return _parts(n, (3, 19, 17, 8, 9, 1), (17, 25, 13.5, 16, 19, 1))


def _scale_and_shift(parts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Every example scaled by 0.85-1.1 about the centre and shifted by up to 2.5 pixels each way."""
    n = len(parts)
    scale = rng.uniform(0.85, 1.1, size=(n, 1)).astype(np.float32)
    dy, dx = rng.uniform(-2.5, 2.5, size=(2, n, 1)).astype(np.float32)
    out = parts.copy()
    out[..., 0:2] = _CENTRE + (parts[..., 0:2] - _CENTRE) * scale[..., None] + dy[..., None]
    out[..., 2] = _CENTRE + (parts[..., 2] - _CENTRE) * scale + dx
    out[..., 3:5] = parts[..., 3:5] * scale[..., None]
    return out


def _coverage(parts: np.ndarray) -> np.ndarray:
    """How much of each pixel every part covers, in [0, 1], shape (n, P, 28, 28); edges are antialiased."""
    y = (np.arange(IMAGE_SIDE, dtype=np.float32) + 0.5)[:, None]
    x = (np.arange(IMAGE_SIDE, dtype=np.float32) + 0.5)[None, :]
    top, bottom, centre, width_top, width_bottom = (parts[..., k, None, None] for k in range(5))
    along = np.clip((y - top) / np.maximum(bottom - top, 1e-3), 0, 1)
    half_width = (width_top + (width_bottom - width_top) * along) / 2
    inside_y = np.clip(np.minimum(y - top, bottom - y) + 0.5, 0, 1)
    inside_x = np.clip(half_width - np.abs(x - centre) + 0.5, 0, 1)
    return inside_y * inside_x


def _smooth_texture(n: int, rng: np.random.Generator, cells: int = 4) -> np.ndarray:
    """Per-example smooth shading in [0, 1]: a random cells×cells grid, bilinearly upsampled to 28×28."""
    position = np.linspace(0, cells - 1, IMAGE_SIDE)
    low = np.minimum(np.floor(position).astype(int), cells - 2)
    weights = np.zeros((IMAGE_SIDE, cells), dtype=np.float32)
    weights[np.arange(IMAGE_SIDE), low] = 1 - (position - low)
    weights[np.arange(IMAGE_SIDE), low + 1] = position - low
    return weights @ rng.random((n, cells, cells), dtype=np.float32) @ weights.T


def _render(parts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 images (n, 28, 28) of the given parts, with random brightness, shading and pixel noise."""
    cover = _coverage(parts)
    ink = parts[..., 5, None, None]
    painted = (cover * np.clip(ink, 0, None)).max(axis=1)
    darkened = np.prod(1 + cover * np.clip(ink, None, 0), axis=1)
    n = len(parts)
    brightness = rng.uniform(0.5, 1.0, size=(n, 1, 1)).astype(np.float32)
    shading = 0.7 + 0.3 * _smooth_texture(n, rng)
    images = (
        painted * darkened * brightness * shading + rng.standard_normal(painted.shape, dtype=np.float32) * _PIXEL_NOISE
    )
    return (np.clip(images, 0.0, 1.0) * 255).round().astype(np.uint8)


def make_synthetic_split(num_examples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) uint8 of the garment-like classes, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, NUM_CLASSES, size=num_examples).astype(np.uint8)
    images = np.empty((num_examples, IMAGE_SIDE, IMAGE_SIDE), dtype=np.uint8)
    for label in range(NUM_CLASSES):
        where = np.flatnonzero(labels == label)
        for chunk in np.array_split(where, max(1, len(where) // 4096)):
            images[chunk] = _render(_scale_and_shift(_class_parts(label, len(chunk), rng), rng), rng)
    return images, labels


def write_synthetic_fashion_mnist(root: Path, num_train: int = 60_000, num_test: int = 10_000) -> Path:
    """Write the stand-in to ``root/FashionMNIST/raw`` (returned) unless a whole, identical one is there.
    A ``SYNTHETIC`` stamp records the parameters; files are written atomically, so concurrent writers both end whole."""
    raw = Path(root) / "FashionMNIST" / "raw"
    stamp = raw / "SYNTHETIC"
    wanted = f"version={_FORMAT_VERSION} train={num_train} test={num_test}\n"
    counts = {"train": num_train, "t10k": num_test}
    same = stamp.exists() and stamp.read_text() == wanted  # this version's set, of these sizes
    if same and all(idx_problem(raw / name, counts[name.split("-")[0]]) is None for name in IDX_FILES):
        return raw  # every file whole (right size and header)
    raw.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)  # until every file is rewritten, the folder must not claim to be complete
    splits = {"train": make_synthetic_split(num_train, seed=1), "t10k": make_synthetic_split(num_test, seed=2)}
    for name in IDX_FILES:
        images, labels = splits[name.split("-")[0]]
        write_idx(raw / name, images if "images" in name else labels)
    with atomic_write(stamp) as tmp:
        tmp.write_text(wanted)
    return raw
