"""Receptive fields through a whole network: the layer-by-layer recurrence, a gradient check, and a picture.

Walking through the spatial layers in order, each layer with kernel ``k``, dilation ``d``, stride ``s`` and
padding ``p`` updates three numbers that describe one output element of that layer in input pixels:

* the field size ``r ← r + (k_eff − 1)·J``, where ``k_eff = d·(k − 1) + 1`` is the span of a dilated kernel,
* the jump ``J ← J·s``, the distance in input pixels between two neighbouring elements of its output,
* the start ``start ← start − p·J``, the first input row (or column) seen by the output element 0.

The field of output element ``i`` then covers input pixels ``start + i·J`` to ``start + i·J + r − 1``.
``gradient_receptive_field`` measures the same thing a second way (the input pixels on which the gradient of
one output element is non-zero) so the recurrence can be checked on any network.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import nn

from .shapes import int_pair, is_leaf

__all__ = [
    "UNDER_REPORT_WARNING", "FieldRow", "field_box", "format_receptive_fields", "gradient_receptive_field",
    "plot_receptive_field", "receptive_fields", "spatial_layers",
]  # fmt: skip

_WINDOW_LAYERS = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)
_GLOBAL_LAYERS = (nn.Flatten, nn.Linear, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
_UNDER_REPORTING = (nn.ReLU, nn.MaxPool2d)
_POSITIONAL_MODULES = {
    f"torch.nn.modules.{name}" for name in ("conv", "pooling", "padding", "upsampling", "pixelshuffle", "fold")
}
UNDER_REPORT_WARNING = (
    "gradients under-report the receptive field through ReLU and max pooling (they zero some paths); "
    "use exact=True to measure the field of the linearised network"
)


class FieldRow(NamedTuple):
    """One layer of a receptive-field table, all sizes in input pixels along one axis."""

    name: str
    kernel: int
    stride: int
    jump: int
    size: int
    start: int


def _padding(layer: nn.Module, axis: int) -> int:
    """Padding before the first element (PyTorch's ``"same"`` puts the smaller half first)."""
    if layer.padding == "valid":
        return 0
    if layer.padding == "same":
        return int_pair(layer.dilation)[axis] * (int_pair(layer.kernel_size)[axis] - 1) // 2
    return int_pair(layer.padding)[axis]


def spatial_layers(net: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(name, layer)`` for the leaf layers of ``net`` up to the first one that sees the whole image.

    Flatten, Linear and adaptive (global) pooling end the walk: from there on every unit sees every pixel.
    Raises ``TypeError`` for a layer whose effect on positions is unknown, naming it.
    """
    layers = []
    for name, layer in net.named_modules():
        if not is_leaf(layer):
            continue
        if isinstance(layer, _GLOBAL_LAYERS):
            break
        if not isinstance(layer, _WINDOW_LAYERS) and _moves_positions(layer):
            raise TypeError(
                f"receptive_fields does not know how {name} ({type(layer).__name__}) moves positions; "
                "it handles Conv2d, MaxPool2d, AvgPool2d and element-wise layers (activations, dropout, norms)"
            )
        layers.append((name, layer))
    return layers


def _moves_positions(layer: nn.Module) -> bool:
    """True for PyTorch's other convolution, pooling, padding and resampling layers (not handled here)."""
    return type(layer).__module__ in _POSITIONAL_MODULES


def receptive_fields(net: nn.Module, axis: int = 0) -> list[FieldRow]:
    """Receptive field of one output element after each spatial layer of ``net`` (an ``nn.Sequential``).

    ``axis`` picks height (0) or width (1) for layers with non-square kernels. Element-wise layers (ReLU,
    sigmoid, dropout, batch norm, local response norm) leave the field unchanged and are listed too, so row
    names match the network's. Example: ``du.receptive_fields(du.lenet())[-1].size`` is 16.
    """
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 (height) or 1 (width), got {axis!r}")
    layers = spatial_layers(net)
    if not layers:
        raise ValueError(
            f"{type(net).__name__} has no spatial layer before its first Flatten, Linear or global pooling: "
            "every unit there sees the whole input"
        )
    rows, size, jump, start = [], 1, 1, 0
    for name, layer in layers:
        kernel = stride = 1
        if isinstance(layer, _WINDOW_LAYERS):
            kernel, stride = int_pair(layer.kernel_size)[axis], int_pair(layer.stride)[axis]
            span = int_pair(getattr(layer, "dilation", 1))[axis] * (kernel - 1) + 1
            size, start = size + (span - 1) * jump, start - _padding(layer, axis) * jump
            jump *= stride
        rows.append(FieldRow(f"{name}: {type(layer).__name__}", kernel, stride, jump, size, start))
    return rows


def format_receptive_fields(rows: Sequence[FieldRow]) -> str:
    """The rows as a fixed-width table, one line per layer."""
    lines = [f"{'layer':<18} {'kernel':>6} {'stride':>6} {'jump':>5} {'field':>6}"]
    lines += [f"{r.name:<18} {r.kernel:>6} {r.stride:>6} {r.jump:>5} {r.size:>6}" for r in rows]
    return "\n".join(lines)


def field_box(row: FieldRow, i: int, j: int, row_w: FieldRow | None = None) -> tuple[int, int, int, int]:
    """``(top, left, height, width)`` in input pixels of the field of output element ``(i, j)``.

    The box may reach outside the image (into the padding); ``row_w`` is the width axis's row when it differs.
    """
    row_w = row if row_w is None else row_w
    return row.start + i * row.jump, row_w.start + j * row_w.jump, row.size, row_w.size


def _linearised(net: nn.Module) -> nn.Module:
    """A copy of ``net`` in which every path counts: weights 1, no bias, identity activations, average pooling."""
    net = copy.deepcopy(net)
    for name, layer in list(net.named_modules()):
        if isinstance(layer, nn.Conv2d):
            layer.weight.data.fill_(1.0)
            if layer.bias is not None:
                layer.bias.data.zero_()
        replacement = None
        if isinstance(layer, nn.MaxPool2d):
            replacement = nn.AvgPool2d(layer.kernel_size, layer.stride, layer.padding, ceil_mode=layer.ceil_mode)
        elif is_leaf(layer) and not isinstance(layer, (*_WINDOW_LAYERS, *_GLOBAL_LAYERS)):
            replacement = nn.Identity()
        if replacement is not None:
            parent_name, _, child = name.rpartition(".")
            setattr(net.get_submodule(parent_name), child, replacement)
    return net


def gradient_receptive_field(
    net: nn.Module, input_shape: Sequence[int], position: tuple[int, int] | None = None, exact: bool = True
) -> tuple[int, int]:
    """Measure ``(height, width)`` of the field of one output element: how far its gradient reaches in the input.

    Runs the spatial layers of ``net`` on an input of ``input_shape`` (C, H, W or N, C, H, W) and
    back-propagates from the element at ``position`` (default: the centre) of the last spatial output.
    With ``exact=True`` a linearised copy is used (weights 1, ReLU and sigmoid removed, max pooling replaced by
    average pooling), so no path is zeroed and the result equals ``receptive_fields`` wherever the field lies
    inside the image. With ``exact=False`` the network itself runs on a random input, and a warning says when
    ReLU or max pooling make the gradient under-report the field. Fields clipped by the border count only the
    pixels inside the image: use an input large enough for the position you ask about.
    """
    shape = tuple(int(s) for s in input_shape)
    if len(shape) not in (3, 4):
        raise ValueError(f"input_shape must be (C, H, W) or (N, C, H, W), got {shape}")
    receptive_fields(net)  # the same checks of the layers, and a clear error when there is no spatial layer
    layers = spatial_layers(net)
    body = nn.Sequential(*(layer for _, layer in layers))
    if exact:
        body = _linearised(body)
    elif any(isinstance(layer, _UNDER_REPORTING) for _, layer in layers):
        warnings.warn(UNDER_REPORT_WARNING, stacklevel=2)
    X = (torch.ones if exact else torch.randn)((1, *shape[-3:])).requires_grad_(True)
    out = body(X)
    i, j = position if position is not None else (out.shape[-2] // 2, out.shape[-1] // 2)
    out[0, :, i, j].sum().backward()
    support = X.grad[0].abs().sum(0) != 0
    return _extent(support.any(1)), _extent(support.any(0))


def _extent(mask: torch.Tensor) -> int:
    """From the first to the last True entry (a dilated kernel's field has gaps, but spans this far)."""
    hits = mask.nonzero().flatten()
    return int(hits[-1] - hits[0] + 1) if len(hits) else 0


def plot_receptive_field(ax, image, net: nn.Module, positions: Sequence[tuple[int, int]], colors=None):
    """Draw ``image`` (H×W) on ``ax`` with the receptive fields of the last spatial layer's ``positions``."""
    from matplotlib.patches import Rectangle

    rows_h, rows_w = receptive_fields(net, axis=0)[-1], receptive_fields(net, axis=1)[-1]
    ax.imshow(torch.as_tensor(image).detach().cpu().numpy(), cmap="gray")  # a tensor straight to imshow warns
    colors = colors or ["tab:red", "tab:orange", "tab:cyan", "tab:green"]
    for n, (i, j) in enumerate(positions):
        top, left, h, w = field_box(rows_h, i, j, rows_w)
        color = colors[n % len(colors)]
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), w, h, fill=False, edgecolor=color, linewidth=2))
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), w, h, facecolor=color, alpha=0.12, linewidth=0))
        ax.plot(left + (w - 1) / 2, top + (h - 1) / 2, "+", color=color)
    ax.set_xlim(-0.5, image.shape[1] - 0.5)
    ax.set_ylim(image.shape[0] - 0.5, -0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax
