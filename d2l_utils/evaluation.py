"""Where a trained classifier errs: a confusion matrix over a whole data set, per-class accuracy, the errors."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from .guard_rails.checks import check_positive_int, checked_batches
from .shapes import eval_mode, module_device
from .training import predictions


def confusion_matrix(
    net: nn.Module, data_iter: Iterable, num_classes: int = 10, device: torch.device | str | None = None
) -> torch.Tensor:
    """Counts ``M[i, j]`` of examples of true class ``i`` predicted as ``j`` over the data set (on the CPU); an
    out-of-range label or prediction raises ``ValueError``, and NaN outputs are left out with a warning."""
    num_classes = check_positive_int(num_classes, "num_classes")
    matrix, seen = torch.zeros(num_classes * num_classes, dtype=torch.long), 0
    for y_hat, y in predictions(net, data_iter, device):
        seen += len(y)
        _check_classes("label", y, num_classes)
        y_hat, y = y_hat[y_hat >= 0], y[y_hat >= 0]
        if len(y):
            _check_classes("predicted class", y_hat, num_classes)
            matrix = matrix.to(y.device) + torch.bincount(y.long() * num_classes + y_hat, minlength=num_classes**2)
    if not seen:
        raise ValueError("data_iter yielded no examples")
    return matrix.reshape(num_classes, num_classes).cpu()


def _check_classes(what: str, values: torch.Tensor, num_classes: int) -> None:
    low, high = (int(values.min()), int(values.max())) if len(values) else (0, 0)
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"a {what} is {low if low < 0 else high}, outside 0 … {num_classes - 1}: pass num_classes= the number "
            "of classes (the net's number of outputs)"
        )


def per_class_accuracy(matrix: torch.Tensor) -> torch.Tensor:
    """Fraction of each true class predicted correctly, from a confusion matrix (NaN for an absent class)."""
    matrix = matrix.double()
    return matrix.diagonal() / matrix.sum(dim=1)


def misclassified(
    net: nn.Module, data_iter: Iterable, max_count: int = 24
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The first ``max_count`` examples ``net`` gets wrong, ``(images, predicted, true)`` on the CPU, in eval mode;
    stops reading once it has enough, and leaves the net in its mode."""
    max_count = check_positive_int(max_count, "max_count")
    device = module_device(net)
    images, predicted, true = [], [], []
    found = 0
    with eval_mode(net), torch.no_grad():
        for X, y in checked_batches(data_iter, "data_iter"):
            y_hat = net(X.to(device)).argmax(dim=1).cpu()
            wrong = (y_hat != y.cpu()).nonzero().flatten()[: max_count - found]
            images.append(X.cpu()[wrong])
            predicted.append(y_hat[wrong])
            true.append(y.cpu()[wrong])
            found += len(wrong)
            if found == max_count:
                break
    if not images:
        raise ValueError("data_iter yielded no examples")
    return torch.cat(images), torch.cat(predicted), torch.cat(true)
