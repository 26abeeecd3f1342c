"""``train_ch6``: the book's training loop for image classifiers, as readable as the book's.

:func:`train_epoch_ch6` is one epoch (forward, loss, backward, step, metrics), like d2l's ``train_epoch_ch3``;
:func:`train_ch6` is the outer loop over epochs, like the book's ``train_ch6``. Everything else is a named call
into its own module: speed settings (:mod:`.speed`), checkpoints (:mod:`.checkpoint`), progress, divergence
watch and Ctrl-C (:mod:`.monitor`), smoke-mode limits (:mod:`.config`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import config
from .batches import check_data_iter, checked_batches, first_batch
from .checkpoint import check_writable, load_checkpoint, save_checkpoint
from .devices import resolve_device
from .evaluation import evaluate_accuracy_gpu
from .metrics import EpochMetrics, Timer
from .monitor import TrainingDivergedError, TrainingMonitor
from .shapes import check_input_fits
from .speed import BOOK_SPEED, Speed, choose_speed, grad_scaler, make_optimizer, prepare_net, sgd_step, to_layout


@dataclass
class TrainHistory:
    """Per-epoch results of :func:`train_ch6` (index ``k`` is epoch ``epochs[k]``, counted from 1)."""

    device: str
    epochs: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    examples: list[int] = field(default_factory=list)
    interrupted: bool = False
    figure: Any = field(default=None, repr=False, compare=False)

    @property
    def examples_per_sec(self) -> float:
        """Training examples processed per second of training wall-clock time, over all finished epochs."""
        seconds = sum(self.seconds)
        return sum(self.examples) / seconds if seconds else 0.0

    def add_epoch(self, epoch: int, metrics: EpochMetrics, test_acc: float, seconds: float) -> None:
        """Record one finished epoch."""
        self.epochs.append(epoch)
        self.train_loss.append(metrics.mean_loss)
        self.train_acc.append(metrics.accuracy)
        self.test_acc.append(test_acc)
        self.seconds.append(seconds)
        self.examples.append(metrics.examples)

    def to_dict(self) -> dict:
        """The history as plain data (for checkpoints), without the figure."""
        data = asdict(self)
        data.pop("figure")
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TrainHistory:
        """The inverse of :meth:`to_dict`."""
        return cls(**data)

    def summary(self) -> str:
        """The book's two closing lines: losses and accuracies, then throughput and device."""
        if not self.epochs:
            return "no epoch finished"
        return (
            f"loss {self.train_loss[-1]:.3f}, train acc {self.train_acc[-1]:.3f}, test acc {self.test_acc[-1]:.3f}\n"
            f"{self.examples_per_sec:.1f} examples/sec on {self.device}"
        )


def init_cnn_weights(net: nn.Module) -> None:
    """Xavier-uniform initialisation of every ``Linear`` and ``Conv2d`` weight, as the book's ``train_ch6`` does.

    The values are drawn in the standard (contiguous) layout, so a net already in channels-last memory format
    gets the same weights from the same seed as the book's code. Only such weights go through a temporary copy:
    a contiguous one (every ``Linear``, AlexNet's 151 MB layer among them) is filled in place.
    """
    for module in net.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            if module.weight.is_contiguous():
                nn.init.xavier_uniform_(module.weight)
                continue
            weight = torch.empty_like(module.weight, memory_format=torch.contiguous_format)
            nn.init.xavier_uniform_(weight)
            with torch.no_grad():
                module.weight.copy_(weight)


