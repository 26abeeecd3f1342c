"""Concept figures drawn from the models: what a network is made of, at the level of its blocks.

:func:`plot_stages` draws a network's top-level parts left to right, one box each, with the layers inside it
summarised from the module (``2 × conv 3×3, 256`` then ``max pool 2×2 /2``) and the shape the part outputs under
it; optional spans above the boxes name groups of parts (stem, body, head). :func:`plot_residual_block` draws a
residual block's branch and shortcut from a :class:`~d2l_utils.models.Residual`, :func:`plot_function_classes`
the nested and non-nested function classes of the ResNet chapter, and :func:`plot_dense_block` the connections
of a :class:`~d2l_utils.models.DenseBlock` and the transition that follows it; :func:`plot_normalization_axes`
shows which values batch norm and layer norm average over. Every label is read from the
module, so a figure cannot disagree with the code; ``tools/make_figures.py`` regenerates the course's images.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse, FancyBboxPatch, Rectangle
from torch import nn

from d2l_utils.models import DenseBlock, Inception, Residual
from d2l_utils.shapes import int_pair, layer_summary, leaf_modules
from tools.figures.architecture import KIND_COLORS, layer_kind

_LINE_H = 0.17  # inches per text line inside a box
_ARROW = {"arrowstyle": "-|>", "color": "#333333", "lw": 0.8, "shrinkA": 0, "shrinkB": 0}


def _window(value) -> str:
    a, b = int_pair(value)
    return f"{a}×{b}"


def _leaf_line(layer: nn.Module) -> str | None:
    """A short line for one leaf layer; None for layers a block diagram leaves out (activations, reshapes)."""
    if isinstance(layer, nn.Conv2d):
        stride = "" if int_pair(layer.stride) == (1, 1) else f" /{int_pair(layer.stride)[0]}"
        return f"conv {_window(layer.kernel_size)}, {layer.out_channels}{stride}"
    if isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
        kind = "max" if isinstance(layer, nn.MaxPool2d) else "avg"
        return f"{kind} pool {_window(layer.kernel_size)} /{int_pair(layer.stride)[0]}"
    if isinstance(layer, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        return "global " + ("avg" if isinstance(layer, nn.AdaptiveAvgPool2d) else "max") + " pool"
    if isinstance(layer, nn.Linear):
        return f"dense {layer.in_features:,}→{layer.out_features:,}"
    if isinstance(layer, nn.modules.batchnorm._BatchNorm):
        return "batch norm"
    if isinstance(layer, nn.modules.dropout._DropoutNd):
        return f"dropout {layer.p:g}"
    return None


def _collapse(lines: Sequence[str]) -> list[str]:
    """Runs of the same line as one ``n × line``."""
    out: list[list] = []
    for line in lines:
        if out and out[-1][0] == line:
            out[-1][1] += 1
        else:
            out.append([line, 1])
    return [line if n == 1 else f"{n} × {line}" for line, n in out]


def part_lines(part: nn.Module) -> list[str]:
    """What one top-level part of a network holds, as short lines (Inception blocks and residual blocks whole).

    Activations and reshapes are left out, so a lone ReLU or Flatten gives no line.
    """
    if isinstance(part, (Inception, Residual, DenseBlock)):
        return [_block_line(part)]
    if isinstance(part, nn.Sequential) and any(isinstance(m, (Inception, Residual, DenseBlock)) for m in part):
        return _collapse([line for child in part for line in part_lines(child)])
    leaves = [layer for _, layer in leaf_modules(part)] or [part]
    return _collapse([line for line in map(_leaf_line, leaves) if line])


def _block_line(block: nn.Module) -> str:
    if isinstance(block, Inception):
        return f"Inception → {block.out_channels}"
    if isinstance(block, Residual):
        shortcut = ", 1×1 shortcut" if block.conv3 is not None else ""
        return f"residual {block.conv2.out_channels}{shortcut}"
    return f"dense block → {block.out_channels}"


def _part_kind(part: nn.Module) -> str:
    kinds = [layer_kind(layer) for _, layer in leaf_modules(part)] or [layer_kind(part)]
    for kind in ("conv", "dense", "pool"):
        if kind in kinds:
            return kind
    return "other"


def _shape_text(shape) -> str:
    if shape and not isinstance(shape[0], int):
        shape = shape[0]
    return "×".join(str(int(s)) for s in shape[1:])


def _part_outputs(net: nn.Sequential, input_shape: Sequence[int]) -> list[str]:
    """The output shape of each top-level part, from the shape probe's last leaf inside it."""
    rows = layer_summary(net, input_shape, print_fn=None)
    leaves = leaf_modules(net)
    owner = {}
    for index, (name, _) in enumerate(leaves):
        owner[index] = int(name.split(".")[0]) if name else 0
    shapes = ["?"] * len(net)
    for row in rows:
        shapes[owner[row.index]] = _shape_text(row.output_shape)
    return shapes


