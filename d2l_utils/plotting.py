"""Plotting: figure size, image grids, the book's ``Animator`` and ``train_ch6``'s curves, each updating one
display in place (the book's ``clear_output`` shows nothing in scripts and piles up frames under nbval)."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch
from tqdm.auto import tqdm

from .config import smoke_mode

# Backends that draw into files or memory only: there is no window to show.
_NON_INTERACTIVE_BACKENDS = {"agg", "pdf", "pgf", "svg", "ps", "cairo", "template"}


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Notebook, VS Code, Colab), False in scripts and plain IPython."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def set_figsize(figsize: tuple[float, float] = (3.5, 2.5)) -> None:
    """Set matplotlib's default figure size (the book's 3.5 × 2.5 inches)."""
    plt.rcParams["figure.figsize"] = figsize


def set_axes(ax, xlabel=None, ylabel=None, xlim=None, ylim=None, xscale="linear", yscale="linear", legend=None):
    """Label, limit and scale one matplotlib axes in a single call."""
    ax.set(xlabel=xlabel, ylabel=ylabel, xscale=xscale, yscale=yscale, xlim=xlim, ylim=ylim)
    if legend:  # above the axes in one row: inside them it would cover the curves, which fill the plot over time
        ax.legend(legend, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(legend), frameon=False,
                  fontsize="small", handlelength=1.5, columnspacing=1.0)  # fmt: skip
    ax.grid(True)


def _to_numpy(image) -> np.ndarray:
    """An image as ``imshow`` takes it: an array on the CPU, channels last, a single channel dropped."""
    if isinstance(image, torch.Tensor) and image.ndim == 3 and image.shape[0] in (1, 3):
        image = image.permute(1, 2, 0)
    image = image.detach().cpu().numpy() if isinstance(image, torch.Tensor) else np.asarray(image)
    return image.squeeze(-1) if image.ndim == 3 and image.shape[-1] == 1 else image


def show_images(imgs, num_rows: int, num_cols: int, titles: Sequence[str] | None = None, scale: float = 1.5,
                cmap: str = "gray", vmin: float | None = None, vmax: float | None = None):  # fmt: skip
    """Plot a grid of images (tensors or arrays) with optional titles, each framed and on its own scale unless
    ``vmin``/``vmax`` put them on one (e.g. for signed weights); returns the axes."""
    fig, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale), squeeze=False)
    axes = axes.flatten()
    for i, ax in enumerate(axes):
        if i >= len(imgs):
            ax.axis("off")
            continue
        ax.imshow(_to_numpy(imgs[i]), cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set(visible=True, linewidth=0.6, edgecolor="0.6")
        if titles is not None and i < len(titles):
            # Wrap long titles (e.g. "synthetic 7 (sneaker-like)") so neighbours do not overlap; a word longer
            # than a line stays whole, so "(" or ")" is never left alone on a line.
            width = max(8, int(scale * 10))
            title = textwrap.fill(titles[i], width, break_long_words=False, break_on_hyphens=False)
            ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return axes


class LiveFigure:
    """One figure redrawn in place by :meth:`refresh` while ``live`` (default: outside smoke mode): a notebook display
    updated through its handle, or a script's window; :meth:`finish` shows the final figure once."""

    def __init__(self, fig: matplotlib.figure.Figure, live: bool | None = None) -> None:
        self.fig, self.handle = fig, None
        self.live = not smoke_mode() if live is None else live
        if self.live and in_notebook():
            from IPython.display import display

            plt.close(fig)  # shown through the handle only, not again by the inline backend
            self.handle = display(fig, display_id=True)

    def refresh(self) -> None:
        """Show the figure as now drawn, if live; a script's window is drawn without blocking."""
        if self.handle is not None:
            self.handle.update(self.fig)
        elif self.live and not in_notebook() and matplotlib.get_backend().lower() not in _NON_INTERACTIVE_BACKENDS:
            plt.pause(0.001)

    def finish(self) -> matplotlib.figure.Figure:
        """Show the final figure once (a script's window stays open until closed) and stop updating; return it."""
        if self.handle is not None:
            self.handle.update(self.fig)
        elif in_notebook():
            from IPython.display import display

            display(self.fig)
        elif matplotlib.get_backend().lower() not in _NON_INTERACTIVE_BACKENDS:
            # A script's window stays open until closed, but plt.ion() and smoke mode (CI) must never wait for a person.
            plt.show(block=False if plt.isinteractive() or smoke_mode() else None)
        plt.close(self.fig)  # the inline backend would otherwise show it a second time
        return self.fig


