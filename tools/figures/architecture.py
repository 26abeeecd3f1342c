"""Architecture figures drawn from the model itself, so a picture can never disagree with the code.

:func:`plot_architecture` runs the shape probe (:func:`~d2l_utils.shapes.layer_summary`) once and draws one box
per leaf layer, top to bottom, in the style of the book's "compressed notation" figures: the layer's
hyper-parameters inside the box, the shape of the feature map it outputs beside it, and the input on top.
Change the net and the figure changes with it; ``tools/make_figures.py`` regenerates the course's images.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from torch import nn

from d2l_utils.guard_rails.checks import atomic_write
from d2l_utils.shapes import int_pair, layer_summary, leaf_modules

# Fill colours by kind of layer: what holds weights stands out, what is elementwise stays pale.
KIND_COLORS = {
    "input": "#ffffff",
    "conv": "#9ecae1",
    "pool": "#fdd0a2",
    "dense": "#a1d99b",
    "activation": "#eeeeee",
    "dropout": "#dadaeb",
    "reshape": "#fff7bc",
    "other": "#f0f0f0",
}
_THIN = {"activation", "dropout", "reshape"}
_BOX_H, _THIN_H, _GAP = 0.42, 0.26, 0.12  # inches


def layer_kind(layer: nn.Module) -> str:
    """The figure's category for a layer: conv, pool, dense, activation, dropout, reshape or other."""
    if isinstance(layer, nn.modules.conv._ConvNd):
        return "conv"
    if isinstance(layer, (nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd, nn.AdaptiveAvgPool2d)):
        return "pool"
    if isinstance(layer, nn.Linear):
        return "dense"
    if isinstance(layer, nn.modules.dropout._DropoutNd):
        return "dropout"
    if isinstance(layer, (nn.Flatten, nn.Unflatten)):
        return "reshape"
    if type(layer).__module__.startswith("torch.nn.modules.activation"):
        return "activation"
    return "other"


def _pair(value) -> str:
    a, b = int_pair(value)
    return f"{a}" if a == b else f"{a}×{b}"


def _window(value) -> str:
    a, b = int_pair(value)
    return f"{a}×{b}"


def describe_layer(layer: nn.Module) -> str:
    """A short label with a layer's hyper-parameters, e.g. ``Conv2d 11×11, 96 ch, stride 4, pad 1``."""
    name = type(layer).__name__
    if isinstance(layer, nn.Conv2d):
        text = f"{name} {_window(layer.kernel_size)}, {layer.out_channels} ch"
        if _pair(layer.stride) != "1":
            text += f", stride {_pair(layer.stride)}"
        if isinstance(layer.padding, str) or _pair(layer.padding) != "0":
            text += f", pad {layer.padding if isinstance(layer.padding, str) else _pair(layer.padding)}"
        return text
    if isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
        text = f"{name} {_window(layer.kernel_size)}, stride {_pair(layer.stride)}"
        return text + (f", pad {_pair(layer.padding)}" if _pair(layer.padding) != "0" else "")
    if isinstance(layer, nn.Linear):
        return f"{name} {layer.in_features} → {layer.out_features}"
    if isinstance(layer, nn.modules.dropout._DropoutNd):
        return f"{name} p={layer.p:g}"
    return name


def _shape_label(shape: Sequence[int] | tuple[Sequence[int], ...]) -> str:
    """``C×H×W`` without the batch; for a layer with several outputs, the first (the feature map)."""
    if shape and not isinstance(shape[0], int):
        shape = shape[0]
    return "×".join(str(int(s)) for s in shape[1:])


def plot_architecture(
    net: nn.Module, input_shape: Sequence[int], *, title: str | None = None, ax: Axes | None = None
) -> Figure:
    """Draw ``net`` as a column of boxes, one per leaf layer, labelled with the output shape for ``input_shape``.

    ``input_shape`` includes the batch, e.g. ``(1, 1, 28, 28)``. The top box is the input; each following box is
    a leaf layer (``gid`` ``"layer-<index>"``, in the shape probe's order) with its hyper-parameters inside and
    its output shape (channels×height×width, batch left out) to the right. Weighted layers are tall, elementwise
    ones thin. Draws on ``ax`` if given (e.g. two nets side by side), else on a new figure sized to fit.
    Returns the figure.
    """
    rows = layer_summary(net, input_shape, print_fn=None)
    leaves = leaf_modules(net)
    items = [("input", "input", _shape_label(input_shape), "input")]
    for row in rows:
        layer = leaves[row.index][1]
        items.append((layer_kind(layer), describe_layer(layer), _shape_label(row.output_shape), f"layer-{row.index}"))
    heights = [_THIN_H if kind in _THIN else _BOX_H for kind, *_ in items]
    total = sum(heights) + _GAP * (len(items) - 1)
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.6, total + (0.45 if title else 0.1)))
    else:
        fig = ax.figure
    box_w = 3.1
    y = total
    for k, ((kind, text, shape, gid), h) in enumerate(zip(items, heights, strict=True)):
        top = y
        box = FancyBboxPatch(
            (0, top - h), box_w, h, boxstyle="round,pad=0,rounding_size=0.06", linewidth=0.8,
            edgecolor="#333333", facecolor=KIND_COLORS[kind], gid=gid,
        )  # fmt: skip
        ax.add_patch(box)
        size = 7.5 if kind in _THIN else 8.5
        ax.text(box_w / 2, top - h / 2, text, ha="center", va="center", fontsize=size)
        ax.text(box_w + 0.1, top - h / 2, shape, ha="left", va="center", fontsize=7.5, color="#555555",
                family="monospace")  # fmt: skip
        y = top - h - _GAP
        if k < len(items) - 1:
            arrow = {"arrowstyle": "-|>", "color": "#333333", "lw": 0.8, "shrinkA": 0, "shrinkB": 0}
            ax.annotate("", xy=(box_w / 2, y), xytext=(box_w / 2, top - h), arrowprops=arrow)
    ax.set_xlim(-0.05, box_w + 1.3)
    ax.set_ylim(-0.02, total + 0.02)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def save_figure(fig: Figure, path, dpi: int = 150) -> None:
    """Save ``fig`` as a PNG without a software/version stamp, so regenerating it gives the same bytes.

    A path is written atomically: an interrupted run never leaves a truncated image in place of the old one;
    ``~`` in it means the home folder.
    ``path`` may also be an open binary file (e.g. ``io.BytesIO``).
    """
    options = {"format": "png", "dpi": dpi, "bbox_inches": "tight", "metadata": {"Software": None}}
    if not isinstance(path, (str, os.PathLike)):
        fig.savefig(path, **options)
        return
    with atomic_write(path) as tmp:
        fig.savefig(tmp, **options)


__all__ = ["KIND_COLORS", "describe_layer", "layer_kind", "plot_architecture", "save_figure"]
