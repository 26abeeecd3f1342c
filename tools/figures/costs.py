"""Where a network keeps its parameters and spends its FLOPs: each weighted layer's (or stage's) share of both, drawn
from ``du.layer_costs`` or ``du.stage_costs`` rows; ``tools/make_figures.py`` draws the chapters' pictures with it."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from d2l_utils.profiling import LayerCost


def weighted_layer_names(rows: Sequence[LayerCost]) -> list[str]:
    """Short names for the rows that hold parameters or cost FLOPs: ``conv1``, ``conv2``, …, ``fc1``, …"""
    names, counts = [], {}
    for r in rows:
        if not (r.params or r.flops):
            continue
        prefix = "fc" if r.layer_type == "Linear" else "conv" if r.layer_type.startswith("Conv") else r.layer_type
        counts[prefix] = counts.get(prefix, 0) + 1
        names.append(f"{prefix}{counts[prefix]}")
    return names


def plot_layer_costs(costs: dict[str, Sequence[LayerCost]]) -> Figure:
    """Bar charts of each weighted layer's share of the parameters and of the FLOPs, one panel per net in ``costs``
    (title to ``du.layer_costs`` or ``du.stage_costs`` rows), totals in the titles; returns the figure."""
    widths = [2 + len(weighted_layer_names(rows)) for rows in costs.values()]
    fig, axes = plt.subplots(1, len(costs), figsize=(0.55 * sum(widths), 3.2), squeeze=False,
                             gridspec_kw={"width_ratios": widths})  # fmt: skip
    for ax, (title, rows) in zip(axes[0], costs.items(), strict=True):
        weighted = [r for r in rows if r.params or r.flops]
        names = weighted_layer_names(rows)
        params = np.array([r.params for r in weighted], dtype=float)
        flops = np.array([r.flops for r in weighted], dtype=float)
        x = np.arange(len(weighted))
        ax.bar(x - 0.2, 100 * params / params.sum(), width=0.4, label="parameters", color="#31a354")
        ax.bar(x + 0.2, 100 * flops / flops.sum(), width=0.4, label="FLOPs", color="#3182bd")
        ax.set_xticks(x, names, fontsize=8)
        ax.set_ylabel("share of the net's total (%)", fontsize=8)
        ax.set_ylim(0, 100)
        ax.set_title(f"{title}\n{int(params.sum()):,} parameters, {flops.sum() / 1e6:,.2f} MFLOPs", fontsize=9)
        ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
