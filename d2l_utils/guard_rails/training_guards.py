"""What ``train_ch6`` runs beside its loop, one line each: :class:`DivergenceGuard` (stops a run gone bad, weights
restored), :func:`keep_finished_work` (Ctrl-C or an error loses no finished epoch), :class:`CheckpointFile` (the one
place that builds and reads checkpoints) and :func:`shape_errors_explained` (names the layer a first step misses)."""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .checks import atomic_write, check_writable_file

# Cross-entropy of a classifier that is merely wrong stays at a few nats (ln 10 = 2.3 at chance for 10 classes).
# A mean above this means logits in the thousands: the updates have blown up, although the number is finite.
EXPLODED_LOSS = 1e3

# Elements checked at once by all_finite: its temporaries stay a few MB even for AlexNet's 37.7 M-weight layer.
FINITE_CHECK_CHUNK = 2**20


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN, infinite or absurdly large; the net was restored to its last good state."""

    def __init__(self, message: str, history) -> None:
        super().__init__(message)
        self.history = history


def all_finite(tensors: Iterable[torch.Tensor]) -> bool:
    """True if no element of ``tensors`` is NaN or infinite, read with one device sync; checked in chunks of
    :data:`FINITE_CHECK_CHUNK`, since ``torch.isfinite`` makes temporaries as large as its input."""
    chunks = (chunk for t in tensors for chunk in t.detach().reshape(-1).split(FINITE_CHECK_CHUNK))
    checks = [torch.isfinite(chunk).all() for chunk in chunks]
    return bool(torch.stack(checks).all().item()) if checks else True


class DivergenceGuard:
    """Stops a run whose loss or weights went bad, putting back the last good weights first (one copy, 187 MB for
    AlexNet, refreshed in place after every good epoch)."""

    def __init__(self, net: nn.Module, lr: float, history) -> None:
        self.net, self.lr, self.history = net, lr, history
        self.last_good = {k: v.detach().clone() for k, v in net.state_dict().items()}

    def check_loss(self, mean_loss: float, where: str) -> None:
        """Stop if the running mean loss is NaN, infinite or above :data:`EXPLODED_LOSS`; ``where`` is e.g.
        ``"epoch 2, step 7 of 235"``."""
        if not math.isfinite(mean_loss):
            self._stop(f"The training loss became {mean_loss}", where)
        if mean_loss > EXPLODED_LOSS:
            self._stop(f"The training loss exploded to {mean_loss:.3g} (at chance level it is about 2.3)", where)

    def check_epoch(self, mean_loss: float, where: str) -> None:
        """At the end of an epoch's steps: the loss, and the weights (the last update can overflow them)."""
        self.check_loss(mean_loss, where)
        if not all_finite(self.net.parameters()):
            self._stop("The weights became infinite or NaN", where)

    def epoch_done(self) -> None:
        """Keep the current weights as the last good ones, copied in place: no second copy is ever allocated."""
        with torch.no_grad():
            for k, v in self.net.state_dict().items():
                self.last_good[k].copy_(v)

    def _stop(self, problem: str, where: str) -> None:
        self.net.load_state_dict(self.last_good)
        done = f"the end of epoch {self.history.epochs[-1]}" if self.history.epochs else "their initial values"
        lr = self.lr
        raise TrainingDivergedError(
            f"{problem} in {where} (lr={lr:g}): training diverged. Training stopped and the weights were restored "
            f"to {done}. The learning rate is probably too high: try lr={lr / 10:g} (the book uses 0.9 for "
            "LeNet, 0.01 for AlexNet) and re-create the net before training again.",
            self.history,
        )


@contextlib.contextmanager
def keep_finished_work(history, progress, checkpoint: CheckpointFile | None) -> Iterator[None]:
    """Inside the block no finished work is lost and the figure is finished: Ctrl-C keeps the weights and returns the
    finished epochs with a message; any other error propagates carrying ``err.history``."""
    try:
        yield
    except KeyboardInterrupt:
        history.interrupted = True
        print(f"\nInterrupted during {progress.where()}. {_what_is_kept(history, checkpoint)}")
    except TrainingDivergedError:
        raise
    except Exception as err:
        err.history = history
        if progress.steps_done:
            note = (f"Training stopped in {progress.where()}: the net keeps the weights of its last completed step. "
                    f"{_what_is_kept(history, checkpoint)} The finished epochs' history is err.history.")  # fmt: skip
            if hasattr(err, "add_note"):  # Python 3.11+: shown under the traceback
                err.add_note(note)
            else:
                print(note)
        raise
    finally:
        history.figure = progress.close()


def _what_is_kept(history, checkpoint: CheckpointFile | None) -> str:
    kept = f"{len(history.epochs)} epoch(s) finished; the net keeps its current weights"
    if checkpoint is not None and checkpoint.saved_epoch is not None:
        return f"{kept} and {checkpoint.path} holds epoch {checkpoint.saved_epoch}."
    return kept + "."


