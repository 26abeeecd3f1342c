"""Where a trained classifier errs: a confusion matrix over a whole data set, and per-class accuracy.

The accuracy itself, ``evaluate_accuracy_gpu``, lives with the training loop in :mod:`d2l_utils.training`.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from .guard_rails.checks import check_positive_int
from .training import predictions


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


__all__ = ["confusion_matrix", "per_class_accuracy"]
