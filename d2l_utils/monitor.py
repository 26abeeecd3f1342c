"""What ``train_ch6`` does around its training steps: progress bar, live plot, divergence watch, Ctrl-C.

Kept apart from the loop itself so that ``train_ch6`` and ``train_epoch_ch6`` read like the book's code.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Iterator

import torch
from torch import nn
from tqdm.auto import tqdm

from . import config
from .metrics import EpochMetrics
from .plotting import TrainingPlot, in_notebook

# Cross-entropy of a classifier that is merely wrong stays at a few nats (ln 10 = 2.3 at chance for 10 classes).
# A mean above this means logits in the thousands: the updates have blown up, although the number is finite.
EXPLODED_LOSS = 1e3


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN, infinite or absurdly large; the net was restored to its last good state."""

    def __init__(self, message: str, history) -> None:
        super().__init__(message)
        self.history = history


def loss_problem(mean_loss: float) -> str | None:
    """Why a mean training loss means divergence (non-finite, or above :data:`EXPLODED_LOSS`), or None."""
    if not math.isfinite(mean_loss):
        return f"The training loss became {mean_loss}"
    if mean_loss > EXPLODED_LOSS:
        return f"The training loss exploded to {mean_loss:.3g} (at chance level it is about 2.3)"
    return None


# Elements checked at once by all_finite: its temporaries stay a few MB even for AlexNet's 37.7 M-weight layer.
FINITE_CHECK_CHUNK = 2**20


