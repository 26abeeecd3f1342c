"""Guard rails for data files, so the loaders can trust what they read: each file is downloaded to a temporary file and
moved in only when whole and genuine (its archive's torchvision MD5, or its content's published MD5), a
``.<name>.verified`` stamp records the check, and anything else is refused saying where to get the files."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import shutil
import struct
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import config
from .checks import atomic_write, check_writable_folder

IMAGE_SIDE = 28


class DataUnavailableError(RuntimeError):
    """A data set is neither on disk nor downloadable (offline, blocked, corrupt, or not writable)."""


# ---- the IDX format ---------------------------------------------------------------------------------------------
# An IDX file is a 4-byte magic number (0x0803 for a 3-D array of unsigned bytes, 0x0801 for 1-D), one 4-byte
# big-endian size per dimension, then the bytes. A file of the wrong length or header is reported in our words,
# before torchvision fails on it with a reshape error.


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file, atomically (see :func:`~.checks.atomic_write`)."""
    magic = 0x0800 | array.ndim  # 0x08 = unsigned byte
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    with atomic_write(path) as tmp, open(tmp, "wb") as f:
        f.write(header)
        f.write(np.ascontiguousarray(array).tobytes())


def idx_problem(path: Path, expected_count: int) -> str | None:
    """Why an (Fashion-)MNIST IDX file is unusable (missing, truncated, wrong header), or None if it holds
    ``expected_count`` images or labels."""
    if not path.exists():
        return "missing"
    size = path.stat().st_size
    is_images = "images" in path.name
    header = 16 if is_images else 8
    expected = header + expected_count * (IMAGE_SIDE * IMAGE_SIDE if is_images else 1)
    if size != expected:
        return f"corrupt: {size:,} bytes where {expected:,} were expected"
    with open(path, "rb") as f:
        magic, count = struct.unpack(">II", f.read(8))
    if magic != (0x0803 if is_images else 0x0801) or count != expected_count:
        return "corrupt: its IDX header is wrong"
    return None


# ---- checked files ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawFile:
    """One IDX file of a data set and the MD5 sums that prove a copy genuine."""

    name: str  # e.g. "train-images-idx3-ubyte"; its archive is name + ".gz"
    count: int  # examples it holds
    archive_md5: str  # of the official .gz, as torchvision lists it
    content_md5: str | None = None  # of the uncompressed file, where the data set publishes it

    @property
    def gz_name(self) -> str:
        return self.name + ".gz"