def _merge(net: nn.Sequential, input_shape, groups: Sequence[int] | None) -> list[tuple[list[str], str, str]]:
    """(lines, kind, output) per box; ``groups`` gives how many consecutive top-level parts share a box."""
    shapes = _part_outputs(net, input_shape)
    sizes = list(groups) if groups else [1] * len(net)
    if sum(sizes) != len(net):
        raise ValueError(f"groups {list(sizes)} cover {sum(sizes)} parts, but the net has {len(net)}")
    boxes, start = [], 0
    for size in sizes:
        parts = list(net)[start : start + size]
        lines = _collapse([line for part in parts for line in part_lines(part)]) or [type(parts[0]).__name__]
        kinds = [_part_kind(p) for p in parts]
        kind = next((k for k in ("conv", "dense", "pool") if k in kinds), "other")
        boxes.append((lines, kind, shapes[start + size - 1]))
        start += size
    return boxes


_GAP, _LEAD = 0.22, 0.75  # inches: between boxes, and for the input label on the left


def _stage_row(net, input_shape, groups, spans, box_width) -> dict:
    """Everything one row of boxes needs, sizes in inches."""
    if not isinstance(net, nn.Sequential):
        raise TypeError(f"plot_stages draws an nn.Sequential's parts, got {type(net).__name__}")
    boxes = _merge(net, input_shape, groups)
    height = max(len(lines) for lines, _, _ in boxes) * _LINE_H + 0.2
    return {"boxes": boxes, "height": height, "spans": spans or {}, "box_width": box_width,
            "input": _shape_text(input_shape), "width": _LEAD + len(boxes) * (box_width + _GAP) + 0.05,
            "top": height + (0.5 if spans else 0.08), "bottom": 0.45}  # fmt: skip


def _draw_stage_row(ax: Axes, row: dict, title: str | None) -> None:
    height, box_width = row["height"], row["box_width"]
    ax.text(0, height / 2, f"input\n{row['input']}", ha="left", va="center", fontsize=7.5)
    for k, (lines, kind, shape) in enumerate(row["boxes"]):
        x = _LEAD + _GAP + k * (box_width + _GAP)
        ax.add_patch(FancyBboxPatch((x, 0), box_width, height, boxstyle="round,pad=0,rounding_size=0.06",
                                    linewidth=0.8, edgecolor="#333333", facecolor=KIND_COLORS[kind]))  # fmt: skip
        ax.text(x + box_width / 2, height / 2, "\n".join(lines), ha="center", va="center", fontsize=7,
                linespacing=1.25)  # fmt: skip
        ax.text(x + box_width / 2, -0.1, shape, ha="center", va="top", fontsize=7, color="#555555",
                family="monospace")  # fmt: skip
        ax.annotate("", xy=(x, height / 2), xytext=(x - _GAP, height / 2), arrowprops=_ARROW)
    _draw_spans(ax, row["spans"], _LEAD + _GAP, box_width, _GAP, height)
    ax.set_xlim(0, row["width"])
    ax.set_ylim(-row["bottom"], row["top"])
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9.5, loc="left")