def snapshot(net: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of ``net``'s weights and buffers, to restore if training diverges."""
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def refresh_snapshot(saved: dict[str, torch.Tensor], net: nn.Module) -> None:
    """Copy ``net``'s current weights and buffers into ``saved`` in place: no second copy is ever allocated."""
    with torch.no_grad():
        for k, v in net.state_dict().items():
            saved[k].copy_(v)


def all_finite(tensors: Iterable[torch.Tensor]) -> bool:
    """True if no element of ``tensors`` is NaN or infinite, read with one device sync.

    ``torch.isfinite`` makes temporaries as large as its input (an ``abs`` copy and masks: checking AlexNet's
    37.7 M-weight layer at once raised the peak memory by 175 MiB), so each tensor is checked in chunks of
    :data:`FINITE_CHECK_CHUNK` elements.
    """
    chunks = (chunk for t in tensors for chunk in t.detach().reshape(-1).split(FINITE_CHECK_CHUNK))
    checks = [torch.isfinite(chunk).all() for chunk in chunks]
    return bool(torch.stack(checks).all().item()) if checks else True


class TrainingMonitor:
    """Progress bar, live plot and divergence watch for one ``train_ch6`` run.

    ``after_step`` is called after each SGD step. It reads the device only at points where it must anyway (the
    live plot's redraws, about five per epoch) or where reading is free (the CPU), so a GPU is never stalled
    once per step. ``check_epoch`` checks the epoch's loss and the weights; ``end_epoch`` plots the epoch and
    remembers the weights as good.
    """

    def __init__(self, net: nn.Module, history, num_batches: int, num_epochs: int, lr: float,
                 progress: bool | None, checkpoint=None) -> None:  # fmt: skip
        self.net, self.history, self.num_batches, self.lr = net, history, num_batches, lr
        self.epoch, self.step = len(history.epochs), -1
        live = (in_notebook() and not config.smoke_mode()) if progress is None else progress
        self.plot = TrainingPlot(["train loss", "train acc", "test acc"], xlim=(1, max(2, num_epochs)), live=live)
        for k, epoch in enumerate(history.epochs):
            self.plot.add(epoch, (history.train_loss[k], history.train_acc[k], history.test_acc[k]))
        total = max(0, num_epochs - self.epoch) * num_batches  # a resumed run may already be complete
        self.bar = tqdm(total=total, disable=progress is False, leave=False, unit="batch")
        # Redraw about five times per epoch; max(1, …): an epoch of fewer than five batches must not divide by zero.
        self.redraw_every = max(1, num_batches // 5)
        # The one copy of the last good weights (187 MB for AlexNet), refreshed in place after every epoch.
        self.last_good = snapshot(net)
        # The epoch the checkpoint file holds from this run (a resumed history came from it).
        self.checkpoint = checkpoint
        self.saved_epoch: int | None = history.epochs[-1] if checkpoint is not None and history.epochs else None

    def start_epoch(self, epoch: int, num_epochs: int) -> None:
        self.epoch, self.step = epoch, -1
        self.bar.set_description(f"epoch {epoch + 1}/{num_epochs}")

    def after_step(self, step: int, metrics: EpochMetrics) -> None:
        """Count the step; at read-out points check the running loss and redraw the live plot."""
        self.step = step
        self.bar.update(1)
        redraw = (step + 1) % self.redraw_every == 0 or step == self.num_batches - 1
        if not (redraw or metrics.loss_sum.device.type == "cpu"):
            return
        self.stop_if_diverged(loss_problem(metrics.mean_loss))
        if self.plot.live and redraw:
            self.plot.add(self.epoch + (step + 1) / self.num_batches, (metrics.mean_loss, metrics.accuracy, None))

    def check_epoch(self, metrics: EpochMetrics) -> None:
        """At the end of the epoch's steps: stop if its loss or the weights went bad."""
        self.stop_if_diverged(loss_problem(metrics.mean_loss))
        # The last step's update can overflow although its loss was finite: never keep such weights as "good".
        if not all_finite(self.net.parameters()):
            self.stop_if_diverged("The weights became infinite or NaN")

    def end_epoch(self, metrics: EpochMetrics, test_acc: float) -> None:
        """After the epoch's evaluation: plot it and keep the weights as the last good ones."""
        train_values = (None, None) if self.plot.live else (metrics.mean_loss, metrics.accuracy)
        self.plot.add(self.epoch + 1, (*train_values, test_acc))
        refresh_snapshot(self.last_good, self.net)

    def stop_if_diverged(self, problem: str | None) -> None:
        """Put back the last good weights and raise :class:`TrainingDivergedError` saying where and what to do."""
        if problem is None:
            return
        self.net.load_state_dict(self.last_good)
        done = f"the end of epoch {self.history.epochs[-1]}" if self.history.epochs else "their initial values"
        lr = self.lr
        raise TrainingDivergedError(
            f"{problem} in epoch {self.epoch + 1}, at or before step {self.step + 1} of {self.num_batches} "
            f"(lr={lr:g}): training diverged. Training stopped and the weights were restored to {done}. The "
            f"learning rate is probably too high: try lr={lr / 10:g} (the book uses 0.9 for LeNet, 0.01 for "
            "AlexNet) and re-create the net before training again.",
            self.history,
        )

    @contextlib.contextmanager
    def stop_cleanly_on_ctrl_c(self) -> Iterator[None]:
        """Turn Ctrl-C inside the block into a message saying what finished; always finish the figure.

        The weights stay as they are and ``train_ch6`` returns the finished epochs instead of a traceback.
        """
        try:
            yield
        except KeyboardInterrupt:
            self.history.interrupted = True
            print(f"\nInterrupted during {self.where()}. {self.saved()}")
        finally:
            self.bar.close()
            self.history.figure = self.plot.finish()

    def where(self) -> str:
        """Where training is, for the Ctrl-C message."""
        return f"epoch {self.epoch + 1}, step {self.step + 1} of {self.num_batches}"

    def saved(self) -> str:
        """What is kept after an interruption: the weights, and the epoch the checkpoint really holds."""
        kept = f"{len(self.history.epochs)} epoch(s) finished; the net keeps its current weights"
        if self.checkpoint is not None and self.saved_epoch is not None:
            return f"{kept} and {self.checkpoint} holds epoch {self.saved_epoch}."
        return kept + "."


__all__ = [
    "EXPLODED_LOSS", "FINITE_CHECK_CHUNK", "TrainingDivergedError", "TrainingMonitor", "all_finite", "loss_problem",
    "refresh_snapshot", "snapshot",
]  # fmt: skip
