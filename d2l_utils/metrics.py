"""The book's counters, as its chapter code uses them: an accumulator, a wall-clock timer, accuracy and size."""

from __future__ import annotations

import itertools
import time

import torch

from .guard_rails.checks import PredictionCheck


class Accumulator:
    """Running sums of ``n`` quantities, e.g. (loss sum, correct predictions, examples)."""

    def __init__(self, n: int) -> None:
        self.data = [0.0] * n

    def add(self, *args: float) -> None:
        if len(args) != len(self.data):
            raise ValueError(f"expected {len(self.data)} values, got {len(args)}")
        self.data = [a + float(b) for a, b in zip(self.data, args, strict=True)]

    def reset(self) -> None:
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx: int) -> float:
        return self.data[idx]


class Timer:
    """Record several wall-clock intervals (``start``/``stop``) and report their sum, mean or running total."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._tik: float | None = None

    def start(self) -> None:
        self._tik = time.perf_counter()

    def stop(self) -> float:
        if self._tik is None:
            raise RuntimeError("Timer.stop() called before Timer.start()")
        self.times.append(time.perf_counter() - self._tik)
        self._tik = None
        return self.times[-1]

    def avg(self) -> float:
        return sum(self.times) / len(self.times) if self.times else 0.0

    def sum(self) -> float:
        return sum(self.times)

    def cumsum(self) -> list[float]:
        return list(itertools.accumulate(self.times))


def size(x: torch.Tensor) -> int:
    """The number of elements of ``x``: the book's ``d2l.size``, which its ``evaluate_accuracy_gpu`` counts with."""
    return x.numel()


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Number of correct predictions, as the book's ``d2l.accuracy`` (a float count, not a rate); NaN or
    infinite outputs count as wrong, with a warning saying how many; a label that is no class is refused."""
    check = PredictionCheck()
    classes, y = check(y_hat, y)
    check.finish()
    return float((classes == y).sum())
