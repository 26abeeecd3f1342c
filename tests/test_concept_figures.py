"""Concept figures are drawn from the models: their labels follow the module, and they fit a notebook's width."""

import io

import matplotlib
import pytest
from PIL import Image

import d2l_utils as du
from tools.figures import concept_figures as cf
from tools.figures.architecture import save_figure
from tools.figures.costs import plot_layer_costs

matplotlib.use("agg")


def _png_width(fig) -> int:
    buffer = io.BytesIO()
    save_figure(fig, buffer)
    matplotlib.pyplot.close(fig)
    return Image.open(io.BytesIO(buffer.getvalue())).size[0]


def test_part_lines_summarise_a_vgg_block_and_collapse_repeats():
    assert cf.part_lines(du.vgg_block(2, 64, 128)) == ["2 × conv 3×3, 128", "max pool 2×2 /2"]
    assert cf.part_lines(du.googlenet()[2])[:1] == ["Inception → 256"]


def test_stage_figure_labels_come_from_the_model():
    fig = cf.plot_stages(du.vgg(), (1, 1, 224, 224), groups=[1, 1, 1, 1, 1, 8])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "2 × conv 3×3, 512\nmax pool 2×2 /2" in texts and "512×7×7" in texts
    narrow = cf.plot_stages(du.vgg(du.narrow_conv_arch(du.VGG11_CONV_ARCH, 4)), (1, 1, 224, 224))
    assert "2 × conv 3×3, 128\nmax pool 2×2 /2" in [t.get_text() for t in narrow.axes[0].texts]


def test_figures_fit_a_notebook_width_at_the_saved_dpi():
    figures = [cf.plot_stages(du.googlenet(), (1, 1, 96, 96)), cf.plot_residual_block(), cf.plot_dense_block(),
               cf.plot_function_classes()]  # fmt: skip
    assert all(_png_width(fig) <= 1400 for fig in figures)


def test_dense_block_figure_counts_the_channels_of_the_block():
    fig = cf.plot_dense_block(du.DenseBlock(3, 16, 8))
    assert "16 + 3×8 = 40 channels" in fig.axes[0].get_title()


@pytest.mark.bad_input
def test_groups_that_do_not_cover_the_net_are_refused():
    with pytest.raises(ValueError, match="cover 3 parts"):
        cf.plot_stages(du.nin(), (1, 1, 224, 224), groups=[1, 2])
    with pytest.raises(TypeError, match="nn.Sequential"):
        cf.plot_stages(du.Residual(3, 3), (1, 3, 8, 8))


def test_batch_norm_panel_marks_a_channel_and_layer_norm_panel_an_example():
    fig = cf.plot_normalization_axes(num_examples=3, num_channels=5)
    bn, ln = fig.axes
    coloured = lambda ax: [p.get_xy() for p in ax.patches if p.get_facecolor()[:3] != (221 / 255,) * 3]  # noqa: E731
    assert {x for x, _ in coloured(bn)} == {1} and len(coloured(bn)) == 3  # one channel, every example
    assert {y for _, y in coloured(ln)} == {1} and len(coloured(ln)) == 5  # one example, every channel


def test_plot_layer_costs_draws_one_panel_per_net():
    fig = plot_layer_costs({"LeNet": du.layer_costs(du.lenet(), (1, 1, 28, 28))})
    try:
        (ax,) = fig.axes
        assert [t.get_text() for t in ax.get_xticklabels()] == ["conv1", "conv2", "fc1", "fc2", "fc3"]
        assert len(ax.patches) == 10  # a parameters bar and a FLOPs bar per weighted layer
    finally:
        matplotlib.pyplot.close(fig)
