"""Small counters the training loop needs: an accumulator, a wall-clock timer, and accuracy."""

from __future__ import annotations

import time

import torch


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
        out, total = [], 0.0
        for t in self.times:
            total += t
            out.append(total)
        return out


def check_labels(y_hat: torch.Tensor, y: torch.Tensor) -> None:
    """Raise ``ValueError`` unless ``y`` holds one class index per row of ``y_hat`` (shape (N,)).

    Labels of shape (N, 1) would otherwise broadcast against (N,) predictions into an (N, N) comparison and
    report an "accuracy" above 1. Only shapes are compared, so this costs no host synchronisation.
    """
    if y.ndim != 1 or y.shape[0] != y_hat.shape[0]:
        fix = " (use y.squeeze(1) or y.flatten())" if y.ndim == 2 and y.shape[-1] == 1 else ""
        raise ValueError(
            f"labels must have shape ({y_hat.shape[0]},), one class index per example, got {tuple(y.shape)}{fix}"
        )


def correct_count(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Number of correct predictions as a 0-d tensor on the logits' device (no host sync)."""
    check_labels(y_hat, y)
    if y_hat.ndim > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(dim=1)
    return (y_hat.to(y.dtype) == y).sum()


def size(x: torch.Tensor) -> int:
    """The number of elements of ``x``: the book's ``d2l.size``, which its ``evaluate_accuracy_gpu`` counts with."""
    return x.numel()


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Number of correct predictions, as the book's ``d2l.accuracy`` returns it (a float count, not a rate)."""
    return float(correct_count(y_hat, y))


class EpochMetrics:
    """Sum of losses, correct predictions and examples seen in an epoch, kept on the training device.

    Adding a step costs no host synchronisation; reading :attr:`mean_loss` or :attr:`accuracy` costs one.
    """

    def __init__(self, device: torch.device) -> None:
        self.loss_sum = torch.zeros((), device=device)
        self.correct = torch.zeros((), device=device, dtype=torch.long)
        self.examples = 0

    def add(self, loss: torch.Tensor, y_hat: torch.Tensor, y: torch.Tensor) -> None:
        """Count one minibatch whose mean loss is ``loss``."""
        with torch.no_grad():
            self.loss_sum += loss.detach().float() * y.numel()
            self.correct += correct_count(y_hat.detach(), y)
        self.examples += y.numel()

    @property
    def mean_loss(self) -> float:
        return self.loss_sum.item() / max(1, self.examples)

    @property
    def accuracy(self) -> float:
        return self.correct.item() / max(1, self.examples)


__all__ = ["Accumulator", "EpochMetrics", "Timer", "accuracy", "check_labels", "correct_count", "size"]
