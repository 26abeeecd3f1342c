"""The convolution explorer: its arithmetic agrees with PyTorch, and it draws one frame outside a live kernel."""

from __future__ import annotations

import itertools

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import d2l_utils as du
from d2l_utils import config
from d2l_utils import explorer as ex

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

IMAGE = ex.made_up_image()
SETTINGS = list(itertools.product((1, 2, 3, 4), (0, 1, 2), (1, 2, 3), (1, 2)))  # kernel, padding, stride, dilation


def _torch(image: np.ndarray) -> torch.Tensor:
    return torch.tensor(image, dtype=torch.float64)[None, None]


def _fits(k, p, d, n=7) -> bool:
    return n + 2 * p >= d * (k - 1) + 1


@pytest.mark.parametrize(("k", "p", "s", "d"), [c for c in SETTINGS if _fits(c[0], c[1], c[3])])
def test_cross_correlation_matches_conv2d(k, p, s, d):
    settings = ex.ExplorerSettings(kernel_size=k, padding=p, stride=s, dilation=d)
    kernel = ex.edge_kernel(k) + np.arange(k * k).reshape(k, k)  # not symmetric, so a flip would show
    ours = ex.slide(IMAGE, settings, kernel)
    theirs = F.conv2d(_torch(IMAGE), _torch(kernel), padding=p, stride=s, dilation=d)[0, 0].numpy()
    np.testing.assert_allclose(ours, theirs)
    assert ours.shape == ex.explorer_output_shape(IMAGE.shape, settings)


@pytest.mark.parametrize(("k", "p", "s", "d"), [c for c in SETTINGS if _fits(c[0], c[1], c[3]) and c[1] <= c[0] // 2])
def test_max_pooling_matches_max_pool2d(k, p, s, d):
    settings = ex.ExplorerSettings(kernel_size=k, padding=p, stride=s, dilation=d, mode="max pooling")
    theirs = F.max_pool2d(_torch(IMAGE - 20), k, stride=s, padding=p, dilation=d)[0, 0].numpy()
    np.testing.assert_allclose(ex.slide(IMAGE - 20, settings), theirs)  # negative values: padding must not win


@pytest.mark.parametrize(("k", "p", "s"), [(2, 0, 2), (3, 1, 1), (3, 1, 2), (4, 2, 3), (1, 0, 1)])
def test_average_pooling_matches_avg_pool2d(k, p, s):
    settings = ex.ExplorerSettings(kernel_size=k, padding=p, stride=s, mode="average pooling")
    theirs = F.avg_pool2d(_torch(IMAGE), k, stride=s, padding=p)[0, 0].numpy()  # padded zeros count, as here
    np.testing.assert_allclose(ex.slide(IMAGE, settings), theirs)


def test_dilated_average_pooling_is_a_uniform_dilated_kernel():
    settings = ex.ExplorerSettings(kernel_size=3, padding=1, dilation=2, mode="average pooling")
    theirs = F.conv2d(_torch(IMAGE), torch.full((1, 1, 3, 3), 1 / 9, dtype=torch.float64), padding=1, dilation=2)
    np.testing.assert_allclose(ex.slide(IMAGE, settings), theirs[0, 0].numpy())


def test_window_cells_follow_stride_and_dilation():
    settings = ex.ExplorerSettings(kernel_size=2, stride=3, dilation=2)
    assert ex.window_cells(1, 0, settings) == [(3, 0), (3, 2), (5, 0), (5, 2)]


def test_output_shape_uses_the_course_formula_and_refuses_what_does_not_fit():
    settings = ex.ExplorerSettings(kernel_size=3, padding=1, stride=2)
    assert ex.explorer_output_shape((7, 16), settings) == (du.conv_output_size(7, 3, 1, 2), 8)
    assert ex.shape_formula(7, settings) == "⌊(7 + 2·1 − 3) / 2⌋ + 1 = 4"
    assert ex.shape_formula(7, ex.ExplorerSettings(kernel_size=2, dilation=2)) == "⌊(7 + 2·0 − 3) / 1⌋ + 1 = 5"
    with pytest.raises(ValueError, match="does not fit"):
        ex.explorer_output_shape((7, 7), ex.ExplorerSettings(kernel_size=5, dilation=2))


def test_pooling_padding_rule_is_pytorchs():
    with pytest.raises(ValueError, match="padding <= kernel_size // 2 = 1"):
        ex.slide(IMAGE, ex.ExplorerSettings(kernel_size=3, padding=2, mode="max pooling"))
    with pytest.raises(RuntimeError):
        F.max_pool2d(_torch(IMAGE), 3, stride=1, padding=2)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("kernel_size", 0, "kernel_size must be at least 1"), ("stride", 0, "stride must be at least 1"),
     ("dilation", -1, "dilation must be at least 1"), ("padding", -1, "padding must be 0 or more"),
     ("mode", "min pooling", "mode must be one of")],
)  # fmt: skip
def test_bad_settings_are_named(field, value, message):
    with pytest.raises(ValueError, match=message):
        ex.ExplorerSettings(**{field: value})