def plot_stages(
    net: nn.Sequential,
    input_shape: Sequence[int],
    *,
    groups: Sequence[int] | None = None,
    spans: Mapping[str, tuple[int, int]] | None = None,
    title: str | None = None,
    box_width: float = 1.15,
) -> Figure:
    """Draw ``net``'s top-level parts left to right: one box each (or per group), its layers inside, its output
    shape (channels×height×width) under it, the input on the left.

    ``groups`` merges consecutive parts into one box (e.g. ``[1, 1, 1, 1, 1, 1, 7]`` puts a dense part of seven
    layers in one box); ``spans`` names ranges of boxes, ``{"stem": (0, 2)}`` = boxes 0 and 1, drawn as labelled
    brackets above. Returns the figure, sized so that text stays 7 points at any number of boxes.
    """
    return plot_stage_rows([dict(net=net, input_shape=input_shape, groups=groups, spans=spans, title=title,
                                 box_width=box_width)])  # fmt: skip


def plot_stage_rows(rows: Sequence[Mapping]) -> Figure:
    """Several :func:`plot_stages` rows in one figure, one above the other on the same scale (e.g. NiN under
    VGG). Each row is a mapping of ``plot_stages``' arguments: ``net``, ``input_shape`` and optionally
    ``groups``, ``spans``, ``title``, ``box_width``."""
    laid = [_stage_row(r["net"], r["input_shape"], r.get("groups"), r.get("spans"), r.get("box_width", 1.15))
            for r in rows]  # fmt: skip
    titles = [r.get("title") for r in rows]
    heights = [row["top"] + row["bottom"] + (0.3 if t else 0) for row, t in zip(laid, titles, strict=True)]
    fig_w, fig_h = max(row["width"] for row in laid), sum(heights)
    fig = plt.figure(figsize=(fig_w, fig_h))
    bottom = fig_h
    for row, title, h in zip(laid, titles, heights, strict=True):
        bottom -= h
        inner = row["top"] + row["bottom"]
        ax = fig.add_axes((0, bottom / fig_h, row["width"] / fig_w, inner / fig_h))
        _draw_stage_row(ax, row, title)
    return fig


def _draw_spans(ax: Axes, spans: Mapping[str, tuple[int, int]], x0: float, box_width: float, gap: float,
                height: float) -> None:  # fmt: skip
    for name, (first, stop) in spans.items():
        left = x0 + first * (box_width + gap)
        right = x0 + (stop - 1) * (box_width + gap) + box_width
        y = height + 0.12
        ax.plot([left, left, right, right], [y, y + 0.1, y + 0.1, y], color="#333333", lw=0.8)
        ax.text((left + right) / 2, y + 0.16, name, ha="center", va="bottom", fontsize=9, weight="bold")


def _box(ax: Axes, x: float, y: float, text: str, kind: str, w: float = 1.5, h: float = 0.3) -> None:
    """A labelled box centred at (x, y)."""
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.05",
                                linewidth=0.8, edgecolor="#333333", facecolor=KIND_COLORS[kind], zorder=3))  # fmt: skip
    ax.text(x, y, text, ha="center", va="center", fontsize=8, zorder=4)


def _down(ax: Axes, x: float, y_from: float, y_to: float) -> None:
    ax.annotate("", xy=(x, y_to), xytext=(x, y_from), arrowprops=_ARROW)


def _branch_items(block: Residual) -> list[tuple[str, str]]:
    """The residual branch's layers in forward order, read from the block."""

    def conv(c: nn.Conv2d) -> str:
        stride = "" if int_pair(c.stride) == (1, 1) else f", stride {int_pair(c.stride)[0]}"
        return f"conv {_window(c.kernel_size)}, {c.out_channels}{stride}"

    return [(conv(block.conv1), "conv"), ("batch norm", "other"), ("ReLU", "activation"),
            (conv(block.conv2), "conv"), ("batch norm", "other")]  # fmt: skip