def train_epoch_ch6(
    net: nn.Module, train_iter: Iterable, loss_fn: nn.Module, optimizer: torch.optim.Optimizer,
    device: torch.device, speed: Speed = BOOK_SPEED, *, on_step: Callable[[int, EpochMetrics], None] | None = None,
    scaler: torch.amp.GradScaler | None = None,
) -> EpochMetrics:  # fmt: skip
    """Train ``net`` for one epoch: for each minibatch, forward, loss, backward and an SGD step.

    Returns the epoch's summed loss, correct predictions and examples (kept on the device). ``on_step(step,
    metrics)`` runs after each step (``train_ch6`` shows progress and watches for divergence there). ``scaler``
    scales fp16 losses (see :func:`~d2l_utils.speed.grad_scaler`); by default one is made for ``speed``.
    Use it directly to write your own loop, e.g. to continue training a net without re-initialising it.
    """
    scaler = grad_scaler(device, speed) if scaler is None else scaler
    metrics = EpochMetrics(device)
    net.train()
    for step, (X, y) in enumerate(checked_batches(train_iter, "train_iter")):
        X, y = to_layout(X.to(device, non_blocking=True), speed), y.to(device, non_blocking=True)
        try:
            y_hat, loss = sgd_step(net, X, y, loss_fn, optimizer, scaler, device, speed)
        except RuntimeError:
            if step == 0:
                check_input_fits(net, X)  # raises ShapeMismatchError naming the layer, if that is the cause
            raise
        metrics.add(loss, y_hat, y)
        if on_step is not None:
            on_step(step, metrics)
    return metrics


def train_ch6(
    net: nn.Module, train_iter: Iterable, test_iter: Iterable, num_epochs: int, lr: float,
    device: torch.device | str | None = None, *, speed: Speed | None = None, checkpoint: str | Path | None = None,
    resume: bool = False, progress: bool | None = None,
) -> TrainHistory:  # fmt: skip
    """Train ``net`` with minibatch SGD and cross-entropy, as the book's ``train_ch6``; return the history.

    Args:
        net, train_iter, test_iter, num_epochs, lr, device: as in the book. ``device=None`` picks ``try_gpu()``.
            The data iterables must yield ``(X, y)`` pairs every epoch; ``train_iter`` must have a ``len()``.
        speed: precision, memory layout and compilation (:class:`~d2l_utils.speed.Speed`). ``None`` picks the
            fastest that keeps the book's accuracy on ``device`` (:func:`~d2l_utils.speed.choose_speed`);
            ``du.BOOK_SPEED`` computes exactly as the book (float32, default layout).
        checkpoint: file to write after every epoch (model, optimizer, epoch, history), atomically.
        resume: continue from ``checkpoint`` if it exists, with the same data order and history. A new ``lr``
            replaces the saved one (the first line says so).
        progress: show a progress bar and redraw the curves during training. ``None``: the bar always, the live
            curves in notebooks outside smoke mode. ``False``: only the final figure and the summary lines.

    Prints ``training on <device>`` (naming the speed settings when they can change results beyond float
    rounding), then the book's two lines ``loss …, train acc …, test acc …`` and ``… examples/sec on …``, where
    examples/sec counts training wall-clock time, data loading included. Like the book it Xavier-initialises
    the weights first (not when resuming). Raises :class:`TrainingDivergedError` when the loss becomes NaN,
    infinite or absurdly large; on Ctrl-C it keeps the weights and returns the epochs that finished.
    """
    device = resolve_device(device)
    speed = choose_speed(device) if speed is None else speed
    _check_arguments(net, num_epochs, lr, train_iter, test_iter)
    checkpoint = _check_checkpoint(checkpoint, resume)
    num_epochs = config.smoke_epochs(num_epochs)
    net.to(device)
    X_test, _ = first_batch(test_iter, "test_iter")
    check_input_fits(net, X_test[:1].to(device))  # gives lazy layers their shapes; names a layer the data misses
    model = prepare_net(net, speed)
    optimizer, loss_fn, scaler = make_optimizer(net, lr, device), nn.CrossEntropyLoss(), grad_scaler(device, speed)
    if resume and checkpoint.exists():
        history = _resume(checkpoint, net, optimizer, train_iter, lr, device)
    else:
        history = _fresh_start(net, device)
    monitor = TrainingMonitor(net, history, len(train_iter), num_epochs, lr, progress, checkpoint)
    print(f"training on {device}" + (f" ({speed.describe()})" if speed.describe() else ""))
    with monitor.stop_cleanly_on_ctrl_c():
        for epoch in range(len(history.epochs), num_epochs):
            monitor.start_epoch(epoch, num_epochs)
            timer = Timer()
            timer.start()
            metrics = train_epoch_ch6(model, train_iter, loss_fn, optimizer, device, speed,
                                      on_step=monitor.after_step, scaler=scaler)  # fmt: skip
            seconds = timer.stop()
            monitor.check_epoch(metrics)
            test_acc = evaluate_accuracy_gpu(net, test_iter, device, autocast_dtype=speed.autocast)
            history.add_epoch(epoch + 1, metrics, test_acc, seconds)
            monitor.end_epoch(metrics, test_acc)
            if checkpoint is not None:
                _save(checkpoint, net, optimizer, history, train_iter)
                monitor.saved_epoch = epoch + 1
    print(history.summary())
    return history


