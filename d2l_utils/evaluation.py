"""Scoring a trained classifier: accuracy over a whole data set, and a confusion matrix."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

import torch
from torch import nn

from .devices import module_device


@contextlib.contextmanager
def eval_mode(net: nn.Module) -> Iterator[nn.Module]:
    """Put ``net`` in eval mode for a block, then back into whatever mode it was in."""
    was_training = net.training
    net.eval()
    try:
        yield net
    finally:
        net.train(was_training)


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """Mixed-precision autocast to ``dtype`` on ``device``'s type, or a no-op context when ``dtype`` is None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def predictions(
    net: nn.Module, data_iter: Iterable, device: torch.device | str | None = None, *,
    autocast_dtype: torch.dtype | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:  # fmt: skip
    """Yield ``(predicted class, true class)`` per batch, computed in eval mode under ``no_grad``."""
    device = torch.device(device) if device is not None else module_device(net)
    with eval_mode(net), torch.no_grad(), autocast(device, autocast_dtype):
        for X, y in data_iter:
            X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
            yield net(X).argmax(dim=1), y


def evaluate_accuracy_gpu(
    net: nn.Module, data_iter: Iterable, device: torch.device | str | None = None, *,
    autocast_dtype: torch.dtype | None = None,
) -> float:  # fmt: skip
    """Accuracy of ``net`` over every batch of ``data_iter``, on ``device`` (default: where the net lives).

    Fixes the copied versions' faults: all batches count (not only the first), gradients are off, the net runs
    in eval mode (dropout off) and is returned to the mode it was in. Counts stay on the device until the end,
    so there is one host synchronisation per call, not one per batch.
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
    """Counts ``M[i, j]`` of examples of true class ``i`` predicted as ``j``, over the whole data set (on the CPU)."""
    matrix = None
    for y_hat, y in predictions(net, data_iter, device):
        counts = torch.bincount(y * num_classes + y_hat, minlength=num_classes * num_classes)
        matrix = counts if matrix is None else matrix + counts
    if matrix is None:
        raise ValueError("data_iter yielded no examples")
    return matrix.reshape(num_classes, num_classes).cpu()


def per_class_accuracy(matrix: torch.Tensor) -> torch.Tensor:
    """Fraction of each true class predicted correctly, from a confusion matrix (NaN for an absent class)."""
    matrix = matrix.double()
    return matrix.diagonal() / matrix.sum(dim=1)