def _draw_residual(ax: Axes, block: Residual, title: str) -> None:
    items = _branch_items(block)
    step = 0.45
    top = step * (len(items) + 2)
    _box(ax, 0, top, "x", "input", w=0.6)
    y = top
    for text, kind in items:
        _down(ax, 0, y - 0.15, y - step + 0.15)
        y -= step
        _box(ax, 0, y, text, kind)
    _down(ax, 0, y - 0.15, y - step + 0.17)
    y -= step
    ax.add_patch(plt.Circle((0, y), 0.17, facecolor="white", edgecolor="#333333", lw=0.8))
    ax.text(0, y, "+", ha="center", va="center", fontsize=11)
    shortcut = "identity"
    if block.conv3 is not None:
        stride = int_pair(block.conv3.stride)[0]
        shortcut = f"1×1 conv, {block.conv3.out_channels}" + (f", stride {stride}" if stride != 1 else "")
    ax.plot([0.3, 1.3, 1.3], [top, top, y], color="#333333", lw=0.8)
    ax.annotate("", xy=(0.17, y), xytext=(1.3, y), arrowprops=_ARROW)
    if block.conv3 is not None:
        _box(ax, 1.3, (top + y) / 2, shortcut.replace(", stride", ",\nstride"), "conv", w=1.0, h=0.45)
    else:
        ax.text(1.38, (top + y) / 2, "identity\nshortcut", ha="left", va="center", fontsize=8)
    _down(ax, 0, y - 0.17, y - step + 0.15)
    _box(ax, 0, y - step, "ReLU", "activation")
    ax.set_xlim(-1.0, 2.3)
    ax.set_ylim(y - step - 0.3, top + 0.3)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=9)


def plot_residual_block(blocks: Sequence[Residual] | None = None, titles: Sequence[str] | None = None) -> Figure:
    """Residual blocks side by side: the branch (two 3×3 convolutions with batch norm), the shortcut (identity,
    or a 1×1 convolution where the shape changes) and the addition before the last ReLU. Default: ResNet's two
    kinds, ``Residual(64, 64)`` and ``Residual(64, 128, use_1x1conv=True, strides=2)``."""
    if blocks is None:
        blocks = (Residual(64, 64), Residual(64, 128, use_1x1conv=True, strides=2))
        titles = ("same shape: identity shortcut", "channels ×2, side ÷2: 1×1 conv shortcut")
    titles = titles or [f"block {i + 1}" for i in range(len(blocks))]
    fig, axes = plt.subplots(1, len(blocks), figsize=(3.4 * len(blocks), 4.2))
    for ax, block, title in zip(list(axes) if len(blocks) > 1 else [axes], blocks, titles, strict=True):
        _draw_residual(ax, block, title)
    fig.tight_layout()
    return fig


def plot_function_classes(num_classes: int = 4) -> Figure:
    """Two sketches of growing function classes F1, F2, ...: not nested (a bigger class can move away from the
    truth f*) and nested (each contains the last, so the best fit can only get closer)."""
    fig, axes = plt.subplots(1, 2, figsize=(7.6, 3.2))
    truth = (2.6, 1.0)
    for ax, nested in zip(axes, (False, True), strict=True):
        for i in range(num_classes):
            size = 1.0 + (0.55 if nested else 0.3) * i
            centre = (0.4 + 0.28 * i, 0.0) if nested else (0.2 + 0.55 * i, 0.35 * (-1) ** i)
            ax.add_patch(Ellipse(centre, 1.25 * size, size, fill=False, lw=1.0, color=plt.cm.viridis(i / num_classes)))
            ax.text(centre[0], centre[1] + size / 2 - 0.2, f"F{i + 1}", fontsize=8, ha="center")
        ax.plot(*truth, marker="*", markersize=11, color="#d62728")
        ax.text(truth[0] + 0.1, truth[1] + 0.05, "f*", fontsize=10, color="#d62728")
        ax.set_title("nested: F1 ⊆ F2 ⊆ …" if nested else "not nested", fontsize=9)
        ax.set_xlim(-1.1, 3.4)
        ax.set_ylim(-1.7, 1.7)
        ax.set_aspect("equal")
        ax.axis("off")
    fig.tight_layout()
    return fig


def _tensor_box(ax: Axes, x: float, channels: int, label: str) -> None:
    _box(ax, x, 0, f"{label}\n{channels} ch", "input", w=0.9, h=0.55)