class Animator(LiveFigure):
    """The book's ``d2l.Animator`` (its signature, so its chapter code runs; plus ``live``): ``add(x, y)`` adds a point
    per curve and redraws one figure in place, legend above the curves; in smoke mode the final figure shows once."""

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None, xscale="linear",  # noqa: PLR0913
                 yscale="linear", fmts=("-", "m--", "g-.", "r:"), nrows=1, ncols=1, figsize=(3.5, 2.5), *,
                 live: bool | None = None) -> None:  # fmt: skip
        self.legend = list(legend) if legend else []
        self.fmts, self.X, self.Y = fmts, [], []
        fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, layout="constrained")
        self.axes = axes.ravel()
        self.config_axes = lambda: set_axes(self.axes[0], xlabel, ylabel, xlim, ylim, xscale, yscale, self.legend)
        self.config_axes()
        super().__init__(fig, live)

    def add(self, x, y) -> None:
        """Add a point (or one point per curve) and redraw; ``None`` in ``y`` skips that curve."""
        ys = list(y) if isinstance(y, (list, tuple)) else [y]
        xs = list(x) if isinstance(x, (list, tuple)) else [x] * len(ys)
        if not self.X:
            self.X, self.Y = [[] for _ in ys], [[] for _ in ys]
        for i, (a, b) in enumerate(zip(xs, ys, strict=False)):
            if a is not None and b is not None:
                self.X[i].append(a)
                self.Y[i].append(float(b))
        self.axes[0].cla()
        for x_values, y_values, fmt in zip(self.X, self.Y, self.fmts, strict=False):
            self.axes[0].plot(x_values, y_values, fmt)
        self.config_axes()
        self.refresh()


class TrainingProgress:
    """The progress bar and curves of one ``train_ch6`` run; the running loss is read about five times an
    epoch on a GPU (never stalling each step) and after every step on the CPU, for the live plot and ``watchers``."""

    def __init__(self, num_batches: int, num_epochs: int, history, progress: bool | None,
                 watchers: Sequence[Callable[[float, str], None]] = ()) -> None:  # fmt: skip
        self.num_batches, self.num_epochs, self.watchers = num_batches, num_epochs, list(watchers)
        self.epoch, self.step, self.steps_done = len(history.epochs), -1, 0
        live = (in_notebook() and not smoke_mode()) if progress is None else progress
        self.plot = Animator(
            "epoch", legend=["train loss", "train acc", "test acc"], xlim=(1, max(2, num_epochs)), live=live
        )
        for k, epoch in enumerate(history.epochs):
            self.plot.add(epoch, (history.train_loss[k], history.train_acc[k], history.test_acc[k]))
        total = max(0, num_epochs - self.epoch) * num_batches  # a resumed run may already be complete
        self.bar = tqdm(total=total, disable=progress is False, leave=False, unit="batch")
        # Redraw about five times per epoch; max(1, …): an epoch of fewer than five batches must not divide by zero.
        self.redraw_every = max(1, num_batches // 5)

    def track(self, batches: Iterable, metrics, epoch: int) -> Iterator:
        """Yield ``batches``; after each step, count it and read the running loss where that costs nothing."""
        self.epoch, self.step = epoch, -1
        self.bar.set_description(f"epoch {epoch + 1}/{self.num_epochs}")
        for step, batch in enumerate(batches):
            yield batch
            self.step, self.steps_done = step, self.steps_done + 1
            self.bar.update(1)
            redraw = (step + 1) % self.redraw_every == 0 or step == self.num_batches - 1
            if redraw or metrics.loss_sum.device.type == "cpu":
                mean_loss = metrics.mean_loss
                for watch in self.watchers:
                    watch(mean_loss, self.where(approximate=True))
                if self.plot.live and redraw:
                    self.plot.add(epoch + (step + 1) / self.num_batches, (mean_loss, metrics.accuracy, None))

    def end_epoch(self, metrics, test_acc: float) -> None:
        """Plot the finished epoch (the training points too, unless the live curves already show them)."""
        train_values = (None, None) if self.plot.live else (metrics.mean_loss, metrics.accuracy)
        self.plot.add(self.epoch + 1, (*train_values, test_acc))

    def where(self, approximate: bool = False) -> str:
        """Where training is, e.g. ``epoch 2, step 7 of 235``; ``approximate``: "at or before" that step."""
        at = "at or before step" if approximate else "step"
        return f"epoch {self.epoch + 1}, {at} {self.step + 1} of {self.num_batches}"

    def close(self) -> matplotlib.figure.Figure:
        """Close the bar and draw the final figure once; return it."""
        self.bar.close()
        return self.plot.finish()


def plot_confusion_matrix(matrix: torch.Tensor, labels: Sequence[str], ax=None):
    """Show a confusion matrix (rows: true class, columns: predicted) normalised per row; return the axes."""
    counts = matrix.detach().cpu().double()
    rates = counts / counts.sum(dim=1, keepdim=True).clamp_min(1)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5))
    image = ax.imshow(rates.numpy(), cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.figure.colorbar(image, ax=ax, fraction=0.046)
    return ax
