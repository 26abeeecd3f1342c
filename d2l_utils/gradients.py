"""The ResNet chapter's two measurements: how large a residual branch starts, and how the gradient reaches each
layer of a deep stack; both run on a copy in training mode, so the network passed in is left as it was."""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn import functional as F

from .models import Residual


def branch_ratio(block: Residual, X: torch.Tensor) -> float:
    """‖g(x)‖ / ‖x‖ for a residual block with an identity shortcut: how large its branch ``g`` is next to the
    input it is added to (0 means the block starts as the identity)."""
    if block.conv3 is not None:
        raise ValueError("branch_ratio needs an identity shortcut (a block built without use_1x1conv)")
    model = copy.deepcopy(block).train()
    with torch.no_grad():
        branch = model.bn2(model.conv2(F.relu(model.bn1(model.conv1(X)))))
    return (branch.norm() / X.norm()).item()


def conv_gradient_norms(net: nn.Module, X: torch.Tensor, y: torch.Tensor) -> list[float]:
    """The gradient norm of every convolution's weight, in forward order, after one cross-entropy backward pass
    on ``(X, y)``: how strongly the loss reaches each layer at the network's current weights."""
    model = copy.deepcopy(net).train()
    loss = F.cross_entropy(model(X), y)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    grads = torch.autograd.grad(loss, [c.weight for c in convs])
    return [g.norm().item() for g in grads]
