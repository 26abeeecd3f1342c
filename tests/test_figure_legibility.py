"""Figures a reader must be able to read: whole words in wrapped titles, a frame round every image, no warning.

``show_images`` titles its images with class names such as "synthetic 2 (pullover-like)", which do not fit on
one line under a small image; an image that is all white (06's "inputs that are not clothes") must still show
where it is on a white page. ``plot_receptive_field`` is handed tensors by the notebooks.
"""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgba

import d2l_utils as du

SYNTHETIC_TITLES = du.get_fashion_mnist_labels(range(10), synthetic=True)  # the longest titles the course draws


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("scale", [0.8, 1.2, 1.3, 1.5, 1.6, 2.0])  # the scales the notebooks use
def test_long_titles_wrap_between_words_only(scale):
    images = [torch.zeros(1, 28, 28)] * len(SYNTHETIC_TITLES)
    axes = du.show_images(images, 2, 5, titles=SYNTHETIC_TITLES, scale=scale)
    for title, ax in zip(SYNTHETIC_TITLES, axes, strict=True):
        lines = ax.get_title().split("\n")
        assert " ".join(lines) == title, f"{title!r} was cut inside a word: {lines}"
        assert not any(line.strip() in {"(", ")", ""} for line in lines), lines


def test_the_title_from_the_issue_keeps_its_brackets_with_the_word():
    (ax,) = du.show_images([torch.zeros(28, 28)], 1, 1, titles=["synthetic 2 (pullover-like)"], scale=1.3)
    assert ax.get_title() == "synthetic 2\n(pullover-like)"


def _frame_drawn(fig, ax) -> bool:
    """Whether the axes' top and bottom borders are drawn darker than the white page, in the rendered pixels."""
    fig.canvas.draw()
    grey = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int).min(-1)
    box = ax.get_window_extent()  # pixels, origin bottom left
    left, right = int(box.x0 + 0.1 * box.width), int(box.x1 - 0.1 * box.width)
    for edge in (grey.shape[0] - box.y1, grey.shape[0] - box.y0):
        band = grey[int(edge) - 2 : int(edge) + 3, left:right]  # a rendered line lands within a pixel or two
        if (band.min(0) < 230).mean() < 0.9:
            return False
    return True


def test_an_all_white_image_has_a_visible_frame_on_a_white_page():
    white = torch.ones(1, 28, 28)
    axes = du.show_images([white, torch.rand(1, 28, 28)], 1, 2, titles=["white (all 1)", "noise"], vmin=0, vmax=1)
    fig = axes[0].figure
    for ax in axes:
        spines = ax.spines.values()
        assert all(spine.get_visible() and spine.get_linewidth() > 0 for spine in spines)
        assert all(to_rgba(spine.get_edgecolor())[:3] != (1.0, 1.0, 1.0) for spine in spines)
        assert ax.get_xticks().size == 0 and ax.get_yticks().size == 0, "a frame, not a ruler"
    assert _frame_drawn(fig, axes[0])
    axes[0].axis("off")  # as before: the same check sees no border at all
    assert not _frame_drawn(fig, axes[0])


def test_empty_cells_of_the_grid_stay_blank():
    axes = du.show_images([torch.ones(28, 28)], 1, 3)
    assert [ax.axison for ax in axes] == [True, False, False]


def test_plot_receptive_field_takes_a_tensor_without_a_warning():
    fig, ax = plt.subplots()
    image = torch.rand(28, 28, requires_grad=True)  # straight from a notebook's computation
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        du.plot_receptive_field(ax, image, du.lenet(), [(0, 0), (4, 4)])
    np.testing.assert_allclose(ax.images[0].get_array(), image.detach().numpy())
