"""The arithmetic and the Markdown of the pipeline benchmark: mean ± spread over seeds, speed-up, parity.

Kept apart from the code that trains, so it can be read (and tested) on its own:

* **spread** is the sample standard deviation over seeds (``n - 1`` in the denominator): how much one run of
  the same pipeline differs from another only because the seed changed;
* **speed-up** is the book's mean seconds per epoch divided by ours;
* **parity**: ours is "within the seed-to-seed noise" when its mean test accuracy differs from the book's by at
  most twice the larger of the two spreads. Two runs of one pipeline commonly differ by that much, so a smaller
  gap cannot be told apart from a change of seed; a larger one means a setting of ours costs (or gains)
  accuracy. It needs at least two seeds per pipeline.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

NOISE_FACTOR = 2.0  # parity: |difference of means| <= NOISE_FACTOR * larger seed-to-seed standard deviation


@dataclass(frozen=True)
class Spread:
    """Mean and sample standard deviation of one quantity over ``n`` runs (``sd`` is NaN for one run)."""

    mean: float
    sd: float
    n: int

    def format(self, digits: int) -> str:
        """``"9.51 ± 0.16"``; one run shows its value alone, since one value has no spread."""
        if self.n < 2:
            return f"{self.mean:.{digits}f}"
        return f"{self.mean:.{digits}f} ± {self.sd:.{digits}f}"


def spread(values: Sequence[float]) -> Spread:
    """Mean and sample standard deviation of ``values`` (at least one)."""
    if not values:
        raise ValueError("spread() needs at least one value")
    sd = statistics.stdev(values) if len(values) > 1 else math.nan
    return Spread(statistics.fmean(values), sd, len(values))


@dataclass(frozen=True)
class Parity:
    """How far ours' mean accuracy lies from the book's, against the seed-to-seed noise."""

    difference: float  # ours' mean minus the book's
    noise: float  # NOISE_FACTOR * the larger standard deviation; NaN with fewer than two seeds

    @property
    def measured(self) -> bool:
        return not math.isnan(self.noise)

    @property
    def within_noise(self) -> bool:
        # A small tolerance: accuracies are exact fractions, their means and deviations are not.
        return self.measured and abs(self.difference) <= self.noise + 1e-12

    def verdict(self) -> str:
        if not self.measured:
            return "n/a (one seed)"
        return f"{'yes' if self.within_noise else '**no**'} (noise ±{self.noise:.3f})"


def parity(book_accuracies: Sequence[float], our_accuracies: Sequence[float]) -> Parity:
    """Compare the test accuracies of the two pipelines over the same seeds."""
    book, ours = spread(book_accuracies), spread(our_accuracies)
    noise = NOISE_FACTOR * max(book.sd, ours.sd) if min(book.n, ours.n) >= 2 else math.nan
    return Parity(ours.mean - book.mean, noise)


def speed_up(book_seconds: Sequence[float], our_seconds: Sequence[float]) -> float:
    """How many times faster ours is: the book's mean seconds per epoch over ours."""
    ours = spread(our_seconds).mean
    if ours <= 0:
        raise ValueError(f"our seconds per epoch must be positive, got a mean of {ours}")
    return spread(book_seconds).mean / ours


@dataclass(frozen=True)
class Run:
    """One training run of one pipeline: seconds per epoch (the whole call) and the final accuracies."""

    pipeline: str  # "book" or "ours"
    seed: int
    seconds_per_epoch: float
    train_acc: float
    test_acc: float
    steady_train_seconds: float | None = None  # ours: training part of an epoch, epochs after the first


@dataclass(frozen=True)
class Comparison:
    """Both pipelines' runs for one model: ``label`` names model and data, e.g. "LeNet, 60,000 images"."""

    label: str
    epochs: int
    book: tuple[Run, ...]
    ours: tuple[Run, ...]

    def row(self) -> str:
        book_s = [r.seconds_per_epoch for r in self.book]
        our_s = [r.seconds_per_epoch for r in self.ours]
        book_acc = [r.test_acc for r in self.book]
        our_acc = [r.test_acc for r in self.ours]
        check = parity(book_acc, our_acc)
        cells = [
            self.label,
            f"{self.epochs} × {len(self.book)}",
            spread(book_s).format(2),
            spread(our_s).format(2),
            f"**{speed_up(book_s, our_s):.2f}×**",
            spread(book_acc).format(3),
            spread(our_acc).format(3),
            f"{check.difference:+.3f}",
            check.verdict(),
        ]
        return "| " + " | ".join(cells) + " |"


PARITY_HEADER = (
    "| model, data | epochs × seeds | book s/epoch | ours s/epoch | speed-up | book test acc | ours test acc "
    "| ours − book | within noise? |\n|---|---|---:|---:|---:|---:|---:|---:|---|"
)


def parity_table(comparisons: Sequence[Comparison]) -> str:
    """The Markdown table of all comparisons, one row per model."""
    return "\n".join([PARITY_HEADER, *(c.row() for c in comparisons)])


@dataclass(frozen=True)
class Bound:
    """The lower bound for one model: ours' steady training seconds per epoch against the bound's."""

    label: str
    ours_seconds: Sequence[float]  # one per seed
    bounds: dict[str, float]  # method name ("tight loop", "CUDA graph") -> seconds per epoch

    def row(self) -> str:
        best = min(self.bounds.values())
        ours = spread(self.ours_seconds)
        methods = ", ".join(f"{name} {seconds:.3f}" for name, seconds in self.bounds.items())
        return f"| {self.label} | {ours.format(3)} | {methods} | **{ours.mean / best:.2f}×** |"


BOUND_HEADER = (
    "| model, data | ours: training s/epoch | lower bound s/epoch | ours / lower bound |\n|---|---:|---|---:|"
)


def bound_table(bounds: Sequence[Bound]) -> str:
    """The Markdown table of the lower-bound measurements (1.00× would be ours at the bound)."""
    return "\n".join([BOUND_HEADER, *(b.row() for b in bounds)])
