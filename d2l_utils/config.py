"""Where the course keeps its data and which mode it runs in, read from the environment at call time:
``D2L_DATA_DIR`` (one data folder, default ``~/.cache/d2l-course/data``), ``D2L_SYNTHETIC=1`` (the stand-in),
``D2L_SMOKE=1`` (CI: stand-in, small subset, one epoch, no redraws) and ``D2L_DATA_LOG`` (one JSON line per data
set served, which ``tools/build_notebooks.py`` reads to keep only real-data outputs); and the one call that makes a
notebook's random numbers repeat run after run."""

from __future__ import annotations

import numbers
import os
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

DATA_DIR_ENV = "D2L_DATA_DIR"
SYNTHETIC_ENV = "D2L_SYNTHETIC"
SMOKE_ENV = "D2L_SMOKE"
DATA_LOG_ENV = "D2L_DATA_LOG"  # a file the loaders append each data set they serve to (the notebook build reads it)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


@dataclass(frozen=True)
class SmokeLimits:
    """How far smoke mode shrinks a run: enough to execute every line, small enough for CI."""

    # Five batches of the book's LeNet batch size (256): the book's own train_ch6 plots every num_batches // 5
    # steps, which divides by zero on fewer, so its chapter code could not run in smoke mode.
    train_examples: int = 1280
    test_examples: int = 256
    # Upsampled images (AlexNet's 224×224) cost ~60× more per example than 28×28 ones: one batch of 128 for testing,
    # and for training the five batches the book's loop needs, of the batch size asked for.
    resized_examples: int = 128

    def subset(self, train: bool, resized: bool, batch_size: int = 1) -> int:
        """How many examples smoke mode keeps of a split: for training, at least five batches of ``batch_size``."""
        if not train:
            return self.resized_examples if resized else self.test_examples
        return max(5 * batch_size, self.resized_examples if resized else self.train_examples)

    max_epochs: int = 1


SMOKE_LIMITS = SmokeLimits()


def smoke_epochs(num_epochs: int) -> int:
    """``num_epochs``, capped in smoke mode to :attr:`SmokeLimits.max_epochs` (saying so)."""
    limit = SMOKE_LIMITS.max_epochs
    if smoke_mode() and num_epochs > limit:
        banner(f"Smoke mode: training {limit} of {num_epochs} epochs.")
        return limit
    return num_epochs


def _flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}={os.environ[name]!r} is not understood: set it to 1 (on) or 0 (off).")


def smoke_mode() -> bool:
    """True when ``D2L_SMOKE`` asks for the small, fast CI run."""
    return _flag(SMOKE_ENV)


def synthetic_mode() -> bool:
    """True when the synthetic stand-in data is requested (``D2L_SYNTHETIC=1``, or smoke mode)."""
    return _flag(SYNTHETIC_ENV) or smoke_mode()


def default_data_dir() -> Path:
    """The per-user cache folder used when ``D2L_DATA_DIR`` is not set."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "d2l-course" / "data"


def data_dir() -> Path:
    """The one directory all notebooks share for downloaded (and synthetic) data."""
    configured = os.environ.get(DATA_DIR_ENV, "").strip()
    if len(configured) > 1 and configured[0] == configured[-1] and configured[0] in "'\"":
        configured = configured[1:-1].strip()  # quotes a shell or a .env file left around the path
    return Path(configured).expanduser().resolve() if configured else default_data_dir()


def banner(message: str) -> None:
    """Print a one-line notice that a run is not the book's: synthetic data, smoke limits, CPU fallbacks."""
    print(f"[d2l_utils] {message}", flush=True)


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python's, NumPy's and PyTorch's generators, so every checked output, weight and shuffle repeats;
    returns a torch generator with that seed. A bad ``seed`` is refused before any generator is touched."""
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer from 0 to 2**32 - 1, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)
