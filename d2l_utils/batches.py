"""The data protocol ``train_ch6`` and the evaluation helpers rely on, checked before work is spent.

A data set is anything that can be iterated once per epoch and yields ``(X, y)`` pairs of tensors: images
``X`` of shape (batch, channels, height, width) (or flat features for an MLP) and class labels ``y`` of shape
(batch,). ``train_iter`` must also have a ``len()``: its number of batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import torch


def check_batch(batch: Any, name: str) -> None:
    """Raise ``TypeError`` unless ``batch`` is an ``(X, y)`` pair of tensors, saying what it is instead."""
    if isinstance(batch, (tuple, list)) and len(batch) == 2 and all(isinstance(t, torch.Tensor) for t in batch):
        return
    if isinstance(batch, dict):
        what = f"a dict with keys {list(batch)}"
    elif isinstance(batch, (tuple, list)):
        what = f"a {type(batch).__name__} of {len(batch)} items"
    else:
        what = f"a {type(batch).__name__}"
    raise TypeError(
        f"{name} must yield (X, y) pairs of tensors (images, labels), as the book's data loaders do; its first "
        f"batch is {what}. Convert each batch to such a pair, e.g. in a small class whose __iter__ yields "
        "(batch['image'], batch['label'])."
    )


def checked_batches(data_iter: Iterable, name: str) -> Iterator:
    """Iterate ``data_iter``, checking that its first batch is an ``(X, y)`` pair of tensors."""
    for i, batch in enumerate(data_iter):
        if i == 0:
            check_batch(batch, name)
        yield batch


def first_batch(data_iter: Iterable, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``(X, y)`` batch of ``data_iter``, checked, without changing the order batches will come in.

    A DataLoader draws its workers' seeds from the global generator when iteration starts; peeking inside
    ``fork_rng`` leaves that generator as it was. A data set with its own shuffling generator that offers
    ``state_dict``/``load_state_dict`` (like :class:`~d2l_utils.data.InMemoryBatches`) gets its state back.
    So the training run still repeats the book's.
    """
    saved = data_iter.state_dict() if hasattr(data_iter, "state_dict") else None
    with torch.random.fork_rng(devices=[]):
        batch = next(iter(data_iter), None)
    if saved is not None:
        data_iter.load_state_dict(saved)
    if batch is None:
        raise ValueError(f"{name} yielded no batches: check the data loader (empty data set or subset?)")
    check_batch(batch, name)
    return batch[0], batch[1]


def check_data_iter(data_iter: Any, name: str, split: str, *, needs_len: bool) -> None:
    """Data must be iterable again every epoch; ``train_iter`` must also say how many batches it has."""
    if isinstance(data_iter, Iterator):
        raise TypeError(
            f"{name} is a one-shot iterator ({type(data_iter).__name__}): it would be empty after its first pass. "
            "Pass something that can be iterated every epoch, e.g. a DataLoader or a list of (X, y) batches."
        )
    if not hasattr(data_iter, "__len__"):
        if needs_len:
            raise TypeError(
                f"{name} ({type(data_iter).__name__}) has no len(): train_ch6 needs the number of batches per "
                "epoch for its progress and plot. Add a __len__ method, or pass a DataLoader or a list."
            )
        return
    if len(data_iter) == 0:
        raise ValueError(f"{name} has no batches: the {split} set is empty")


__all__ = ["check_batch", "check_data_iter", "checked_batches", "first_batch"]
