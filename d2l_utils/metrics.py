"""Small counters the training loop needs: an accumulator, a wall-clock timer, and accuracy."""

from __future__ import annotations

import time
import warnings

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


NONFINITE_WARNING = (
    "{bad} of {total} outputs of the net hold NaN or infinite scores; they count as wrong predictions. The net "
    "has diverged (lower the learning rate) or its input holds NaN (check the data)."
)


def _check_tensors(y_hat, y=None) -> None:
    """Outputs and labels must be tensors; a net that returns a tuple (logits, extras) is named, with the fix."""
    if not isinstance(y_hat, torch.Tensor):
        what = f"a {type(y_hat).__name__} of {len(y_hat)} items" if isinstance(y_hat, (tuple, list)) else repr(y_hat)
        raise TypeError(
            f"the net's output is {what:.100}, not a tensor of class scores: make forward return only the logits "
            "(e.g. the first item of the tuple)"
        )
    if y is not None and not isinstance(y, torch.Tensor):
        raise TypeError(f"labels must be a tensor of class indices, got {type(y).__name__}: use torch.tensor(y)")


def check_predictions(y_hat: torch.Tensor) -> None:
    """Raise ``ValueError`` unless ``y_hat`` is one row of class scores per example, (N, C), or classes, (N,).

    Outputs of shape (N, 10, 1, 1), from a net that ends with global pooling but no ``Flatten``, would otherwise
    compare 10 (or more) entries per example with the labels and report an "accuracy" above 1.
    """
    _check_tensors(y_hat)
    if (y_hat.ndim == 2 and y_hat.shape[1] > 1) or y_hat.ndim == 1:
        return
    shape = tuple(y_hat.shape)
    if y_hat.ndim > 2 and all(n == 1 for n in shape[2:]):
        fix = "add nn.Flatten() as the net's last layer (after the global pooling), or pass y_hat.flatten(1)"
    elif y_hat.ndim > 2:
        fix = "the net still outputs feature maps: end it with global pooling, nn.Flatten() and a Linear layer"
    elif y_hat.ndim == 2:
        fix = "a classifier's last layer needs one output per class (e.g. nn.Linear(..., 10))"
    else:
        fix = "pass the outputs of a whole batch"
    raise ValueError(
        f"the net's outputs have shape {shape}, but scoring needs one row of class scores per example, shape "
        f"(batch, num_classes): {fix}"
    )