def test_a_frame_moves_the_chosen_cell_inside_the_output():
    fig = plt.figure()
    assert ex.draw_frame(fig, IMAGE, ex.ExplorerSettings(row=9, col=-3)) == (5, 5)
    assert fig.axes[2].get_xlabel().startswith("output[4, 0] = ")
    plt.close(fig)


def test_channel_outputs_add_up_to_a_multichannel_convolution():
    settings = ex.ExplorerSettings(kernel_size=3, padding=1, stride=2, row=2, col=1)
    channels, kernels = ex.three_channels(IMAGE, 3)
    conv = F.conv2d(torch.tensor(channels)[None], torch.tensor(kernels)[None], padding=1, stride=2)
    terms = [ex.slide(x, settings, k)[2, 1] for x, k in zip(channels, kernels, strict=True)]
    assert sum(terms) == pytest.approx(conv[0, 0, 2, 1].item())


def test_camera_image_is_small_and_scaled():
    image = ex.camera_image(16)
    assert image.shape == (16, 16) and image.min() >= 0 and image.max() <= 9
    assert np.array_equal(image, np.round(image))


def test_static_frame_outside_a_live_kernel(monkeypatch):
    monkeypatch.setenv(config.SMOKE_ENV, "1")
    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.gcf()))
    assert ex._live_kernel() is False
    assert du.convolution_explorer(settings=ex.ExplorerSettings(padding=1, stride=2)) is None
    assert len(shown) == 1
    assert "output shape (4, 4)" in shown[0]._suptitle.get_text()
    plt.close("all")


def test_a_frame_without_output_says_why():
    fig = plt.figure()
    assert ex.draw_frame(fig, IMAGE, ex.ExplorerSettings(kernel_size=3, padding=2, mode="max pooling")) is None
    assert "padding <= kernel_size // 2" in fig.texts[0].get_text()
    plt.close(fig)


def test_widget_updates_the_shape_when_a_slider_moves(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    monkeypatch.setattr(ex, "_live_kernel", lambda: True)
    widget = du.convolution_explorer()
    label = next(child for child in widget.children if "d2l-explorer-shape" in child._dom_classes)
    assert "(5, 5)" in label.value
    padding = next(c for box in widget.children[:3] for c in box.children if c.description == "padding")
    padding.value = 1
    assert "(7, 7)" in label.value
    plt.close("all")


def _texts(fig) -> list[str]:
    return [text.get_text() for ax in fig.axes for text in (ax.title, *ax.texts)] + [t.get_text() for t in fig.texts]


@pytest.mark.parametrize("mode", ["max pooling", "average pooling"])
def test_pooling_in_the_channel_view_has_no_kernel_and_one_output_per_channel(mode):
    fig = plt.figure()
    settings = ex.ExplorerSettings(kernel_size=2, stride=2, mode=mode, row=1, col=2)
    assert ex.draw_frame(fig, IMAGE, settings, channels=True) == (3, 3)
    texts = _texts(fig)
    assert not any("kernel slice" in t for t in texts) and any("no weights" in t for t in texts)
    pool = F.max_pool2d if mode == "max pooling" else F.avg_pool2d
    channels, _ = ex.three_channels(IMAGE, 2)
    for c in range(3):
        assert f"output channel {c}" in texts
        assert ex.slide(channels[c], settings) == pytest.approx(pool(_torch(channels[c]), 2)[0, 0].numpy())
    plt.close(fig)


@pytest.mark.parametrize("channels", [False, True])
def test_a_non_square_image_is_explored(channels):
    image = np.arange(35.0).reshape(5, 7) % 9
    fig = plt.figure()
    assert ex.draw_frame(fig, image, ex.ExplorerSettings(), channels=channels) == (3, 5)
    plt.close(fig)
    stack, kernels = ex.three_channels(image, 3)
    settings = ex.ExplorerSettings(row=2, col=4)
    conv = F.conv2d(torch.tensor(stack)[None], torch.tensor(kernels)[None])
    terms = [ex.slide(x, settings, k)[2, 4] for x, k in zip(stack, kernels, strict=True)]
    assert sum(terms) == pytest.approx(conv[0, 0, 2, 4].item())


@pytest.mark.bad_input
@pytest.mark.parametrize("field", ["kernel_size", "padding", "stride", "dilation", "row"])
def test_a_setting_given_as_text_is_named(field):
    with pytest.raises(ValueError, match=rf"{field} must be a whole number, got '3': write e.g. {field}=3"):
        ex.ExplorerSettings(**{field: "3"})


def test_numpy_integers_are_settings():
    settings = ex.ExplorerSettings(kernel_size=np.int64(3), padding=np.int32(1))
    assert settings == ex.ExplorerSettings(kernel_size=3, padding=1) and type(settings.kernel_size) is int
