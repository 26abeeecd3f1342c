"""Facts about an ``nn.Module`` that several helpers need: its device, its leaf layers, a safe eval mode, and a
guard that leaves a measured net exactly as it was."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn
from torch.nn.parameter import is_lazy

from .guard_rails.checks import check_module


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


_GUARDED: set[int] = set()  # ids of the nets an unchanged() block is guarding now


@contextlib.contextmanager
def unchanged(net: nn.Module) -> Iterator[nn.Module]:
    """Run a probe on ``net`` and leave it as it was found: weights, buffers, ``.grad``, ``requires_grad``, modes.

    Every helper that measures a net (shapes, costs, FLOPs, speed, receptive fields) runs inside this block, so
    a measurement never trains the net a little: batch norm's running statistics and ``num_batches_tracked`` get
    their values back, gradients accumulated by the probe are dropped (the net's own ``.grad`` tensors are kept
    aside, not added to), and every submodule gets back its own training flag, so a part frozen in eval mode
    stays frozen. Only tensors whose values changed are written back, so a net that the probe did not touch is
    not written at all (an autograd graph the caller still holds stays valid). Lazy layers (``nn.LazyLinear``)
    that receive their shapes during the probe keep them: giving them shapes is what a first forward pass is for.
    """
    check_module(net)
    if id(net) in _GUARDED:  # a probe inside a probe (layer_costs runs layer_summary): the outer one restores
        yield net
        return
    _GUARDED.add(id(net))
    modes = [(module, module.training) for module in net.modules()]
    params = list(net.parameters())
    grads = [p.grad for p in params]
    flags = [p.requires_grad for p in params]
    tensors = [(t, t.detach().clone()) for t in (*params, *net.buffers()) if not is_lazy(t)]
    for p in params:
        p.grad = None
    try:
        yield net
    finally:
        _GUARDED.discard(id(net))
        for module, training in modes:
            module.training = training
        with torch.no_grad():
            for tensor, saved in tensors:
                if tensor.shape != saved.shape:
                    tensor.data = saved
                elif not torch.equal(tensor, saved):
                    tensor.copy_(saved)
        for p, grad, flag in zip(params, grads, flags, strict=True):
            p.grad = grad
            p.requires_grad_(flag)


__all__ = ["eval_mode", "is_leaf", "leaf_modules", "module_device", "unchanged"]
