"""Small matrices computed and drawn (the book's ``corr2d``, written from scratch in chapter 2, and ``show_matrix``),
and a convolution explorer built on them: sliders for kernel size, padding, stride, dilation and pooling, showing the
window, the numbers and the output shape together. Small pure functions do the arithmetic (tested against PyTorch);
outside a live kernel one static frame is drawn, so the result is deterministic."""

from __future__ import annotations

import importlib.util
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from .config import smoke_mode
from .plotting import in_notebook
from .shapes import conv_output_size

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


MODES = ("cross-correlation", "max pooling", "average pooling")
IMAGES = ("made-up 7x7", "camera() 16x16")
FIGSIZE = {False: (12, 4.6), True: (11, 5.5)}  # one row of three panels; the channel view's two rows of four


@dataclass(frozen=True)
class ExplorerSettings:
    """What the sliders set: the window's hyper-parameters, the operation, and which output cell to show."""

    kernel_size: int = 3
    padding: int = 0
    stride: int = 1
    dilation: int = 1
    mode: str = "cross-correlation"
    row: int = 0
    col: int = 0

    def __post_init__(self):
        for name in ("kernel_size", "padding", "stride", "dilation", "row", "col"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool):
                raise ValueError(f"{name} must be a whole number, got {value!r}: write e.g. {name}=3, not {name}='3'")
            object.__setattr__(self, name, int(value))  # numpy integers become plain ints
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        for name in ("kernel_size", "stride", "dilation"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.padding < 0:
            raise ValueError(f"padding must be 0 or more, got {self.padding}")


def made_up_image(size: int = 7) -> np.ndarray:
    """A small integer image (0..9) with a bright vertical band, so edges and maxima are easy to follow."""
    image = (np.add.outer(np.arange(size), 2 * np.arange(size)) % 5).astype(float)
    image[:, size // 2 : size // 2 + 2] += 5
    return image


def camera_image(size: int = 16) -> np.ndarray:
    """scikit-image's ``camera()`` photograph, block-averaged to ``size``×``size`` and scaled to 0..9."""
    from skimage import data

    photo = data.camera().astype(float)
    block = photo.shape[0] // size
    small = photo[: block * size, : block * size].reshape(size, block, size, block).mean(axis=(1, 3))
    return np.round(small / 255 * 9)


def edge_kernel(kernel_size: int) -> np.ndarray:
    """A vertical-edge kernel: +1 in the left column, −1 in the right column, 0 between (``[[1]]`` for k = 1)."""
    kernel = np.zeros((kernel_size, kernel_size))
    kernel[:, 0] += 1
    kernel[:, -1] -= 1
    return kernel if kernel_size > 1 else np.ones((1, 1))


def explorer_output_shape(image_shape: tuple[int, int], s: ExplorerSettings) -> tuple[int, int]:
    """Output height and width, from the course's ``conv_output_size``; a ValueError if no window fits or pooling
    pads more than half the window (PyTorch's rule, so no window lies all in padding)."""
    if s.mode != "cross-correlation" and s.padding > s.kernel_size // 2:
        raise ValueError(
            f"pooling allows padding <= kernel_size // 2 = {s.kernel_size // 2}, got {s.padding}: "
            "lower the padding or raise the kernel size"
        )
    return tuple(conv_output_size(n, s.kernel_size, s.padding, s.stride, s.dilation) for n in image_shape)


def window_cells(row: int, col: int, s: ExplorerSettings) -> list[tuple[int, int]]:
    """The (row, col) cells of the padded input that output cell ``(row, col)`` reads, kernel order."""
    top, left = row * s.stride, col * s.stride
    k, d = s.kernel_size, s.dilation
    return [(top + a * d, left + b * d) for a in range(k) for b in range(k)]


def slide(image: np.ndarray, s: ExplorerSettings, kernel: np.ndarray | None = None) -> np.ndarray:
    """The whole output: each window's weighted sum (the kernel defaults to ``edge_kernel``), maximum or mean."""
    kernel = edge_kernel(s.kernel_size) if kernel is None else np.asarray(kernel, dtype=float)
    fill = -np.inf if s.mode == "max pooling" else 0.0  # zero padding, but in max pooling it must never win
    padded = np.pad(np.asarray(image, dtype=float), s.padding, constant_values=fill)
    combine = {"max pooling": np.max, "average pooling": np.mean}.get(s.mode, lambda values: values @ kernel.ravel())
    out_h, out_w = explorer_output_shape(np.shape(image), s)
    out = np.empty((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            out[i, j] = combine(np.array([padded[r, c] for r, c in window_cells(i, j, s)]))
    return out


def shape_formula(n: int, s: ExplorerSettings) -> str:
    """The output-size formula with the numbers filled in, e.g. ``⌊(7 + 2·1 − 3) / 2⌋ + 1 = 4``."""
    out = conv_output_size(n, s.kernel_size, s.padding, s.stride, s.dilation)
    span = s.dilation * (s.kernel_size - 1) + 1  # the input cells a dilated window covers along one side
    return f"⌊({n} + 2·{s.padding} − {span}) / {s.stride}⌋ + 1 = {out}"


def three_channels(image: np.ndarray, kernel_size: int) -> tuple[np.ndarray, np.ndarray]:
    """A made-up three-channel input (the image, upside down, 9 − image) and one kernel slice per channel."""
    channels = np.stack([image, image[::-1], 9 - image])
    k = edge_kernel(kernel_size)
    return channels, np.stack([k, k.T, np.ones_like(k)])


def draw_frame(fig, image: np.ndarray, s: ExplorerSettings, channels: bool = False) -> tuple[int, int] | None:
    """Draw one explorer frame on ``fig``, the chosen output cell moved inside the output (the sliders may point past
    it); return the output shape, or None after drawing why there is none."""
    fig.clear()
    try:
        out_shape = explorer_output_shape(np.shape(image), s)
    except ValueError as error:
        fig.text(0.5, 0.5, f"no output: {error}", ha="center", va="center", wrap=True, color="darkred")
        return None
    s = replace(s, row=min(max(s.row, 0), out_shape[0] - 1), col=min(max(s.col, 0), out_shape[1] - 1))
    if channels:
        _draw_channels(fig, image, s)
    else:
        _draw_single(fig, image, s)
    fig.suptitle(
        f"{s.mode}, kernel {s.kernel_size}, padding {s.padding}, stride {s.stride}, dilation {s.dilation}: "
        f"output shape {out_shape}   [height {shape_formula(np.shape(image)[0], s)}]",
        fontsize=10,
    )
    return out_shape


def _cell_fontsize(side: int) -> float:
    return 9 if side <= 12 else 6


def _draw_single(fig, image: np.ndarray, s: ExplorerSettings) -> None:
    kernel = edge_kernel(s.kernel_size)
    output = slide(image, s, kernel)
    padded = np.pad(np.asarray(image, dtype=float), s.padding)  # printed as 0s; max pooling treats them as −∞
    shade = np.pad(np.asarray(image, dtype=float), s.padding, constant_values=-2.0)  # padding pale, set apart
    side = padded.shape[1]
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [side, max(s.kernel_size, 2), max(output.shape[1], 2)]})
    cells = [(r, c, 1, 1) for r, c in window_cells(s.row, s.col, s)]
    show_matrix(axes[0], padded, f"padded input {padded.shape[0]}x{padded.shape[1]}", boxes=cells,
                shade=shade, fontsize=_cell_fontsize(side))  # fmt: skip
    if s.mode == "cross-correlation":
        show_matrix(axes[1], kernel, "kernel", cmap="coolwarm")
    else:
        axes[1].axis("off")
        axes[1].text(0.5, 0.5, f"{s.mode}:\nno weights,\n{s.kernel_size}x{s.kernel_size} window", ha="center")
    show_matrix(axes[2], output, f"output {output.shape[0]}x{output.shape[1]}", boxes=[(s.row, s.col, 1, 1)],
                cmap="Oranges", fontsize=_cell_fontsize(output.shape[1]))  # fmt: skip
    axes[2].set_xlabel(f"output[{s.row}, {s.col}] = {output[s.row, s.col]:g}", fontsize=9)


def _draw_channels(fig, image: np.ndarray, s: ExplorerSettings) -> None:
    """Input depth columns → one output channel: each channel's window, its kernel slice, and the sum; pooling has
    no kernel and pools each channel on its own."""
    channels, kernels = three_channels(image, s.kernel_size)
    axes = fig.subplots(2, 4)
    axes[1, 3].axis("off")
    cells = [(r, c, 1, 1) for r, c in window_cells(s.row, s.col, s)]
    fontsize = _cell_fontsize(channels.shape[1] + 2 * s.padding)
    for c, x in enumerate(channels):
        show_matrix(axes[0, c], np.pad(x, s.padding), f"input channel {c}", boxes=cells, fontsize=fontsize)
        if s.mode != "cross-correlation":
            show_matrix(axes[1, c], slide(x, s), f"output channel {c}", boxes=[(s.row, s.col, 1, 1)],
                        cmap="Oranges", fontsize=fontsize)  # fmt: skip
    if s.mode != "cross-correlation":
        axes[0, 3].axis("off")
        axes[0, 3].text(0.5, 0.5, f"{s.mode}:\nno weights; each\nchannel is pooled\non its own", ha="center")
        return
    outputs = [slide(x, s, k) for x, k in zip(channels, kernels, strict=True)]
    terms = [out[s.row, s.col] for out in outputs]  # one partial sum per input channel; they add up
    for c, (k, term) in enumerate(zip(kernels, terms, strict=True)):
        show_matrix(axes[1, c], k, f"kernel slice {c}: {term:g}", cmap="coolwarm")
    output = sum(outputs)
    show_matrix(axes[0, 3], output, "one output channel", boxes=[(s.row, s.col, 1, 1)], cmap="Oranges",
                fontsize=_cell_fontsize(output.shape[1]))  # fmt: skip
    axes[1, 3].text(0.5, 0.5, " + ".join(f"{t:g}" for t in terms) + f"\n= {sum(terms):g}", ha="center")


def _live_kernel() -> bool:
    """True inside a running Jupyter kernel with ipywidgets, outside smoke mode (CI and nbval draw a frame)."""
    return not smoke_mode() and in_notebook() and importlib.util.find_spec("ipywidgets") is not None


def convolution_explorer(settings: ExplorerSettings | None = None):
    """The explorer's sliders in a live Jupyter kernel (the widget is returned), else one frame for ``settings``."""
    import matplotlib.pyplot as plt

    settings = settings or ExplorerSettings()
    if not _live_kernel():
        fig = plt.figure(figsize=FIGSIZE[False])
        draw_frame(fig, made_up_image(), settings)
        plt.show()
        return None
    return _widget(settings)


def _widget(s: ExplorerSettings):
    import ipywidgets as w
    import matplotlib.pyplot as plt

    def slider(value, low, high, description):
        return w.IntSlider(value=value, min=low, max=high, description=description, continuous_update=False)

    controls = {
        "kernel_size": slider(s.kernel_size, 1, 5, "kernel"),
        "padding": slider(s.padding, 0, 3, "padding"),
        "stride": slider(s.stride, 1, 3, "stride"),
        "dilation": slider(s.dilation, 1, 3, "dilation"),
        "row": slider(s.row, 0, 15, "output row"),
        "col": slider(s.col, 0, 15, "output col"),
        "mode": w.Dropdown(options=MODES, value=s.mode, description="operation"),
        "image": w.Dropdown(options=IMAGES, value=IMAGES[0], description="image"),
        "channels": w.Checkbox(value=False, description="3 input channels"),
    }
    shape_label = w.HTML()
    shape_label.add_class("d2l-explorer-shape")
    out = w.Output()

    def redraw(_change=None):
        values = {name: control.value for name, control in controls.items()}
        picture = made_up_image() if values.pop("image") == IMAGES[0] else camera_image()
        show_channels = values.pop("channels")
        with out:
            out.clear_output(wait=True)
            fig = plt.figure(figsize=FIGSIZE[show_channels])
            shape = draw_frame(fig, picture, ExplorerSettings(**values), show_channels)
            plt.show()
        shape_label.value = f"<b>output shape: {shape if shape else 'none'}</b>"
        if shape:  # keep the output-cell sliders inside the output (this may move them and redraw once more)
            controls["row"].max, controls["col"].max = shape[0] - 1, shape[1] - 1

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    rows = [list(controls.values())[i : i + 3] for i in range(0, 9, 3)]
    return w.VBox([*(w.HBox(row) for row in rows), shape_label, out])
