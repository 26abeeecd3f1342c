"""du.plot_architecture draws the net it is given, and tools/make_figures.py writes the same bytes every time."""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.patches import FancyBboxPatch
from torch import nn

import d2l_utils as du
from tools.figures.architecture import describe_layer, layer_kind, plot_architecture, save_figure

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "img"


def _boxes(fig) -> list[FancyBboxPatch]:
    return [p for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)]


@pytest.mark.parametrize(
    ("make", "shape", "leaves"), [(du.lenet, (1, 1, 28, 28), 12), (du.alexnet, (1, 1, 224, 224), 21)]
)
def test_one_box_per_leaf_layer_plus_the_input(make, shape, leaves):
    fig = plot_architecture(make(), shape)
    try:
        gids = [b.get_gid() for b in _boxes(fig)]
        assert gids == ["input"] + [f"layer-{i}" for i in range(leaves)]
    finally:
        plt.close(fig)


def test_labels_show_hyper_parameters_and_output_shapes():
    fig = plot_architecture(du.alexnet(), (1, 1, 224, 224), title="AlexNet")
    try:
        texts = [t.get_text() for t in fig.axes[0].texts]
        assert "Conv2d 11×11, 96 ch, stride 4, pad 1" in texts
        assert "96×54×54" in texts and "256×5×5" in texts and "6400" in texts
        assert "Dropout p=0.5" in texts
        assert fig.axes[0].get_title() == "AlexNet"
    finally:
        plt.close(fig)


def test_figure_follows_the_model():
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 4 * 4, 2))
    fig = plot_architecture(net, (1, 3, 4, 4))
    try:
        assert len(_boxes(fig)) == 5
        assert "Linear 128 → 2" in [t.get_text() for t in fig.axes[0].texts]
    finally:
        plt.close(fig)


def test_draws_on_given_axes():
    fig, axes = plt.subplots(1, 2)
    try:
        assert plot_architecture(du.lenet(), (1, 1, 28, 28), ax=axes[0]) is fig
        assert len(_boxes(fig)) == 13
    finally:
        plt.close(fig)


def test_layer_kinds_and_descriptions():
    assert layer_kind(nn.Conv2d(1, 6, 5)) == "conv"
    assert layer_kind(nn.MaxPool2d(3, 2)) == "pool"
    assert layer_kind(nn.Linear(2, 3)) == "dense"
    assert layer_kind(nn.Sigmoid()) == "activation"
    assert layer_kind(nn.Dropout(0.5)) == "dropout"
    assert layer_kind(nn.Flatten()) == "reshape"
    assert describe_layer(nn.AvgPool2d(2, 2)) == "AvgPool2d 2×2, stride 2"
    assert describe_layer(nn.Conv2d(6, 16, 5)) == "Conv2d 5×5, 16 ch"


def test_png_is_deterministic():
    def render() -> bytes:
        fig = plot_architecture(du.lenet(), (1, 1, 28, 28))
        buffer = io.BytesIO()
        save_figure(fig, buffer)
        plt.close(fig)
        return buffer.getvalue()

    first = render()
    assert first.startswith(b"\x89PNG") and first == render()
    assert b"matplotlib version" not in first


def load_make_figures():
    """tools/make_figures.py as a module; its matplotlib style reset stays inside the import."""
    spec = importlib.util.spec_from_file_location("make_figures", ROOT / "tools" / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    with matplotlib.rc_context():
        spec.loader.exec_module(module)
    return module


def test_committed_figures_exist_and_the_tool_runs():
    """Every figure is drawn again into a temporary folder: a stale or missing file in img/ fails here."""
    for name in ("lenet_architecture.png", "alexnet_architecture.png", "alexnet_vs_lenet_costs.png"):
        assert (ROOT / "img" / name).read_bytes().startswith(b"\x89PNG")
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "make_figures.py"), "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "--check" in result.stdout
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "make_figures.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("all ") and "figures in img/ match" in result.stdout


def test_check_names_the_figures_that_differ_or_are_missing(tmp_path, monkeypatch, capsys):
    tool = load_make_figures()
    drawn = {"same.png": 0.5, "changed.png": 0.5, "missing.png": 0.5}
    for name, value in drawn.items():  # tiny figures, so the test does not redraw the course's nets

        def make(value=value):
            fig, ax = plt.subplots(figsize=(1, 1))
            ax.plot([0, 1], [0, value])
            return fig

        drawn[name] = make
    img = tmp_path / "img"
    img.mkdir()
    tool.render(drawn["same.png"], img / "same.png")
    tool.render(drawn["changed.png"], img / "changed.png")
    drawn["changed.png"] = lambda: drawn["same.png"](value=0.9)
    monkeypatch.setattr(tool, "IMG", img)
    monkeypatch.setattr(tool, "FIGURES", drawn)
    monkeypatch.setattr(sys, "argv", ["make_figures.py", "--check"])
    assert tool.main() == 1
    assert capsys.readouterr().out == (
        "out of date in img/ (run python tools/make_figures.py and commit the result): changed.png, missing.png\n"
    )
    assert sorted(p.name for p in img.iterdir()) == ["changed.png", "same.png"], "--check writes nothing to img/"


def test_every_committed_figure_fits_the_notebook_column():
    """A wider PNG is shrunk to the column's width, where its labels would be too small to read."""
    from PIL import Image

    tool = load_make_figures()
    widths = {name: Image.open(IMG / name).size[0] for name in tool.FIGURES}
    assert {name: w for name, w in widths.items() if w > tool.MAX_WIDTH_PX} == {}