def plot_dense_block(block: DenseBlock | None = None, transition: nn.Sequential | None = None) -> Figure:
    """A dense block's connectivity: each conv block reads the concatenation of the block's input and every
    earlier conv block's output (arcs), and the channels grow by the growth rate; then the transition layer.
    Default: DenseNet's first block, ``DenseBlock(4, 64, 32)``, and ``transition_block(192, 96)``."""
    from d2l_utils.models import transition_block

    block = block or DenseBlock(4, 64, 32)
    convs = list(block.net)
    transition = transition or transition_block(block.out_channels, block.out_channels // 2)
    step = 1.42
    fig, ax = plt.subplots(figsize=(step * (len(convs) + 2) + 0.3, 3.0))
    channels = [c[0].num_features for c in convs] + [block.out_channels]
    growth = convs[0][2].out_channels
    _tensor_box(ax, 0, channels[0], "input")
    for i, conv_seq in enumerate(convs):
        x = step * (i + 1)
        conv = conv_seq[2]
        _box(ax, x, 0, f"BN, ReLU,\nconv {_window(conv.kernel_size)}, +{conv.out_channels}", "conv", w=1.15, h=0.55)
        for j in range(i + 1):  # every earlier tensor feeds this conv block
            xs = step * j
            ax.annotate("", xy=(x - 0.3, 0.3), xytext=(xs + 0.2, 0.3),
                        arrowprops={**_ARROW, "connectionstyle": f"arc3,rad=-{0.25 + 0.05 * (i - j)}",
                                    "color": "#3182bd", "lw": 0.7})  # fmt: skip
        ax.text(x, -0.45, f"concat → {channels[i + 1]} ch", ha="center", fontsize=7.5, color="#555555")
    x = step * (len(convs) + 1)
    labels = [line for line in (_leaf_line(m) for m in transition) if line]
    _box(ax, x, 0, "transition:\n" + ",\n".join(labels[1:]), "pool", w=1.3, h=0.75)
    ax.annotate("", xy=(x - 0.65, 0), xytext=(x - step + 0.58, 0), arrowprops=_ARROW)
    out = transition[2].out_channels
    ax.text(x, -0.5, f"→ {out} ch, side ÷2", ha="center", fontsize=7.5, color="#555555")
    ax.set_title(f"DenseBlock({len(convs)}, {channels[0]}, {growth}): every conv block sees all earlier outputs; "
                 f"{channels[0]} + {len(convs)}×{growth} = {block.out_channels} channels", fontsize=9)  # fmt: skip
    ax.set_xlim(-0.6, x + 0.8)
    ax.set_ylim(-0.8, 1.6)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.tight_layout()
    return fig


__all__ = [
    "part_lines",
    "plot_dense_block",
    "plot_function_classes",
    "plot_residual_block",
    "plot_stage_rows",
    "plot_stages",
]


def plot_normalization_axes(num_examples: int = 4, num_channels: int = 6):
    """Which values batch norm (one mean per channel, over the batch) and layer norm (one mean per
    example, over its channels) average over, for a batch of images; returns the figure."""
    fig, axes = plt.subplots(1, 2, figsize=(8, 2.8))
    panels = (
        ("batch norm: one mean per channel", True, "#3182bd"),
        ("layer norm: one mean per example", False, "#e6550d"),
    )
    for ax, (title, by_channel, colour) in zip(axes, panels, strict=True):
        for n in range(num_examples):
            for c in range(num_channels):
                chosen = c == 1 if by_channel else n == 1
                ax.add_patch(Rectangle((c, num_examples - 1 - n), 0.92, 0.92,
                                                          color=colour if chosen else "#dddddd"))  # fmt: skip
        ax.set_xlim(-0.1, num_channels)
        ax.set_ylim(-0.1, num_examples)
        ax.set_aspect("equal")
        ax.set_xticks([c + 0.46 for c in range(num_channels)], [str(c) for c in range(num_channels)])
        ax.set_yticks([n + 0.46 for n in range(num_examples)], [str(n) for n in reversed(range(num_examples))])
        ax.set_xlabel("channel (a square: its height × width values)")
        ax.set_ylabel("example in the batch")
        ax.set_title(title, fontsize=10)
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
    fig.tight_layout()
    return fig