class CheckpointFile:
    """``train_ch6``'s checkpoint (weights, optimizer, history, random and data order), written atomically and checked
    writable before the run; :attr:`saved_epoch` is the epoch it holds from this run."""

    KEYS = ("model", "optimizer", "epoch", "history", "torch_rng")

    def __init__(self, path: str | Path) -> None:
        self.path = check_writable_file(path, "checkpoint")
        self.saved_epoch: int | None = None

    @classmethod
    def for_run(cls, checkpoint: str | Path | None, resume: bool | None) -> CheckpointFile | None:
        """The checkpoint of a run: ``resume=True`` continues it, ``False`` starts afresh over it, ``None`` (the
        default) refuses a fresh run that would silently replace one the file holds."""
        if checkpoint is None:
            if resume:
                raise ValueError("resume=True needs checkpoint=<file> to resume from")
            return None
        file = cls(checkpoint)
        if resume is not None or not file.path.exists():
            return file
        epoch, what = file.describe()
        if epoch is None:
            raise FileExistsError(
                f"checkpoint={str(file.path)!r} is {what}, not a checkpoint: checkpoint= names the file train_ch6 "
                "writes after every epoch (weights, optimizer, epoch and history), and training would replace this "
                "one. Pass a new path; to overwrite this file on purpose, pass resume=False."
            )
        raise FileExistsError(
            f"checkpoint={str(file.path)!r} already exists ({what}). Training afresh would replace it. Pass "
            "resume=True to continue that run, or start a new one under a new path; to overwrite it on purpose, "
            "pass resume=False."
        )

    def describe(self) -> tuple[int | None, str]:
        """The epoch the existing file holds (None when train_ch6 did not write it) and what it is, for messages."""
        try:
            state = torch.load(self.path, map_location="cpu", weights_only=True)
        except Exception:
            return None, "a file torch.load cannot read"
        if isinstance(state, dict) and all(key in state for key in self.KEYS):
            return state["epoch"], f"a run of {state['epoch']} epoch(s)"
        if isinstance(state, dict) and state and all(isinstance(v, torch.Tensor) for v in state.values()):
            return None, f"a plain state_dict ({len(state)} tensors, as torch.save(net.state_dict(), path) writes)"
        missing = [key for key in self.KEYS if key not in state] if isinstance(state, dict) else self.KEYS
        return None, f"a {type(state).__name__} without {', '.join(missing)}"

    def save(self, net: nn.Module, optimizer: torch.optim.Optimizer, history, train_iter) -> None:
        """Write the state a resumed run needs; an interrupted save never leaves a half-written file."""
        state = {
            "model": net.state_dict(), "optimizer": optimizer.state_dict(), "epoch": history.epochs[-1],
            "history": history.to_dict(), "torch_rng": torch.get_rng_state(),
            "data_order": train_iter.state_dict() if hasattr(train_iter, "state_dict") else None,
        }  # fmt: skip
        with atomic_write(self.path) as tmp:
            torch.save(state, tmp)
        self.saved_epoch = history.epochs[-1]

    def restore(
        self, net: nn.Module, optimizer: torch.optim.Optimizer, train_iter, lr: float,
        read_history: Callable[..., Any],
    ):  # fmt: skip
        """Load the file into ``net``/``optimizer`` (if it is not this net's checkpoint, both stay as they were and a
        ``ValueError`` says "Cannot resume"), restore the random state and the data's shuffling order, set ``lr``;
        return the history, so the resumed run sees the batches an uninterrupted run would."""
        before = copy.deepcopy(net.state_dict()), copy.deepcopy(optimizer.state_dict())
        try:
            state = torch.load(self.path, map_location="cpu", weights_only=True)
            epoch, rng, history = state["epoch"], state["torch_rng"], read_history(**state["history"])
            net.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
        except Exception as err:  # unreadable, truncated, another net's, or not train_ch6's
            net.load_state_dict(before[0])
            optimizer.load_state_dict(before[1])
            raise ValueError(
                f"Cannot resume from {self.path}: it is not a checkpoint of this net written by train_ch6 "
                f"({self.describe()[1]}; {type(err).__name__}, shown above). Pass a checkpoint train_ch6 wrote for "
                "this net, or a new path to start afresh."
            ) from err
        saved_lr = optimizer.param_groups[0]["lr"]
        for group in optimizer.param_groups:
            group["lr"] = lr
        torch.set_rng_state(rng)
        if state.get("data_order") is not None and hasattr(train_iter, "load_state_dict"):
            train_iter.load_state_dict(state["data_order"])
        self.saved_epoch = epoch
        note = f" with lr={lr:g} (the checkpoint was trained with lr={saved_lr:g})" if saved_lr != lr else ""
        print(f"resuming from {self.path} after epoch {epoch}{note}")
        return history


