"""The small checks the course's helpers share, each raising what is wrong and what to pass instead before any work is
spent, and :func:`atomic_write`, the one way the course writes a file."""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn


def is_positive_int(value: Any) -> bool:
    """True for an integer ≥ 1 of any integer type (Python, numpy, a 0-d integer tensor), never for a bool."""
    if isinstance(value, torch.Tensor):
        return value.ndim == 0 and not value.is_floating_point() and value.dtype != torch.bool and int(value) >= 1
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1


def check_positive_int(value: Any, name: str) -> int:
    """``value`` as a plain ``int`` if it is a positive integer; otherwise ``ValueError`` naming ``name``."""
    if not is_positive_int(value):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_positive_ints(what: str, **values: Any) -> None:
    """Check several sizes of one call at once, e.g. ``check_positive_ints("vgg_block", num_convs=n, ...)``."""
    for name, value in values.items():
        check_positive_int(value, f"{what}: {name}")


def is_positive_number(value: Any) -> bool:
    """True for a finite real number > 0 of any numeric type (numpy too), never for a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def check_positive_number(value: Any, name: str) -> float:
    """``value`` as a float if it is a finite number > 0 (not a bool); otherwise ``ValueError`` naming ``name``."""
    if not is_positive_number(value):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def check_module(net: Any, name: str = "net") -> nn.Module:
    """``net`` if it is an ``nn.Module``; a builder passed without calling it gets "call ``du.lenet()``"."""
    if isinstance(net, nn.Module):
        return net
    if callable(net) and isinstance(getattr(net, "__name__", None), str):
        raise TypeError(
            f"{name} is the function {net.__name__}, not a network: call it to build one, e.g. "
            f"{name}=du.{net.__name__}()"
        )
    raise TypeError(f"{name} must be a torch nn.Module (a network), got {type(net).__name__}")


# --- facts about a module --------------------------------------------------------------------------------------


def module_device(net: nn.Module) -> torch.device:
    """The device of ``net``'s first parameter (the CPU for a net without parameters, e.g. pooling alone)."""
    param = next(net.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


@contextlib.contextmanager
def eval_mode(net: nn.Module) -> Iterator[nn.Module]:
    """Put ``net`` in eval mode for a block, then give every submodule back its own mode, so a part frozen in eval mode
    (e.g. a BatchNorm while the rest fine-tunes) is not switched back to training."""
    modes = [(module, module.training) for module in net.modules()]
    net.eval()
    try:
        yield net
    finally:
        for module, training in modes:
            module.training = training


# --- a net's outputs and labels ----------------------------------------------------------------------------------

NONFINITE_WARNING = (
    "{bad} of {total} outputs of the net hold NaN or infinite scores; they count as wrong predictions. The net "
    "has diverged (lower the learning rate) or its input holds NaN (check the data)."
)


def check_predictions(y_hat: torch.Tensor) -> None:
    """Raise ``ValueError`` unless ``y_hat`` is one row of class scores per example, (N, C), or classes, (N,): (N, 10,
    1, 1) outputs of a net without its ``Flatten`` would otherwise score an "accuracy" above 1."""
    if not isinstance(y_hat, torch.Tensor):  # e.g. a net that returns a tuple (logits, extras)
        what = f"a {type(y_hat).__name__} of {len(y_hat)} items" if isinstance(y_hat, (tuple, list)) else repr(y_hat)
        raise TypeError(
            f"the net's output is {what:.100}, not a tensor of class scores: make forward return only the logits "
            "(e.g. the first item of the tuple)"
        )
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
    """``y`` as int64 class indices, one per row of ``y_hat``, or ``ValueError`` with the fix: (N, 1) labels would
    broadcast into an "accuracy" above 1, and float or bool labels are refused. Reads shapes and dtypes only (no
    sync)."""
    check_predictions(y_hat)
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"labels must be a tensor of class indices, got {type(y).__name__}: use torch.tensor(y)")
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
    """Labels from ``low`` to ``high`` must be classes of outputs with ``classes`` scores (None: any label ≥ 0): one
    outside them can match no prediction, or worse, the -1 that NaN outputs get."""
    if low >= 0 and (classes is None or high < classes):
        return
    limit = f"0 … {classes - 1} (one per output of the net)" if classes else "0 or more"
    too_high = "labels counted from 1? subtract 1. Or give the net's last layer one output per class"
    label, fix = (low, "leave out examples without a label") if low < 0 else (high, too_high)
    raise ValueError(f"a label is {label}, but class indices run {limit}: {fix}")


