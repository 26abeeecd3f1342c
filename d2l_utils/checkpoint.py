"""Writing files so that nothing half-written is ever left, and saving/restoring training checkpoints.

Every file the course writes (downloads, extracted data, the synthetic stand-in, checkpoints, figures) goes
through :func:`atomic_write`: the content goes to a temporary file with a name of its own in the same folder,
and only a finished file is renamed into place. An interrupted write leaves the previous file (or none), and two
processes writing the same file at once never see each other's half: the last complete one wins.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .guard_rails.checks import atomic_write, check_writable_file

check_writable = check_writable_file

# What train_ch6 stores in a checkpoint; a file without one of these cannot be resumed from.
CHECKPOINT_KEYS = ("model", "optimizer", "epoch", "history", "torch_rng")


def save_checkpoint(path: str | Path, **state: Any) -> None:
    """``torch.save(state)`` to ``path`` atomically: an interrupted save never leaves a half-written checkpoint."""
    with atomic_write(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(
    path: Path, net: nn.Module, optimizer: torch.optim.Optimizer, read_history: Callable[[dict], Any] = dict
) -> dict:
    """Load a checkpoint written by ``train_ch6`` into ``net`` and ``optimizer``; return the whole state.

    Loaded on the CPU: ``load_state_dict`` copies weights and optimizer state to the devices they live on, and
    the random-number states must stay CPU tensors. ``read_history`` turns the stored history back into an
    object (``TrainHistory.from_dict``) before any weight is touched. If anything fails (unreadable, truncated,
    missing entries, another net's weights), ``net`` and ``optimizer`` are put back exactly as they were and
    ``ValueError`` says "Cannot resume".
    """
    before = copy.deepcopy(net.state_dict()), copy.deepcopy(optimizer.state_dict())
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        missing = [key for key in CHECKPOINT_KEYS if key not in state]
        if missing:
            raise KeyError(f"no {', '.join(missing)} in the file")
        state["history"] = read_history(state["history"])
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
    except Exception as err:  # unreadable, truncated, another net's, or not train_ch6's
        net.load_state_dict(before[0])
        optimizer.load_state_dict(before[1])
        raise ValueError(
            f"Cannot resume from {path}: it is not a checkpoint of this net written by train_ch6 "
            f"({type(err).__name__}, shown above). Delete the file (or pass another checkpoint) to start afresh."
        ) from err
    return state


__all__ = ["CHECKPOINT_KEYS", "atomic_write", "check_writable", "load_checkpoint", "save_checkpoint"]