# --- the step-0 shape probe ------------------------------------------------------------------------------------------


@contextlib.contextmanager
def shape_errors_explained(net: nn.Module, X: torch.Tensor, first_step: bool) -> Iterator[None]:
    """On a ``RuntimeError`` in the first step, probe the net to raise a :class:`~d2l_utils.shapes.ShapeMismatchError`
    naming the layer; any other error passes through unchanged."""
    try:
        yield
    except (RuntimeError, TypeError):  # TypeError: e.g. a layer that returned None into the next one
        if first_step:
            from ..shapes import check_input_fits  # only on the error path: a probe is a rare, slow event

            check_input_fits(net, X)
        raise


# --- training that sits at chance or collapses to it ----------------------------------------------------------------

CHANCE_MARGIN = 0.03  # within 3 points of 1/classes counts as chance
WELL_ABOVE_CHANCE = 0.2  # a test accuracy this far above chance means the net had learnt something
SITS_AFTER_EPOCH = 2  # the book's nets leave chance within their first two epochs when they learn at all


def warn_if_at_chance(history, num_classes: int, net: nn.Module, lr: float) -> str | None:
    """After an epoch, print and keep in ``history.warnings`` one line, once per run, if training still sits near chance
    after :data:`SITS_AFTER_EPOCH` or the test accuracy fell back there from well above; training goes on."""
    if num_classes < 2 or not history.epochs:
        return None
    chance, epoch = 1 / num_classes, history.epochs[-1]
    at_chance = lambda acc: acc <= chance + CHANCE_MARGIN  # noqa: E731
    best = max(range(len(history.test_acc) - 1), key=history.test_acc.__getitem__, default=None)
    if best is not None and history.test_acc[best] >= chance + WELL_ABOVE_CHANCE and at_chance(history.test_acc[-1]):
        what = (f"collapsed to chance: test accuracy {history.test_acc[-1]:.3f} at epoch {epoch}, after "
                f"{history.test_acc[best]:.3f} at epoch {history.epochs[best]} (chance: 1/{num_classes})")  # fmt: skip
    elif epoch >= SITS_AFTER_EPOCH and at_chance(history.train_acc[-1]):
        what = (f"training at chance: training accuracy {history.train_acc[-1]:.3f} after epoch {epoch} "
                f"(chance: 1/{num_classes} = {chance:.3f}); the net has not started to learn")  # fmt: skip
    else:
        return None
    if any(w.startswith(f"Warning: {what.split(':')[0]}:") for w in history.warnings):
        return None
    line = f"Warning: {what}. {_book_and_advice(network_of(net), lr, chance)}"
    history.warnings.append(line)
    print(line)
    return line


def _book_and_advice(network: str | None, lr: float, chance: float) -> str:
    """What the book's runs of ``network`` show, and what to try."""
    from ..plans import D2L_1_0_PLANS, TRAINING_PLANS, book_runs, book_spread

    plan = network and network.removesuffix("-concise")  # the concise BN-LeNet trains with the same plan
    later = D2L_1_0_PLANS.get(plan)
    if later is not None and later.lr < lr:
        advice = f"another seed (du.seed_everything), or the book's later lr={later.lr:g} (d2l 1.0)"
    else:
        advice = f"another seed (du.seed_everything), or a smaller learning rate, e.g. lr={lr / 2:g}"
    try:
        runs, spread = book_runs(network), book_spread(network)
    except (KeyError, ValueError):  # not a network of the book, or no recorded runs
        return f"Try {advice}."
    stuck = sum(r.test_acc <= chance + CHANCE_MARGIN for r in runs)
    return (f"The book's {spread.count} runs of {network} (lr={TRAINING_PLANS[plan]['book'].lr:g}) ended at "
            f"{spread.low:.3f}-{spread.high:.3f}, median {spread.median:.3f}, {stuck} of them at chance. "
            f"Try {advice}.")  # fmt: skip


def network_of(net: nn.Module) -> str | None:
    """Which of the book's networks ``net`` is (a plan key), by its parameters' shapes; None for any other net."""
    from .. import models

    builders = {
        "lenet": models.lenet, "alexnet": models.alexnet, "nin": models.nin, "googlenet": models.googlenet,
        "vgg": lambda: models.vgg(models.narrow_conv_arch(models.VGG11_CONV_ARCH, 4)),
        "bn-lenet": lambda: models.bn_lenet(from_scratch=True), "bn-lenet-concise": models.bn_lenet,
        "resnet18": models.resnet18, "densenet": models.densenet,
    }  # fmt: skip
    shapes = [tuple(p.shape) for p in net.parameters()]
    with torch.device("meta"):  # shapes only: no memory, no initialisation work
        return next((name for name, build in builders.items() if [tuple(p.shape) for p in build().parameters()]
                     == shapes), None)  # fmt: skip
