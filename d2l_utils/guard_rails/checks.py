"""The small checks the course's helpers share, and the one way it writes a file.

Each check raises the course's own message (what is wrong, and what to pass instead) before any work is spent,
so a mistake never costs an epoch. A first reading of the course can skip this file.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import tempfile
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
        if not is_positive_int(value):
            raise ValueError(f"{what}: {name} must be a positive integer, got {value!r}")


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
    """``path`` (``~`` expanded) if a file can be written there; otherwise ``ValueError`` saying why and what to do.

    Called before training starts, so a bad path never costs an epoch of work.
    """
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
    """Yield a temporary path next to ``path``; write to it in the block; it replaces ``path`` only on success.

    Every file the course writes (downloads, extracted data, the synthetic stand-in, checkpoints, figures, speed
    records) goes through here: an interrupted write leaves the previous file (or none), and two processes writing
    the same file at once never see each other's half, because each temporary name (``.<name>.<random>.part``)
    is unique: the last complete file wins.
    """
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
    check_last_batch_for_batchnorm(net, train_iter)
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
    if isinstance(data_iter, (list, tuple)) and data_iter:
        last = data_iter[-1]
        if isinstance(last, (list, tuple)) and last and isinstance(last[-1], torch.Tensor) and last[-1].ndim:
            return last[-1].shape[0]
    return None


def check_last_batch_for_batchnorm(net: nn.Module, train_iter: Any) -> None:
    """Refuse up front a run whose last batch of one example would crash ``nn.BatchNorm1d`` after an epoch.

    In training mode ``BatchNorm1d`` needs more than one value per channel; a last batch of one example fails
    with "Expected more than 1 value per channel" at the end of the first epoch, after all its work.
    """
    if not any(isinstance(m, nn.BatchNorm1d) for m in net.modules()) or last_batch_size(train_iter) != 1:
        return
    raise ValueError(
        "train_iter's last batch holds 1 example, and the net has nn.BatchNorm1d layers, which cannot normalise "
        "a batch of one in training mode: the first epoch would fail at its last step. Choose a batch size that "
        "does not leave one example over (e.g. one more or one less), or drop the last batch "
        "(DataLoader(..., drop_last=True))."
    )


def check_loss_reduction(loss: Any) -> None:
    """A loss summed over the batch would make both the step and the reported loss grow with the batch size."""
    if getattr(loss, "reduction", None) == "sum":
        raise ValueError(
            f"{type(loss).__name__}(reduction='sum') adds up the batch's losses: SGD's step and the reported loss "
            "would grow with the batch size. Use reduction='mean' (the default), or 'none' (averaged per batch)."
        )


def mean_of_batch(loss_value: torch.Tensor) -> torch.Tensor:
    """The batch's mean loss: a loss with ``reduction="none"`` (the book's chapter 3 style) gives one per example."""
    return loss_value.mean() if loss_value.ndim else loss_value


def check_epoch_had_batches(metrics: Any, epoch: int) -> None:
    """An epoch that yielded no batches must not be recorded as loss 0.000 and accuracy 0.000."""
    if metrics.examples == 0:
        raise ValueError(
            f"train_iter yielded no batches in epoch {epoch + 1} although len(train_iter) is not 0: it is exhausted "
            "after one pass. Pass something that can be iterated every epoch, e.g. a DataLoader or a list."
        )


def check_first_batch(net: nn.Module, X: torch.Tensor, y: torch.Tensor) -> None:
    """Before any step: the first batch's images fit ``net``, its outputs are class scores, its labels classes.

    The shape probe names a layer the images miss (and gives lazy layers their shapes); a net without its last
    ``Flatten`` (outputs of shape (N, 10, 1, 1)) or a label beyond the net's outputs is named here, not after an
    epoch of training.
    """
    from ..metrics import check_label_range, check_labels
    from ..shapes import check_input_fits, eval_mode, unchanged

    with unchanged(net), eval_mode(net), torch.no_grad():  # one snapshot of the net for both passes
        check_input_fits(net, X[:1])
        y_hat = net(X[:1])
    y = check_labels(y_hat.expand(len(y) if y.ndim else 1, *y_hat.shape[1:]), y)
    if len(y):
        check_label_range(int(y.min()), int(y.max()), y_hat.shape[1] if y_hat.ndim == 2 else None)


# --- the step-0 shape probe ------------------------------------------------------------------------------------------


@contextlib.contextmanager
def shape_errors_explained(net: nn.Module, X: torch.Tensor, first_step: bool) -> Iterator[None]:
    """On a ``RuntimeError`` in the first step, probe the net layer by layer to name the layer ``X`` misses.

    The probe raises :class:`~d2l_utils.shapes.ShapeMismatchError` when a shape is the cause; any other error
    (and every error after the first step) passes through unchanged.
    """
    try:
        yield
    except (RuntimeError, TypeError):  # TypeError: e.g. a layer that returned None into the next one
        if first_step:
            from ..shapes import check_input_fits  # only on the error path: a probe is a rare, slow event

            check_input_fits(net, X)
        raise
