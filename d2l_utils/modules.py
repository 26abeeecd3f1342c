"""Facts about an ``nn.Module`` that several helpers need: its device, its leaf layers, a safe eval mode."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn


def module_device(net: nn.Module) -> torch.device:
    """The device of ``net``'s first parameter (the CPU for a net without parameters, e.g. pooling alone)."""
    param = next(net.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def is_leaf(module: nn.Module) -> bool:
    """True for a module with no children: a layer that computes, not a container."""
    return next(module.children(), None) is None


def leaf_modules(net: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(qualified name, module)`` of every leaf layer, in definition order: the rows of a shape table."""
    return [(name, m) for name, m in net.named_modules() if is_leaf(m)]


@contextlib.contextmanager
def eval_mode(net: nn.Module) -> Iterator[nn.Module]:
    """Put ``net`` in eval mode for a block, then give every submodule back its own mode.

    Restoring only the top module's flag (``net.train(was_training)``) would switch a deliberately frozen part,
    e.g. a BatchNorm kept in eval mode while the rest fine-tunes, back into training mode.
    """
    modes = [(module, module.training) for module in net.modules()]
    net.eval()
    try:
        yield net
    finally:
        for module, training in modes:
            module.training = training


__all__ = ["eval_mode", "is_leaf", "leaf_modules", "module_device"]