def check_labels(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``y`` as int64 class indices, one per row of ``y_hat`` (shape (N,)); ``ValueError`` if they are not that.

    Labels of shape (N, 1) would otherwise broadcast against (N,) predictions into an (N, N) comparison and
    report an "accuracy" above 1; the outputs are checked too (:func:`check_predictions`). Integer labels of any
    width (uint8 straight from an IDX file, int32) become int64, so index arithmetic on them cannot overflow;
    float or bool labels are refused with the fix. Only shapes and dtypes are looked at, so this costs no host
    synchronisation.
    """
    check_predictions(y_hat)
    _check_tensors(y_hat, y)
    if y.ndim != 1 or y.shape[0] != y_hat.shape[0]:
        fix = " (use y.squeeze(1) or y.flatten())" if y.ndim == 2 and y.shape[-1] == 1 else ""
        raise ValueError(
            f"labels must have shape ({y_hat.shape[0]},), one class index per example, got {tuple(y.shape)}{fix}"
        )
    if y.dtype == torch.bool or y.is_floating_point() or y.is_complex():
        raise ValueError(
            f"labels are {str(y.dtype).removeprefix('torch.')}, but class indices must be integers: convert them "
            "with y.long() (one-hot or soft labels: take y.argmax(dim=1) first)"
        )
    return y.long()


def predicted_classes(y_hat: torch.Tensor) -> torch.Tensor:
    """The predicted class of each example as int64; -1 (never a label) where its scores hold NaN or inf."""
    check_predictions(y_hat)
    if y_hat.ndim == 1:
        return y_hat.long() if not y_hat.is_floating_point() else torch.where(y_hat.isfinite(), y_hat, -1).long()
    return torch.where(y_hat.isfinite().all(dim=1), y_hat.argmax(dim=1), -1)


def check_label_range(low: int, high: int, classes: int | None) -> None:
    """Labels from ``low`` to ``high`` must be classes of outputs with ``classes`` scores (None: any label ≥ 0).

    A label outside them can match no prediction, or worse, match the -1 that NaN outputs get.
    """
    if low >= 0 and (classes is None or high < classes):
        return
    limit = f"0 … {classes - 1} (one per output of the net)" if classes else "0 or more"
    fix = (
        "leave out examples without a label"
        if low < 0
        else ("labels counted from 1? subtract 1. Or give the net's last layer one output per class")
    )
    raise ValueError(f"a label is {low if low < 0 else high}, but class indices run {limit}: {fix}")


class PredictionCheck:
    """Checks each batch's outputs and labels, and counts the non-finite outputs to report them once at the end.

    ``check(y_hat, y)`` returns ``(predicted classes, int64 labels)``; the count and the labels' range stay on the
    device until :meth:`finish` (one host synchronisation), which refuses labels that are no class of the outputs
    and warns if any output was NaN or infinite.
    """

    def __init__(self) -> None:
        self.bad: torch.Tensor | None = None
        self.span: torch.Tensor | None = None  # (-smallest label, largest label) so far
        self.classes: int | None = None  # scores per example; None when the outputs are classes already
        self.total = 0

    def __call__(self, y_hat: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y = check_labels(y_hat, y)  # checks y_hat's shape too
        classes = predicted_classes(y_hat)
        bad = (classes < 0).sum()
        self.bad = bad if self.bad is None else self.bad + bad
        if y.numel():
            span = torch.stack((-y.min(), y.max()))
            self.span = span if self.span is None else torch.maximum(self.span, span)
        self.classes = y_hat.shape[1] if y_hat.ndim == 2 else None
        self.total += y.numel()
        return classes, y

    def finish(self, stacklevel: int = 3) -> None:
        if self.span is None:
            return
        bad, low, high = torch.cat((self.bad.view(1), self.span)).tolist()
        check_label_range(-low, high, self.classes)
        if bad:
            warnings.warn(NONFINITE_WARNING.format(bad=bad, total=self.total), stacklevel=stacklevel)


def size(x: torch.Tensor) -> int:
    """The number of elements of ``x``: the book's ``d2l.size``, which its ``evaluate_accuracy_gpu`` counts with."""
    return x.numel()


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Number of correct predictions, as the book's ``d2l.accuracy`` returns it (a float count, not a rate).

    NaN or infinite outputs count as wrong, and a warning says how many there were; a label that is no class of
    the outputs is refused.
    """
    check = PredictionCheck()
    classes, y = check(y_hat, y)
    check.finish()
    return float((classes == y).sum())


class EpochMetrics:
    """Sum of losses, correct predictions and examples seen in an epoch, kept on the training device.

    Adding a step costs no host synchronisation; reading :attr:`mean_loss` or :attr:`accuracy` costs one.
    """

    def __init__(self, device: torch.device) -> None:
        self.loss_sum = torch.zeros((), device=device)
        self.correct = torch.zeros((), device=device, dtype=torch.long)
        self.nonfinite = torch.zeros((), device=device, dtype=torch.long)
        self.examples = 0

    def add(self, loss: torch.Tensor, y_hat: torch.Tensor, y: torch.Tensor) -> None:
        """Count one minibatch whose mean loss is ``loss``."""
        with torch.no_grad():
            self.loss_sum += loss.detach().float() * y.numel()
            classes = predicted_classes(y_hat.detach())
            self.correct += (classes == check_labels(y_hat, y)).sum()
            self.nonfinite += (classes < 0).sum()
        self.examples += y.numel()

    @property
    def mean_loss(self) -> float:
        return self.loss_sum.item() / max(1, self.examples)

    @property
    def accuracy(self) -> float:
        """Fraction of correct predictions; warns if any output was NaN or infinite (counted as wrong)."""
        correct, nonfinite = torch.stack((self.correct, self.nonfinite)).tolist()
        if nonfinite:
            warnings.warn(NONFINITE_WARNING.format(bad=nonfinite, total=self.examples), stacklevel=2)
        return correct / max(1, self.examples)


__all__ = [
    "NONFINITE_WARNING", "Accumulator", "EpochMetrics", "PredictionCheck", "Timer", "accuracy", "check_label_range",
    "check_labels", "check_predictions", "predicted_classes", "size",
]  # fmt: skip
