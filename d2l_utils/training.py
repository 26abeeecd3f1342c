"""``train_ch6``: the book's training loop for image classifiers, with its faults fixed.

Compared with the copied versions it works with any number of batches per epoch, counts throughput over
honest wall-clock time (data loading included), keeps metrics on the device (no per-step host syncs), plots in
every front end, stops at once on a non-finite loss, can checkpoint and resume, and on Ctrl-C keeps the weights
and returns what finished instead of a traceback.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from . import config
from .devices import resolve_device
from .evaluation import autocast, evaluate_accuracy_gpu
from .metrics import Timer, correct_count
from .plotting import TrainingPlot, in_notebook
from .shapes import check_input_fits


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite; the net was restored to its last finite state."""

    def __init__(self, message: str, history: TrainHistory) -> None:
        super().__init__(message)
        self.history = history


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

    def add_epoch(
        self, epoch: int, train_loss: float, train_acc: float, test_acc: float, seconds: float, examples: int
    ) -> None:
        """Record one finished epoch."""
        self.epochs.append(epoch)
        self.train_loss.append(train_loss)
        self.train_acc.append(train_acc)
        self.test_acc.append(test_acc)
        self.seconds.append(seconds)
        self.examples.append(examples)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("figure")
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TrainHistory:
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

    The values are drawn in the standard (contiguous) layout and then copied, so a net already in channels-last
    memory format gets the same weights from the same seed as the book's code.
    """
    for module in net.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            weight = torch.empty_like(module.weight, memory_format=torch.contiguous_format)
            nn.init.xavier_uniform_(weight)
            with torch.no_grad():
                module.weight.copy_(weight)


def speed_settings(
    device: torch.device, amp: bool | None = None, channels_last: bool | None = None
) -> tuple[torch.dtype | None, torch.memory_format]:
    """The autocast dtype (None: full float32) and memory format ``train_ch6`` uses on ``device``.

    ``None`` picks the fastest setting that keeps the book's accuracy: bf16 autocast on CUDA only, channels-last
    on CUDA and the CPU (oneDNN's convolutions are faster in it), the default layout on MPS.
    """
    amp = device.type == "cuda" if amp is None else amp
    channels_last = device.type in ("cuda", "cpu") if channels_last is None else channels_last
    return (torch.bfloat16 if amp else None), (torch.channels_last if channels_last else torch.contiguous_format)


def _validate(net: nn.Module, num_epochs: int, lr: float, train_iter, test_iter, checkpoint, resume: bool) -> None:
    """Reject arguments that would fail later (after an epoch of work) or silently do something else."""
    if not isinstance(num_epochs, int) or num_epochs < 1:
        raise ValueError(f"num_epochs must be a positive integer, got {num_epochs!r}")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    if len(train_iter) == 0:
        raise ValueError("train_iter has no batches: the training set is empty")
    if hasattr(test_iter, "__len__") and len(test_iter) == 0:
        raise ValueError("test_iter has no batches: the test set is empty")
    if not any(p.requires_grad for p in net.parameters()):
        raise ValueError("net has no trainable parameters: there is nothing for SGD to learn")
    if resume and checkpoint is None:
        raise ValueError("resume=True needs checkpoint=<file> to resume from")


def _load_checkpoint(path: Path, net: nn.Module, optimizer: torch.optim.Optimizer) -> dict:
    """Load a checkpoint written by :func:`train_ch6` into ``net`` and ``optimizer``; return the whole state.

    Loaded on the CPU: ``load_state_dict`` copies weights and optimizer state to the devices they live on, and
    the random-number states must stay CPU tensors. A file that is not such a checkpoint raises ``ValueError``.
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        state["history"] = TrainHistory.from_dict(state["history"])
    except Exception as err:  # unreadable, truncated, another net's, or not train_ch6's
        raise ValueError(
            f"Cannot resume from {path}: it is not a checkpoint of this net written by train_ch6 "
            f"({type(err).__name__}, shown above). Delete the file (or pass another checkpoint) to start afresh."
        ) from err
    return state


def _materialize_lazy_layers(net: nn.Module, test_iter, device: torch.device) -> None:
    """Give lazy layers (``nn.LazyConv2d``, ``nn.LazyLinear``: the book's d2l 1.0 nets use them) their shapes.

    One forward pass of the first test batch, through the shape probe, so a batch that does not fit names the
    layer. The test set is used because it is not shuffled: the training order stays what it would have been.
    """
    if not any(nn.parameter.is_lazy(p) for p in net.parameters()):
        return
    X, _ = next(iter(test_iter))
    check_input_fits(net, X.to(device))


def _place_data(data_iter, device: torch.device) -> None:
    """Move an in-memory data set to the training device when it fits comfortably; otherwise leave it."""
    if not hasattr(data_iter, "to") or not hasattr(data_iter, "images") or data_iter.device == device:
        return
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        if data_iter.images.nbytes > free // 4:
            return
    data_iter.to(device)


def save_checkpoint(path: str | Path, **state: Any) -> None:
    """``torch.save`` to a temporary file, then rename: an interrupted save never leaves a half-written checkpoint."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def train_ch6(
    net: nn.Module,
    train_iter,
    test_iter,
    num_epochs: int,
    lr: float,
    device: torch.device | str | None = None,
    *,
    init_weights: bool = True,
    amp: bool | None = None,
    channels_last: bool | None = None,
    compile: bool = False,
    checkpoint: str | Path | None = None,
    resume: bool = False,
    progress: bool = True,
    live_plot: bool | None = None,
) -> TrainHistory:
    """Train ``net`` with minibatch SGD and cross-entropy, as the book's ``train_ch6``; return the history.

    Args:
        net, train_iter, test_iter, num_epochs, lr, device: as in the book. ``device=None`` picks ``try_gpu()``.
        init_weights: Xavier-initialise ``Linear``/``Conv2d`` weights first (the book always does).
        amp: bf16 autocast; default on for CUDA, off elsewhere.
        channels_last: channels-last memory format; default on for CUDA and the CPU (oneDNN's convolutions run
            faster on it: a LeNet step about 1.5x on a 2-core CPU, same results to float rounding), off on MPS.
        compile: wrap the net in ``torch.compile`` (slow first epoch; pays off on long GPU runs).
        checkpoint: file to write after every epoch (model, optimizer, epoch, history), atomically.
        resume: continue from ``checkpoint`` if it exists, with the same data order and history.
        progress: show a progress bar. live_plot: redraw the curves during training (default: in notebooks,
            except in smoke mode); otherwise one figure is drawn at the end.

    Prints the book's two lines, ``loss …, train acc …, test acc …`` and ``… examples/sec on …``, where
    examples/sec is training examples over training wall-clock time, data loading included. Raises
    :class:`TrainingDivergedError` at the first non-finite loss; on Ctrl-C, keeps the weights and returns the
    epochs that finished (``history.interrupted`` is True).
    """
    _validate(net, num_epochs, lr, train_iter, test_iter, checkpoint, resume)
    device = resolve_device(device)
    if config.smoke_mode() and num_epochs > config.SMOKE_LIMITS.max_epochs:
        config.banner(f"Smoke mode: training {config.SMOKE_LIMITS.max_epochs} of {num_epochs} epochs.")
        num_epochs = config.SMOKE_LIMITS.max_epochs
    on_cuda = device.type == "cuda"
    autocast_dtype, memory_format = speed_settings(device, amp, channels_last)

    net.to(device)
    _place_data(train_iter, device)
    _place_data(test_iter, device)
    _materialize_lazy_layers(net, test_iter, device)
    net.to(memory_format=memory_format)  # after the lazy layers have their shapes: it needs them
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    history = TrainHistory(device=str(device))
    start_epoch = 0
    if resume and Path(checkpoint).exists():
        state = _load_checkpoint(Path(checkpoint), net, optimizer)
        history = state["history"]
        history.device = str(device)
        torch.set_rng_state(state["torch_rng"])
        if state.get("data_order") is not None and hasattr(train_iter, "load_state_dict"):
            train_iter.load_state_dict(state["data_order"])
        start_epoch = state["epoch"]
        print(f"resuming from {checkpoint} after epoch {start_epoch}")
    elif init_weights:
        init_cnn_weights(net)
    model = torch.compile(net) if compile else net

    num_batches = len(train_iter)
    plot = TrainingPlot(
        ["train loss", "train acc", "test acc"], xlim=(1, max(2, num_epochs)),
        live=(in_notebook() and not config.smoke_mode()) if live_plot is None else live_plot,
    )  # fmt: skip
    for k, epoch in enumerate(history.epochs):
        plot.add(epoch, (history.train_loss[k], history.train_acc[k], history.test_acc[k]))
    # Redraw about five times per epoch; max(1, …) keeps tiny epochs from dividing by zero (the book's fault).
    redraw_every = max(1, num_batches // 5)
    print(f"training on {device}")
    bar = tqdm(total=(num_epochs - start_epoch) * num_batches, disable=not progress, leave=False, unit="batch")
    last_good = {k: v.detach().clone() for k, v in net.state_dict().items()}
    epoch, step = start_epoch, -1
    try:
        for epoch in range(start_epoch, num_epochs):
            bar.set_description(f"epoch {epoch + 1}/{num_epochs}")
            timer = Timer()
            timer.start()
            net.train()
            loss_sum = torch.zeros((), device=device)
            correct = torch.zeros((), device=device, dtype=torch.long)
            seen = 0
            for step, (X, y) in enumerate(train_iter):
                X = X.to(device, non_blocking=True).contiguous(memory_format=memory_format)
                y = y.to(device, non_blocking=True)
                optimizer.zero_grad(set_to_none=True)
                try:
                    with autocast(device, autocast_dtype):
                        y_hat = model(X)
                        loss = loss_fn(y_hat, y)
                except RuntimeError:
                    if epoch == start_epoch and step == 0:
                        check_input_fits(net, X)  # raises ShapeMismatchError naming the layer, if that is the cause
                    raise
                loss.backward()
                optimizer.step()
                with torch.no_grad():
                    loss_sum += loss.detach().float() * y.numel()
                    correct += correct_count(y_hat.detach(), y)
                seen += y.numel()
                bar.update(1)
                if (not on_cuda or step % 20 == 0 or step == num_batches - 1) and not torch.isfinite(loss_sum).item():
                    where = (epoch, step, num_batches, lr)
                    _restore_and_stop(f"The training loss became {loss.item()}", where, net, last_good, history)
                if plot.live and ((step + 1) % redraw_every == 0 or step == num_batches - 1):
                    plot.add(epoch + (step + 1) / num_batches, (loss_sum.item() / seen, correct.item() / seen, None))
            train_loss, train_acc = loss_sum.item() / seen, correct.item() / seen  # one host sync per epoch
            # The last step's update can overflow although its loss was finite: never keep such weights as "good".
            if not torch.stack([torch.isfinite(p).all() for p in net.parameters()]).all().item():
                where = (epoch, step, num_batches, lr)
                _restore_and_stop("The weights became infinite or NaN", where, net, last_good, history)
            seconds = timer.stop()
            test_acc = evaluate_accuracy_gpu(net, test_iter, device, autocast_dtype=autocast_dtype)
            history.add_epoch(epoch + 1, train_loss, train_acc, test_acc, seconds, seen)
            plot.add(epoch + 1, (None if plot.live else train_loss, None if plot.live else train_acc, test_acc))
            last_good = {k: v.detach().clone() for k, v in net.state_dict().items()}
            if checkpoint is not None:
                save_checkpoint(
                    checkpoint, model=net.state_dict(), optimizer=optimizer.state_dict(), epoch=epoch + 1,
                    history=history.to_dict(), torch_rng=torch.get_rng_state(),
                    data_order=train_iter.state_dict() if hasattr(train_iter, "state_dict") else None,
                )  # fmt: skip
    except KeyboardInterrupt:
        history.interrupted = True
        print(
            f"\nInterrupted during epoch {epoch + 1}, step {step + 1} of {num_batches}. "
            f"{len(history.epochs)} epoch(s) finished; the net keeps its current weights"
            + (f" and {checkpoint} holds the last finished epoch." if checkpoint and history.epochs else ".")
        )
    finally:
        bar.close()
        history.figure = plot.finish()
    print(history.summary())
    return history


def _restore_and_stop(what: str, where: tuple, net: nn.Module, last_good: dict, history: TrainHistory) -> None:
    """Put back the last finite weights and raise :class:`TrainingDivergedError` saying where and what to do."""
    epoch, step, num_batches, lr = where
    net.load_state_dict(last_good)
    done = f"the end of epoch {history.epochs[-1]}" if history.epochs else "their initial values"
    raise TrainingDivergedError(
        f"{what} in epoch {epoch + 1}, at or before step {step + 1} of "
        f"{num_batches} (lr={lr:g}). Training stopped and the weights were restored to {done}. The learning "
        f"rate is probably too high: try lr={lr / 10:g} (the book uses 0.9 for LeNet, 0.01 for AlexNet) and "
        f"re-create the net before training again.",
        history,
    )
