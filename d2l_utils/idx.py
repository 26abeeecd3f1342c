"""The IDX file format of MNIST and Fashion-MNIST: write, read, and check a file before trusting it.

An IDX file is a 4-byte magic number (``0x0803`` for a 3-D array of unsigned bytes, ``0x0801`` for 1-D), one
4-byte big-endian size per dimension, then the bytes. A file of the wrong length or with the wrong header is
reported in our words here, before torchvision fails on it with a reshape error.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from .guard_rails.checks import atomic_write

IMAGE_SIDE = 28


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file, atomically (see :func:`~d2l_utils.checkpoint.atomic_write`)."""
    if array.dtype != np.uint8:
        raise TypeError(f"IDX files here hold uint8 data, got {array.dtype}")
    magic = 0x0800 | array.ndim  # 0x08 = unsigned byte
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    with atomic_write(path) as tmp, open(tmp, "wb") as f:
        f.write(header)
        f.write(np.ascontiguousarray(array).tobytes())


def read_idx(path: Path) -> np.ndarray:
    """Read an unsigned-byte IDX file back into an array (the inverse of :func:`write_idx`)."""
    raw = Path(path).read_bytes()
    (magic,) = struct.unpack(">I", raw[:4])
    ndim = magic & 0xFF
    if magic >> 8 != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file (magic {magic:#x})")
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def idx_problem(path: Path, expected_count: int) -> str | None:
    """Why a Fashion-MNIST IDX file is unusable (missing, truncated, wrong header), or None if it looks whole.

    Images files hold ``expected_count`` 28×28 images, labels files as many bytes.
    """
    if not path.exists():
        return "missing"
    size = path.stat().st_size
    is_images = "images" in path.name
    header = 16 if is_images else 8
    expected = header + expected_count * (IMAGE_SIDE * IMAGE_SIDE if is_images else 1)
    if size != expected:
        return f"corrupt: {size:,} bytes where {expected:,} were expected"
    with open(path, "rb") as f:
        magic = int.from_bytes(f.read(4), "big")
        count = int.from_bytes(f.read(4), "big")
    if magic != (0x0803 if is_images else 0x0801) or count != expected_count:
        return "corrupt: its IDX header is wrong"
    return None


__all__ = ["idx_problem", "read_idx", "write_idx"]
