"""The book's training loop for image classifiers in one file, in the book's order: :func:`evaluate_accuracy_gpu`,
:func:`train_step`, :func:`train_epoch_ch6`, :func:`train_ch6`. Speed settings are one
:class:`~d2l_utils.devices.Speed`; what keeps mistakes from costing work lives in :mod:`d2l_utils.guard_rails`, one call
each (a first reading can skip it)."""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import config
from .devices import BOOK_SPEED, Speed, autocast, check_speed, choose_speed, resolve_device
from .guard_rails.checks import (
    NONFINITE_WARNING,
    PredictionCheck,
    check_epoch_had_batches,
    check_first_outputs,
    check_labels,
    check_loss_reduction,
    check_module,
    check_train_arguments,
    checked_batches,
    eval_mode,
    first_batch,
    module_device,
    predicted_classes,
)
from .guard_rails.training_guards import (
    CheckpointFile,
    DivergenceGuard,
    TrainingDivergedError,
    keep_finished_work,
    shape_errors_explained,
    warn_if_at_chance,
)
from .plotting import TrainingProgress

# --- 1. evaluation ------------------------------------------------------------------------------------------------


def predictions(
    net: nn.Module, data_iter: Iterable, device: torch.device | str | None = None, *,
    autocast_dtype: torch.dtype | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:  # fmt: skip
    """Yield ``(predicted class, true class)`` per batch (int64) in eval mode under ``no_grad``, each submodule's mode
    restored after; NaN or infinite outputs predict class -1, and a first batch that does not fit names the layer."""
    check_module(net)
    device = module_device(net) if device is None else resolve_device(device)
    check = PredictionCheck()  # NaN or infinite outputs count as wrong; one warning at the end says how many
    with eval_mode(net), torch.no_grad(), autocast(device, autocast_dtype):
        for step, (X, y) in enumerate(checked_batches(data_iter, "data_iter")):
            X, y = X.to(device, non_blocking=True), y.to(device, non_blocking=True)
            with shape_errors_explained(net, X, first_step=step == 0):
                y_hat = net(X)
            yield check(y_hat, y)
    check.finish()


def evaluate_accuracy_gpu(
    net: nn.Module, data_iter: Iterable, device: torch.device | str | None = None, *,
    autocast_dtype: torch.dtype | None = None,
) -> float:  # fmt: skip
    """Accuracy of ``net`` over every batch of ``data_iter`` on ``device`` (default: where the net lives), in eval mode
    without gradients, with one host synchronisation per call, not one per batch."""
    correct, total = 0, 0
    for y_hat, y in predictions(net, data_iter, device, autocast_dtype=autocast_dtype):
        correct = correct + (y_hat == y).sum()
        total += y.numel()
    if total == 0:
        raise ValueError("data_iter yielded no examples: check the data loader (empty data set or subset?)")
    return float(correct) / total


# --- 2. one SGD step ------------------------------------------------------------------------------------------------


def mean_of_batch(loss_value: torch.Tensor) -> torch.Tensor:
    """The batch's mean loss: a loss with ``reduction="none"`` (the book's chapter 3 style) gives one per example."""
    return loss_value.mean() if loss_value.ndim else loss_value


def train_step(
    net: nn.Module, X: torch.Tensor, y: torch.Tensor, loss: nn.Module, optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler, precision: contextlib.AbstractContextManager,
) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """One minibatch of SGD: forward, loss, backward, update; returns ``(y_hat, mean loss)``. ``precision`` is the run's
    autocast context; ``scaler`` scales fp16 losses so small gradients do not underflow."""
    optimizer.zero_grad(set_to_none=True)
    with precision:
        y_hat = net(X)
        batch_loss = mean_of_batch(loss(y_hat, y))
    scaler.scale(batch_loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return y_hat, batch_loss


def grad_scaler(device: torch.device | str, speed: Speed) -> torch.amp.GradScaler:
    """A gradient scaler that is active only when fp16 needs it (a no-op pass-through otherwise)."""
    device = resolve_device(device)  # a device name ("cpu") too, as train_epoch_ch6 may be given one
    return torch.amp.GradScaler(device.type, enabled=speed.needs_grad_scaler(device))


def sgd(net: nn.Module, lr: float, device: torch.device) -> torch.optim.SGD:
    """The book's SGD; on CUDA its fused kernel updates every parameter in one launch instead of one per tensor."""
    return torch.optim.SGD(net.parameters(), lr=lr, fused=device.type == "cuda" or None)


def to_layout(X: torch.Tensor, speed: Speed) -> torch.Tensor:
    """``X`` in the speed's memory layout; channels-last applies to image batches (4-D) only, e.g. not to MLPs."""
    if speed.channels_last and X.ndim == 4:
        return X.contiguous(memory_format=torch.channels_last)
    return X


# --- 3. one epoch ---------------------------------------------------------------------------------------------------


class EpochMetrics:
    """Sum of losses, correct predictions and examples of an epoch, on the training device: adding a step costs no host
    synchronisation, reading :attr:`mean_loss` or :attr:`accuracy` one."""

    def __init__(self, device: torch.device) -> None:
        self.loss_sum = torch.zeros((), device=device)
        self.correct = torch.zeros((), device=device, dtype=torch.long)
        self.nonfinite = torch.zeros((), device=device, dtype=torch.long)
        self.examples = 0
        self.num_classes = 0  # the width of the net's class scores, once a batch has been added

    def add(self, loss: torch.Tensor, y_hat: torch.Tensor, y: torch.Tensor) -> None:
        """Count one minibatch whose mean loss is ``loss``."""
        with torch.no_grad():
            self.loss_sum += loss.detach().float() * y.numel()
            classes = predicted_classes(y_hat.detach())
            self.correct += (classes == check_labels(y_hat, y)).sum()
            self.nonfinite += (classes < 0).sum()
        self.examples += y.numel()
        self.num_classes = y_hat.shape[1] if y_hat.ndim == 2 else self.num_classes

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


def train_epoch_ch6(
    net: nn.Module, train_iter: Iterable, loss: nn.Module, optimizer: torch.optim.Optimizer,
    device: torch.device, speed: Speed = BOOK_SPEED, *, scaler: torch.amp.GradScaler | None = None,
    progress: TrainingProgress | None = None, epoch: int = 0, step=train_step,
) -> EpochMetrics:  # fmt: skip
    """Train ``net`` for one epoch, a :func:`train_step` (or ``step``) per minibatch, and return the loss and accuracy
    sums; call it directly to write your own loop, e.g. to train on without re-initialising."""
    scaler = grad_scaler(device, speed) if scaler is None else scaler
    check_loss_reduction(loss)
    precision = autocast(device, speed.autocast)
    metrics = EpochMetrics(device)
    batches = checked_batches(train_iter, "train_iter")
    net.train()
    for X, y in batches if progress is None else progress.track(batches, metrics, epoch):
        X, y = to_layout(X.to(device, non_blocking=True), speed), y.to(device, non_blocking=True)
        with shape_errors_explained(net, X, first_step=metrics.examples == 0):
            y_hat, batch_loss = step(net, X, y, loss, optimizer, scaler, precision)
        metrics.add(batch_loss, y_hat, y)
    return metrics


# --- 4. the whole run -----------------------------------------------------------------------------------------------


def step_for(device: torch.device, speed: Speed):
    """:func:`train_step`, or with ``Speed(cuda_graph=True)`` on CUDA its captured replay (opt-in until measured)."""
    if not speed.cuda_graph:
        return train_step
    from .cuda_graph import training_step  # only the opt-in GPU path reads that file

    return training_step(train_step, device, speed)


def train_ch6(
    net: nn.Module, train_iter: Iterable, test_iter: Iterable, num_epochs: int, lr: float,
    device: torch.device | str | None = None, *, speed: Speed | None = None, checkpoint: str | Path | None = None,
    resume: bool | None = None, progress: bool | None = None,
) -> TrainHistory:  # fmt: skip
    """Train ``net`` with minibatch SGD and cross-entropy, as the book's ``train_ch6``; return the history.

    ``device=None`` picks ``try_gpu()``; ``speed=None`` the fastest settings that keep the book's accuracy
    (``du.BOOK_SPEED``: exactly the book's float32). ``checkpoint`` is written atomically after every epoch;
    ``resume=True`` continues from it, ``None`` refuses to overwrite it, ``False`` starts afresh. ``progress=None``
    shows the bar, and live curves in notebooks outside smoke mode. Prints the book's lines; a NaN or exploding loss
    raises :class:`TrainingDivergedError`, and Ctrl-C keeps the weights and returns the epochs that finished."""
    device = resolve_device(device)
    speed = choose_speed(device) if speed is None else check_speed(speed)
    num_epochs, lr = check_train_arguments(net, num_epochs, lr, train_iter, test_iter)
    checkpoint = CheckpointFile.for_run(checkpoint, resume)
    num_epochs = config.smoke_epochs(num_epochs)
    net.to(device)
    X, y = first_batch(test_iter, "test_iter")
    X = X[:1].to(device)
    with eval_mode(net), torch.no_grad(), shape_errors_explained(net, X, first_step=True):
        y_hat = net(X)  # gives lazy layers their shapes; a layer the data misses is named before any work
    check_first_outputs(y_hat, y)  # a net without its last Flatten, or a label beyond its outputs, named now
    model = prepare_net(net, speed)
    optimizer, loss, scaler = sgd(net, lr, device), nn.CrossEntropyLoss(), grad_scaler(device, speed)
    if resume and checkpoint.path.exists():
        history = checkpoint.restore(net, optimizer, train_iter, lr, read_history=TrainHistory)
        history.device = str(device)
    else:
        init_cnn_weights(net)
        history = TrainHistory(device=str(device))
    guard, step = DivergenceGuard(net, lr, history), step_for(device, speed)
    progress = TrainingProgress(len(train_iter), num_epochs, history, progress, watchers=[guard.check_loss])
    print(f"training on {device}" + (f" ({speed.describe()})" if speed.describe() else ""))
    with keep_finished_work(history, progress, checkpoint):
        for epoch in range(len(history.epochs), num_epochs):
            start = time.perf_counter()
            metrics = train_epoch_ch6(model, train_iter, loss, optimizer, device, speed, scaler=scaler,
                                      progress=progress, epoch=epoch, step=step)  # fmt: skip
            seconds = time.perf_counter() - start
            check_epoch_had_batches(metrics, epoch)
            guard.check_epoch(metrics.mean_loss, progress.where(approximate=True))
            test_acc = evaluate_accuracy_gpu(net, test_iter, device, autocast_dtype=speed.autocast)
            history.add_epoch(epoch + 1, metrics, test_acc, seconds)
            progress.end_epoch(metrics, test_acc)
            warn_if_at_chance(history, metrics.num_classes, net, lr)
            guard.epoch_done()
            if checkpoint is not None:
                checkpoint.save(net, optimizer, history, train_iter)
    print(history.summary())
    return history


# --- what train_ch6 sets up and returns -----------------------------------------------------------------------------


def init_cnn_weights(net: nn.Module) -> None:
    """Xavier-uniform initialisation of every ``Linear`` and ``Conv2d`` weight, as the book's ``train_ch6``, drawn in
    the contiguous layout so a channels-last net gets the book's weights from the same seed."""
    for module in net.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            if module.weight.is_contiguous():
                nn.init.xavier_uniform_(module.weight)
                continue
            weight = torch.empty_like(module.weight, memory_format=torch.contiguous_format)
            nn.init.xavier_uniform_(weight)
            with torch.no_grad():
                module.weight.copy_(weight)


# torch.compile's backend; tests swap in a counting one to check how often the training step is compiled.
COMPILE_BACKEND = "inductor"


def prepare_net(net: nn.Module, speed: Speed) -> nn.Module:
    """Put ``net``'s 4-D weights in the speed's layout and return the model training steps call: with ``compile``, a
    static-shape compile (one graph for full batches, one for the last), while evaluation calls ``net`` itself."""
    if speed.channels_last:
        net.to(memory_format=torch.channels_last)
    return torch.compile(net, dynamic=False, backend=COMPILE_BACKEND) if speed.compile else net


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
    warnings: list[str] = field(default_factory=list)  # e.g. training that sits at or collapses to chance
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
        """The history as plain data (for checkpoints), without the figure: ``TrainHistory(**data)`` reads it back."""
        data = asdict(self)
        data.pop("figure")
        return data

    def summary(self) -> str:
        """The book's two closing lines: losses and accuracies, then throughput and device."""
        if not self.epochs:
            return "no epoch finished"
        return (
            f"loss {self.train_loss[-1]:.3f}, train acc {self.train_acc[-1]:.3f}, test acc {self.test_acc[-1]:.3f}\n"
            f"{self.examples_per_sec:.1f} examples/sec on {self.device}"
        )


__all__ = [
    "EpochMetrics", "TrainHistory", "TrainingDivergedError", "evaluate_accuracy_gpu", "init_cnn_weights", "train_ch6",
    "train_epoch_ch6", "train_step",
]  # fmt: skip
