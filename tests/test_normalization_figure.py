"""The figure of the axes batch norm and layer norm average over."""

import matplotlib

import d2l_utils as du

matplotlib.use("agg")


def test_batch_norm_panel_marks_a_channel_and_layer_norm_panel_an_example():
    fig = du.plotting.plot_normalization_axes(num_examples=3, num_channels=5)
    bn, ln = fig.axes
    coloured = lambda ax: [p.get_xy() for p in ax.patches if p.get_facecolor()[:3] != (221 / 255,) * 3]  # noqa: E731
    assert {x for x, _ in coloured(bn)} == {1} and len(coloured(bn)) == 3  # one channel, every example
    assert {y for _, y in coloured(ln)} == {1} and len(coloured(ln)) == 5  # one example, every channel