def md5_of(path: Path, gunzip: bool = False) -> str | None:
    """The MD5 sum of a file (``gunzip``: of a gzip file's content, None when it is not a whole gzip file)."""
    digest = hashlib.md5()
    try:
        with (gzip.open if gunzip else open)(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    except (OSError, EOFError, zlib.error):
        if not gunzip:
            raise  # an unreadable file is reported as it is; only a broken archive is "no sum"
        return None
    return digest.hexdigest()


def genuine_archive(gz_path: Path, file: RawFile) -> bool:
    """True when ``gz_path``'s own MD5 is torchvision's, or its content has the published MD5."""
    if md5_of(gz_path) == file.archive_md5:
        return True
    return file.content_md5 is not None and md5_of(gz_path, gunzip=True) == file.content_md5


def check_data_folder(folder: Path) -> None:
    """Raise :class:`DataUnavailableError` naming ``folder`` and the fix unless files can be written in it."""
    try:
        check_writable_folder(folder)
    except OSError as err:
        raise unwritable(folder, err) from err


def unwritable(folder: Path, err: OSError) -> DataUnavailableError:
    return DataUnavailableError(
        f"Cannot write to the data directory {folder} ({err.strerror or err}). "
        f"Point {config.DATA_DIR_ENV} at a folder you can write to, e.g. "
        f"`export {config.DATA_DIR_ENV}=$HOME/d2l-data`."
    )


def check_mirrors(mirrors: Sequence[str]) -> list[str]:
    """The mirrors as a list of base addresses ending in ``/``; a string or an empty list is refused."""
    if isinstance(mirrors, (str, bytes)):
        raise ValueError(
            f"mirrors must be a list of base addresses, got the single string {mirrors!r}: write mirrors=[{mirrors!r}]"
        )
    mirrors = list(mirrors)
    if not mirrors:
        raise ValueError(
            "mirrors is empty: name at least one base address to download from, or pass download=False to use "
            "only the files already on disk"
        )
    for mirror in mirrors:
        if not isinstance(mirror, str) or not mirror.strip():
            raise ValueError(f"every mirror must be a base address such as 'https://host/path/', got {mirror!r}")
    return [m if m.endswith("/") else m + "/" for m in mirrors]


class _Damaged(Exception):
    """A downloaded file failed its MD5 check."""


def _extracted_is_genuine(raw: Path, file: RawFile) -> bool:
    """True when the whole file ``raw/<name>`` is stamped and unchanged since, or proves genuine now, as its checked
    archive's content or by its own published MD5; then it is stamped (unless the folder is read-only)."""
    path, gz_path, stamp = raw / file.name, raw / file.gz_name, raw / f".{file.name}.verified"
    stat = path.stat()
    facts = f" size={stat.st_size} mtime_ns={stat.st_mtime_ns}\n"  # after the proof: a change to the file voids it
    archive, content = f"archive-md5={file.archive_md5}", f"content-md5={file.content_md5}"  # the two proofs
    if stamp.exists() and stamp.read_text() in (archive + facts, content + facts):
        return True
    if gz_path.exists() and md5_of(gz_path) == file.archive_md5 and md5_of(gz_path, gunzip=True) == md5_of(path):
        proof = archive
    elif file.content_md5 and md5_of(path) == file.content_md5:
        proof = content
    else:
        return False
    with contextlib.suppress(OSError), atomic_write(stamp) as tmp:
        tmp.write_text(proof + facts)
    return True


def _not_verified(file: RawFile, dataset: str) -> str:
    if file.content_md5:
        return f"not verified as {dataset} (neither extracted from a checked archive nor with {dataset}'s MD5 sum)"
    return f"not verified as {dataset} (not extracted from a checked archive)"


def _fetch_archive(raw: Path, file: RawFile, found: str, mirrors: Sequence[str] | None, timeout: float) -> str | None:
    """Make ``raw/<name>.gz`` a genuine archive of ``file``, downloading it from the first mirror that serves one if
    needed; return what failed, or None."""
    gz_path = raw / file.gz_name
    if gz_path.exists():
        if genuine_archive(gz_path, file):
            return None
        found += f" and {file.gz_name} fails its MD5 checksum (damaged)"
    if mirrors is None:
        return f"{found}; not downloaded (download=False)"
    check_data_folder(raw)
    failures = []
    for url in (mirror + file.gz_name for mirror in mirrors):
        try:  # each download goes to a temporary file of its own, moved in only if genuine
            with atomic_write(gz_path) as part:
                with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as out:
                    shutil.copyfileobj(response, out)
                if not genuine_archive(part, file):
                    raise _Damaged
            return None
        except _Damaged:
            failures.append(f"{url}: checksum mismatch (damaged download)")
        except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as err:
            failures.append(f"{url}: {getattr(err, 'reason', None) or err}")
    return f"{found}; the download failed: " + "; ".join(failures)


def ensure_file(raw: Path, file: RawFile, dataset: str, mirrors: Sequence[str] | None, timeout: float) -> str | None:
    """Make ``raw/<name>`` a whole, genuine copy of ``file`` (``mirrors=None``: no download); return what failed, or
    None."""
    path, gz_path = raw / file.name, raw / file.gz_name
    folders = [p for p in (path, gz_path) if p.is_dir()]
    if folders:
        return f"{folders[0]} is a folder, not a file: move it away or delete it, then run again"
    found = idx_problem(path, file.count)
    if found is None and _extracted_is_genuine(raw, file):
        return None
    failure = _fetch_archive(raw, file, f"{file.name} is {found or _not_verified(file, dataset)}", mirrors, timeout)
    if failure:
        return failure
    check_data_folder(raw)
    with atomic_write(path) as part, gzip.open(gz_path, "rb") as src, open(part, "wb") as dst:
        shutil.copyfileobj(src, dst)
    _extracted_is_genuine(raw, file)  # proves it as the content of the archive just checked, and stamps it
    return None


def ensure_files(
    raw: Path, files: Sequence[RawFile], dataset: str, mirrors: Sequence[str] | None, timeout: float
) -> Path:
    """Make every file genuine in ``raw`` (downloading from ``mirrors`` unless None) and return it, or raise
    :class:`DataUnavailableError` listing each problem, where the course looked and how to fix it."""
    problems = {file.name: ensure_file(raw, file, dataset, mirrors, timeout) for file in files}
    details = "\n".join(f"  - {name}: {why}" for name, why in problems.items() if why)
    if details:
        # Extracted files alone are proven only by a published content MD5, which Fashion-MNIST does not have.
        extracted = " (or the four extracted files)" if all(file.content_md5 for file in files) else ""
        raise DataUnavailableError(
            f"{dataset} is not available in {raw}.\n{details}\n"
            f"To fix it, either\n"
            f"  1. connect to the internet and run again (files are downloaded once, then reused; damaged files "
            f"are replaced), or\n"
            f"  2. copy the four files {', '.join(f.gz_name for f in files)}{extracted} "
            f"from a machine that has them into {raw} (or set {config.DATA_DIR_ENV} to a folder holding "
            f"{raw.parent.name}/raw), or\n"
            f"  3. run on the synthetic stand-in instead: set {config.SYNTHETIC_ENV}=1 (results on it are not "
            f"{dataset}'s)."
        )
    return raw