def check_first_outputs(y_hat: torch.Tensor, y: torch.Tensor) -> None:
    """Before any step, name a net without its last ``Flatten`` or a label beyond its outputs, from its outputs for the
    first test batch (or one example of it), not after an epoch of training."""
    check_predictions(y_hat)
    y = check_labels(y_hat.expand(len(y) if y.ndim else 1, *y_hat.shape[1:]), y)
    if len(y):
        check_label_range(int(y.min()), int(y.max()), y_hat.shape[1] if y_hat.ndim == 2 else None)


class PredictionCheck:
    """Checks each batch's outputs and labels (``check(y_hat, y)`` returns predicted classes and int64 labels);
    counts stay on the device until :meth:`finish`, which refuses labels that are no class of the outputs and
    warns once about NaN or infinite outputs."""

    def __init__(self) -> None:
        self.bad: torch.Tensor | int = 0  # outputs with NaN or infinite scores so far
        self.span: torch.Tensor | None = None  # (-smallest label, largest label) so far
        self.classes: int | None = None  # scores per example; None when the outputs are classes already
        self.total = 0

    def __call__(self, y_hat: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y = check_labels(y_hat, y)  # checks y_hat's shape too
        classes = predicted_classes(y_hat)
        self.bad = self.bad + (classes < 0).sum()
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


# --- files ------------------------------------------------------------------------------------------------------


def user_path(path: str | os.PathLike) -> Path:
    """``path`` as a ``Path`` with ``~`` expanded, so ``"~/nets/lenet.pt"`` never creates a folder named ``~``."""
    return Path(path).expanduser()


def check_writable_folder(folder: str | os.PathLike) -> Path:
    """Create ``folder`` if needed and check a file can be written in it; ``OSError`` otherwise."""
    folder = user_path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder):
        pass
    return folder


