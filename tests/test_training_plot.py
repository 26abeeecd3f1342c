"""The training plot: its legend never covers the curves, and a script's plot window stays open until closed."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

import d2l_utils as du


def _plot_full_curves() -> du.Animator:
    """Curves that fill the whole axes, top to bottom, as a real run's loss and accuracies do."""
    plot = du.Animator("epoch", legend=["train loss", "train acc", "test acc"], xlim=(1, 10), live=False)
    for epoch in range(1, 11):
        plot.add(epoch, [2.3 / epoch, 1 - 0.9 / epoch, 0.95 - 0.9 / epoch])
    return plot


def test_legend_sits_outside_the_axes():
    fig = _plot_full_curves().finish()
    canvas = FigureCanvasAgg(fig)  # finish() closed the figure; draw it once more to measure where things are
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert [text.get_text() for text in legend.get_texts()] == ["train loss", "train acc", "test acc"]
    axes_box, legend_box = ax.get_window_extent(renderer), legend.get_window_extent(renderer)
    assert legend_box.y0 >= axes_box.y1 - 1, "the legend overlaps the plotting area"
    assert fig.bbox.contains(legend_box.x0, legend_box.y1 - 1) and fig.bbox.contains(legend_box.x1, legend_box.y0)


@pytest.fixture
def shown(monkeypatch) -> list[dict]:
    """Record plt.show calls instead of opening windows, with an interactive backend pretended."""
    calls: list[dict] = []
    monkeypatch.setattr(plt, "show", lambda **kwargs: calls.append(kwargs))
    monkeypatch.setattr(matplotlib, "get_backend", lambda: "TkAgg")
    monkeypatch.setattr(plt, "isinteractive", lambda: False)
    return calls


def test_script_window_stays_open_until_closed(shown, monkeypatch):
    monkeypatch.setenv("D2L_SMOKE", "0")
    _plot_full_curves().finish()
    assert shown == [{"block": None}], "plt.show's default keeps the window open until the user closes it"


def test_tests_and_interactive_mode_never_wait(shown, monkeypatch):
    monkeypatch.setenv("D2L_SMOKE", "1")
    _plot_full_curves().finish()
    monkeypatch.setenv("D2L_SMOKE", "0")
    monkeypatch.setattr(plt, "isinteractive", lambda: True)
    _plot_full_curves().finish()
    assert shown == [{"block": False}, {"block": False}]


def test_file_backends_show_nothing(shown, monkeypatch):
    monkeypatch.setenv("D2L_SMOKE", "0")
    monkeypatch.setattr(matplotlib, "get_backend", lambda: "agg")
    _plot_full_curves().finish()
    assert shown == []
