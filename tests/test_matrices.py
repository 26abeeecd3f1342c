"""corr2d agrees with PyTorch and the book; show_matrix writes every number and outlines the windows asked for."""

from __future__ import annotations

import matplotlib
import pytest
import torch
import torch.nn.functional as F

import d2l_utils as du

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.mark.parametrize(("n_h", "n_w", "k_h", "k_w"), [(3, 3, 2, 2), (6, 8, 1, 2), (5, 4, 3, 1), (4, 4, 4, 4)])
def test_corr2d_matches_conv2d(n_h, n_w, k_h, k_w):
    X, K = torch.randn(n_h, n_w), torch.randn(k_h, k_w)
    expected = F.conv2d(X[None, None], K[None, None])[0, 0]
    assert torch.allclose(du.corr2d(X, K), expected, atol=1e-6)


def test_corr2d_matches_the_book():
    from d2l import torch as d2l

    X, K = torch.arange(12.0).reshape(3, 4), torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    assert torch.equal(du.corr2d(X, K), d2l.corr2d(X, K))


def test_corr2d_names_bad_shapes():
    with pytest.raises(ValueError, match="takes two matrices"):
        du.corr2d(torch.zeros(1, 3, 3), torch.zeros(2, 2))
    with pytest.raises(ValueError, match=r"kernel \(4, 1\) is larger than the input \(3, 3\)"):
        du.corr2d(torch.zeros(3, 3), torch.zeros(4, 1))


def test_show_matrix_writes_numbers_and_boxes():
    fig, ax = plt.subplots()
    du.show_matrix(ax, [[1, 2.5], [-3, 4]], "title", boxes=[(0, 1, 2, 1)])
    assert [t.get_text() for t in ax.texts] == ["1", "2.5", "-3", "4"]
    (box,) = ax.patches
    assert (box.get_x(), box.get_y(), box.get_width(), box.get_height()) == (0.5, -0.5, 1, 2)
    assert ax.get_title() == "title"
    plt.close(fig)
