"""Small matrices, computed and drawn: the book's ``corr2d`` (written from scratch in chapter 2, imported after)
and ``show_matrix``, which draws every small input, kernel and output in the convolution chapters alike."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

Box = tuple[int, int, int, int]  # (row, column, height, width) of a window, in matrix cells


def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Two-dimensional cross-correlation of a matrix ``X`` with a kernel ``K`` (no padding, stride 1), as d2l §7.2."""
    if X.dim() != 2 or K.dim() != 2:
        raise ValueError(f"corr2d takes two matrices; got shapes {tuple(X.shape)} and {tuple(K.shape)}")
    h, w = K.shape
    if h > X.shape[0] or w > X.shape[1]:
        raise ValueError(f"the kernel {tuple(K.shape)} is larger than the input {tuple(X.shape)}")
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + h, j : j + w] * K).sum()
    return Y


def show_matrix(
    ax, A, title: str | None = None, boxes: Sequence[Box] = (), cmap: str = "Blues", shade=None, fontsize: float = 9
):
    """Draw the small matrix ``A`` on ``ax`` as coloured cells with their numbers, ``boxes`` outlining windows
    ``(row, column, height, width)`` in red, ``shade`` colouring cells by other values (e.g. to set padding apart)."""
    from matplotlib.patches import Rectangle

    A = np.asarray(A, dtype=float)
    colours = A if shade is None else np.asarray(shade, dtype=float)
    ax.imshow(colours, cmap=cmap, vmin=min(colours.min(), 0), vmax=max(colours.max(), 1) * 1.3)
    for (i, j), value in np.ndenumerate(A):
        ax.text(j, i, f"{value:g}", ha="center", va="center", fontsize=fontsize)
    for row, col, height, width in boxes:
        ax.add_patch(Rectangle((col - 0.5, row - 0.5), width, height, fill=False, edgecolor="red", linewidth=2.5))
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return ax