def check_writable_file(path: str | os.PathLike, argument: str = "checkpoint") -> Path:
    """``path`` (``~`` expanded) if a file can be written there, else ``ValueError`` saying why and what to do; called
    before training, so a bad path never costs an epoch."""
    path = user_path(path)
    if path.is_dir():
        raise ValueError(f"{argument}={str(path)!r} is a folder; name a file in it, e.g. {str(path / 'net.pt')!r}")
    try:
        check_writable_folder(path.parent)
    except OSError as err:
        raise ValueError(
            f"{argument}={str(path)!r} cannot be written ({err.strerror or err}): choose a file in a folder you "
            "can write to"
        ) from err
    return path


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path`` (unique, ``.<name>.<random>.part``) that replaces ``path`` only when the
    block succeeds: an interrupted write leaves the previous file, and concurrent writers never see each other's
    half."""
    path = user_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp makes files private (0600); data and figures are meant to be shared
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# --- the (X, y) batch protocol -------------------------------------------------------------------------------------
# A data set is anything that can be iterated once per epoch and yields (X, y) pairs of tensors: images X of shape
# (batch, channels, height, width) (or flat features for an MLP) and class labels y of shape (batch,).
# train_ch6's train_iter must also have a len(): its number of batches.


def check_batch(batch: Any, name: str) -> None:
    """Raise ``TypeError`` unless ``batch`` is an ``(X, y)`` pair of tensors, saying what it is instead."""
    if isinstance(batch, (tuple, list)) and len(batch) == 2 and all(isinstance(t, torch.Tensor) for t in batch):
        return
    what = f"a {type(batch).__name__}"
    if isinstance(batch, dict):
        what += f" with keys {list(batch)}"
    elif isinstance(batch, (tuple, list)):
        what += f" of {len(batch)} items"
    raise TypeError(
        f"{name} must yield (X, y) pairs of tensors (images, labels), as the book's data loaders do; its first "
        f"batch is {what}. Convert each batch to such a pair, e.g. in a small class whose __iter__ yields "
        "(batch['image'], batch['label'])."
    )


def checked_batches(data_iter: Iterable, name: str) -> Iterator:
    """Iterate ``data_iter``, checking that its first batch is an ``(X, y)`` pair of tensors; integer labels of any
    width (int32 is numpy's default on Windows) come out as the int64 the loss needs."""
    for i, batch in enumerate(data_iter):
        if i == 0:
            check_batch(batch, name)
        X, y = batch
        yield X, y.long() if y.dtype in (torch.uint8, torch.int8, torch.int16, torch.int32) else y


def first_batch(data_iter: Iterable, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``(X, y)`` batch of ``data_iter``, checked, without changing the order batches will come in (the global
    generator and a data set's own ``state_dict`` are put back), so the run still repeats the book's."""
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
    if needs_len and not hasattr(data_iter, "__len__"):
        raise TypeError(
            f"{name} ({type(data_iter).__name__}) has no len(): train_ch6 needs the number of batches per epoch "
            "for its progress and plot. Add a __len__ method, or pass a DataLoader or a list."
        )
    if hasattr(data_iter, "__len__") and len(data_iter) == 0:
        raise ValueError(f"{name} has no batches: the {split} set is empty")


# --- train_ch6's arguments ------------------------------------------------------------------------------------------


def check_train_arguments(net: Any, num_epochs: Any, lr: Any, train_iter: Any, test_iter: Any) -> tuple[int, float]:
    """Reject what would fail later (after an epoch of work) or silently do something else; return the numbers."""
    net = check_module(net)
    num_epochs = check_positive_int(num_epochs, "num_epochs")
    lr = check_positive_number(lr, "lr")
    check_data_iter(train_iter, "train_iter", "training", needs_len=True)
    check_data_iter(test_iter, "test_iter", "test", needs_len=False)
    if not any(p.requires_grad for p in net.parameters()):
        raise ValueError("net has no trainable parameters: there is nothing for SGD to learn")
    if any(isinstance(m, nn.BatchNorm1d) for m in net.modules()) and last_batch_size(train_iter) == 1:
        raise ValueError(  # now, not as "Expected more than 1 value per channel" after a whole epoch of work
            "train_iter's last batch holds 1 example, and the net has nn.BatchNorm1d layers, which cannot normalise "
            "a batch of one in training mode: the first epoch would fail at its last step. Choose a batch size that "
            "does not leave one example over (e.g. one more or one less), or drop the last batch "
            "(DataLoader(..., drop_last=True))."
        )
    return num_epochs, lr


def last_batch_size(data_iter: Any) -> int | None:
    """How many examples the last batch of an epoch holds, where that can be known without iterating."""
    if hasattr(data_iter, "last_batch_size"):  # the course's in-memory batches
        return data_iter.last_batch_size
    # A DataLoader's sampler says how many examples an epoch draws (a SubsetRandomSampler: fewer than the dataset)
    drawn = getattr(data_iter, "sampler", getattr(data_iter, "dataset", None))
    batch_size = getattr(data_iter, "batch_size", None)
    if drawn is not None and batch_size and not getattr(data_iter, "drop_last", False) and hasattr(drawn, "__len__"):
        return len(drawn) % batch_size or batch_size
    last = data_iter[-1] if isinstance(data_iter, (list, tuple)) and data_iter else None  # a list of (X, y) batches
    if isinstance(last, (list, tuple)) and last and isinstance(last[-1], torch.Tensor) and last[-1].ndim:
        return last[-1].shape[0]
    return None


def check_loss_reduction(loss: Any) -> None:
    """A loss summed over the batch would make both the step and the reported loss grow with the batch size."""
    if getattr(loss, "reduction", None) == "sum":
        raise ValueError(
            f"{type(loss).__name__}(reduction='sum') adds up the batch's losses: SGD's step and the reported loss "
            "would grow with the batch size. Use reduction='mean' (the default), or 'none' (averaged per batch)."
        )


def check_epoch_had_batches(metrics: Any, epoch: int) -> None:
    """An epoch that yielded no batches must not be recorded as loss 0.000 and accuracy 0.000."""
    if metrics.examples == 0:
        raise ValueError(
            f"train_iter yielded no batches in epoch {epoch + 1} although len(train_iter) is not 0: it is exhausted "
            "after one pass. Pass something that can be iterated every epoch, e.g. a DataLoader or a list."
        )