def _check_arguments(net: nn.Module, num_epochs: int, lr: float, train_iter, test_iter) -> None:
    """Reject arguments that would fail later (after an epoch of work) or silently do something else."""
    if not isinstance(num_epochs, int) or isinstance(num_epochs, bool) or num_epochs < 1:
        raise ValueError(f"num_epochs must be a positive integer, got {num_epochs!r}")
    if not (isinstance(lr, (int, float)) and not isinstance(lr, bool) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    check_data_iter(train_iter, "train_iter", "training", needs_len=True)
    check_data_iter(test_iter, "test_iter", "test", needs_len=False)
    if not any(p.requires_grad for p in net.parameters()):
        raise ValueError("net has no trainable parameters: there is nothing for SGD to learn")


def _check_checkpoint(checkpoint: str | Path | None, resume: bool) -> Path | None:
    """The checkpoint file as a Path, checked to be writable now rather than after the first epoch."""
    if checkpoint is None:
        if resume:
            raise ValueError("resume=True needs checkpoint=<file> to resume from")
        return None
    return check_writable(checkpoint)


def _fresh_start(net: nn.Module, device: torch.device) -> TrainHistory:
    """Initialise the weights as the book does; return an empty history."""
    init_cnn_weights(net)
    return TrainHistory(device=str(device))


def _resume(
    path: Path, net: nn.Module, optimizer: torch.optim.Optimizer, train_iter, lr: float, device: torch.device
) -> TrainHistory:
    """Load ``path`` into ``net`` and ``optimizer`` and restore the random and data order; return its history.

    Data sets with ``state_dict``/``load_state_dict`` (like :class:`~d2l_utils.data.InMemoryBatches`) get their
    shuffling order back, so the resumed run sees the batches an uninterrupted run would.
    """
    state = load_checkpoint(path, net, optimizer, read_history=TrainHistory.from_dict)
    saved_lr = optimizer.param_groups[0]["lr"]
    for group in optimizer.param_groups:
        group["lr"] = lr
    torch.set_rng_state(state["torch_rng"])
    if state.get("data_order") is not None and hasattr(train_iter, "load_state_dict"):
        train_iter.load_state_dict(state["data_order"])
    history = state["history"]
    history.device = str(device)
    note = f" with lr={lr:g} (the checkpoint was trained with lr={saved_lr:g})" if saved_lr != lr else ""
    print(f"resuming from {path} after epoch {state['epoch']}{note}")
    return history


def _save(path: Path, net: nn.Module, optimizer: torch.optim.Optimizer, history: TrainHistory, train_iter) -> None:
    """Write the state a resumed run needs: weights, optimizer, history, random and data order."""
    save_checkpoint(
        path, model=net.state_dict(), optimizer=optimizer.state_dict(), epoch=history.epochs[-1],
        history=history.to_dict(), torch_rng=torch.get_rng_state(),
        data_order=train_iter.state_dict() if hasattr(train_iter, "state_dict") else None,
    )  # fmt: skip


__all__ = [
    "TrainHistory", "TrainingDivergedError", "init_cnn_weights", "save_checkpoint", "train_ch6",
    "train_epoch_ch6",
]  # fmt: skip
