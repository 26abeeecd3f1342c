"""Cost figures drawn from the package's measurements, so a picture can never disagree with the tables.

:func:`plot_parts` draws a network's named parts as a chain of boxes with their costs (chapter 10's stem, body and
head); :func:`plot_comparison` draws chapter 14's comparison of every network (``du.compare_networks``' rows).
``tools/make_figures.py`` regenerates the course's images from them.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from torch import nn

from d2l_utils.compare import NetworkRow
from d2l_utils.profiling import stage_costs


def plot_parts(net: nn.Sequential, input_shape: Sequence[int]) -> Figure:
    """A network's named top-level parts as a chain of boxes with output shape, parameters and FLOPs
    (:func:`~d2l_utils.profiling.stage_costs`) for a batched ``input_shape``; ``net`` is left unchanged."""
    names = [name for name, _ in net.named_children()]
    rows = stage_costs(net, input_shape, names=names)
    fig, ax = plt.subplots(figsize=(2.3 * len(rows) + 1.2, 1.9))
    shape = "×".join(str(s) for s in input_shape[1:])
    ax.text(0, 0.5, f"input\n{shape}", ha="center", va="center", fontsize=8)
    for i, row in enumerate(rows, start=1):
        out = "×".join(str(s) for s in row.output_shape[1:])
        text = f"{row.layer_type}\n{out}\n{row.params:,} params\n{row.flops / 1e6:,.1f} MFLOPs"
        ax.text(i * 2.3, 0.5, text, ha="center", va="center", fontsize=8,
                bbox=dict(boxstyle="round", facecolor="#deebf7", edgecolor="#3182bd"))  # fmt: skip
        ax.annotate("", xy=(i * 2.3 - 0.95, 0.5), xytext=((i - 1) * 2.3 + 0.95, 0.5),
                    arrowprops=dict(arrowstyle="->"))  # fmt: skip
    ax.set_xlim(-0.8, 2.3 * len(rows) + 1.0)
    ax.set_ylim(0, 1)
    ax.axis("off")
    fig.tight_layout()
    return fig


def _readable(value: float) -> str:
    """A bar label without exponent notation: thousands separated, small values with 2-3 significant digits."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.2g}"


def _plot_book_spread(ax, y: list[int], rows: Sequence[NetworkRow]) -> None:
    """Median of the book's runs as a bar, their range as a thin whisker, mean ± sd as a thick one."""
    for yi, r in zip(y, rows, strict=True):
        if r.book is None:
            continue
        b = r.book
        ax.barh(yi, b.median, color="#a1d99b")
        ax.errorbar(b.median, yi, xerr=[[b.median - b.low], [b.high - b.median]], fmt="none", ecolor="#555555",
                    elinewidth=0.8, capsize=3)  # fmt: skip
        ax.errorbar(b.mean, yi, xerr=b.sd, fmt="o", color="black", markersize=3, elinewidth=2.2, capsize=0)
        ax.text(1.01, yi, f"{b.median:.3f} (n={b.count})", va="center", fontsize=7)
    ax.set_title("book's test accuracy (its runs)", fontsize=9)


def _plot_real_mnist(ax, y: list[int], rows: Sequence[NetworkRow]) -> None:
    """The course's own result, in a panel of its own: other data (real MNIST) and a CPU plan, one run each."""
    for yi, r in zip(y, rows, strict=True):
        if r.real_mnist is None:
            ax.text(0.02, yi, "not run", va="center", fontsize=7, color="0.4")
            continue
        ax.barh(yi, r.real_mnist, color="#fd8d3c")
        ax.text(1.01, yi, f"{r.real_mnist:.3f}", va="center", fontsize=7)
    ax.set_title("ours: real MNIST, CPU plan (1 run)", fontsize=9)


def plot_comparison(rows: Sequence[NetworkRow]) -> Figure:
    """One log-scale panel per cost and one bar per network, the book's test accuracy as median, range and mean ± sd,
    and our real-MNIST run in a panel of its own (where a row has one)."""
    panels = [
        ("parameters (millions)", [r.params / 1e6 for r in rows]),
        ("MFLOPs per image", [r.flops / 1e6 for r in rows]),
        ("activation MiB per image", [r.activation_bytes / 2**20 for r in rows]),
    ]
    accuracy_panels = [_plot_book_spread] + ([_plot_real_mnist] if any(r.real_mnist is not None for r in rows) else [])
    n_panels = len(panels) + len(accuracy_panels)
    fig, axes = plt.subplots(1, n_panels, figsize=(2.3 * n_panels, 0.34 * len(rows) + 1.3), sharey=True)
    y = list(range(len(rows)))
    for ax, (title, values) in zip(axes, panels, strict=False):
        ax.barh(y, values, color="#3182bd")
        ax.set_xscale("log")
        for yi, value in zip(y, values, strict=True):
            if value > 0:
                ax.text(value, yi, f" {_readable(value)}", va="center", fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=8)
    for ax, draw in zip(axes[len(panels) :], accuracy_panels, strict=True):
        draw(ax, y, rows)
        ax.set_xlim(0.0, 1.0)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.tick_params(labelsize=8)
    axes[0].set_yticks(y, [f"{r.name} ({r.input_size}²)" for r in rows])
    axes[0].invert_yaxis()
    fig.tight_layout()
    return fig
