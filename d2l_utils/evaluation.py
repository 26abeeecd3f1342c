"""Scoring a trained classifier: accuracy over a whole data set, and a confusion matrix."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import torch
from torch import nn

from .guard_rails.checks import check_module, check_positive_int, checked_batches
from .metrics import PredictionCheck
from .modules import eval_mode, module_device
from .shapes import check_input_fits
from .speed import autocast


def predictions(
    net: nn.Module, data_iter: Iterable, device: torch.device | str | None = None, *,
    autocast_dtype: torch.dtype | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:  # fmt: skip
    """Yield ``(predicted class, true class)`` per batch (int64), computed in eval mode under ``no_grad``.

    A first batch that does not fit the net raises :class:`~d2l_utils.shapes.ShapeMismatchError` naming the
    layer; batches must be ``(X, y)`` pairs, outputs one row of scores per example and labels integer class
    indices of shape (N,) (see :class:`~d2l_utils.metrics.PredictionCheck`). An example whose outputs are NaN or
    infinite gets the predicted class -1 (wrong whatever its label); a warning at the end says how many.
    """
    check_module(net)
    device = torch.device(device) if device is not None else module_device(net)
    check = PredictionCheck()
    with eval_mode(net), torch.no_grad(), autocast(device, autocast_dtype):
        for step, (X, y) in enumerate(checked_batches(data_iter, "data_iter")):
            X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
            try:
                y_hat = net(X)
            except RuntimeError:
                if step == 0:
                    check_input_fits(net, X)  # raises ShapeMismatchError naming the layer, if that is the cause
                raise
            yield check(y_hat, y)
    check.warn()


def evaluate_accuracy_gpu(
    net: nn.Module, data_iter: Iterable, device: torch.device | str | None = None, *,
    autocast_dtype: torch.dtype | None = None,
) -> float:  # fmt: skip
    """Accuracy of ``net`` over every batch of ``data_iter``, on ``device`` (default: where the net lives).

    All batches count, gradients are off, and the net runs in eval mode (dropout off); afterwards every
    submodule is back in the mode it was in. Counts stay on the device until the end, so there is one host
    synchronisation per call, not one per batch.
    """
    correct, total = None, 0
    for y_hat, y in predictions(net, data_iter, device, autocast_dtype=autocast_dtype):
        hits = (y_hat == y).sum()
        correct = hits if correct is None else correct + hits
        total += y.numel()
    if total == 0:
        raise ValueError("data_iter yielded no examples: check the data loader (empty data set or subset?)")
    return correct.item() / total


def confusion_matrix(
    net: nn.Module, data_iter: Iterable, num_classes: int = 10, device: torch.device | str | None = None
) -> torch.Tensor:
    """Counts ``M[i, j]`` of examples of true class ``i`` predicted as ``j``, over the whole data set (on the CPU).

    A label or prediction outside ``0 … num_classes - 1`` raises ``ValueError`` (it would be counted in the
    wrong cell otherwise). Examples whose outputs are NaN or infinite belong to no cell: they are left out, and
    a warning says how many.
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    matrix, seen = torch.zeros(num_classes * num_classes, dtype=torch.long), 0
    for y_hat, y in predictions(net, data_iter, device):
        seen += len(y)
        y_hat, y = y_hat[y_hat >= 0], y[y_hat >= 0]
        if len(y):
            _check_classes(y_hat, y, num_classes)
            matrix = matrix.to(y.device) + torch.bincount(y.long() * num_classes + y_hat, minlength=num_classes**2)
    if not seen:
        raise ValueError("data_iter yielded no examples")
    return matrix.reshape(num_classes, num_classes).cpu()


def _check_classes(y_hat: torch.Tensor, y: torch.Tensor, num_classes: int) -> None:
    for what, values in (("label", y), ("predicted class", y_hat)):
        low, high = int(values.min()), int(values.max())
        if low < 0 or high >= num_classes:
            bad = low if low < 0 else high
            raise ValueError(
                f"a {what} is {bad}, outside 0 … {num_classes - 1}: pass num_classes= the number of classes "
                "(the net's number of outputs)"
            )


def per_class_accuracy(matrix: torch.Tensor) -> torch.Tensor:
    """Fraction of each true class predicted correctly, from a confusion matrix (NaN for an absent class)."""
    matrix = matrix.double()
    return matrix.diagonal() / matrix.sum(dim=1)


__all__ = ["confusion_matrix", "evaluate_accuracy_gpu", "per_class_accuracy", "predictions"]
