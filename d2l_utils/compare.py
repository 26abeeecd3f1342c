"""Every network of the course side by side: what it costs, how fast it trains here, and what the book reports.

:func:`compare_networks` builds one row per network from the model definitions in :mod:`d2l_utils.models`:

* parameters (``numel`` of every parameter);
* forward FLOPs for one image at the size the book trains the net at, counted by PyTorch's
  :class:`~torch.utils.flop_counter.FlopCounterMode` (:func:`~d2l_utils.profiling.count_flops`);
* activation memory per image: the bytes autograd keeps for the backward pass of one training step
  (:func:`activation_memory`), measured, not estimated from output shapes;
* training examples per second on this machine, from a short bounded probe
  (:func:`~d2l_utils.profiling.measure_training_speed`), or from a cache of an earlier probe that records
  when and where it was measured (:func:`save_speeds`, :func:`load_speeds`);
* the spread of the book's printed test accuracies on Fashion-MNIST over all its executed runs
  (:func:`~d2l_utils.plans.book_spread`; quoted, not measured: reproducing them takes a GPU).

:func:`format_comparison` prints the rows as a table and :func:`plot_comparison` draws them.
"""

from __future__ import annotations

import copy
import datetime
import json
import math
import os
import platform
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from . import anynet, models
from .devices import cpu_model_name
from .guard_rails.checks import atomic_write, check_module, check_positive_int, user_path
from .plans import BookSpread, book_spread, real_mnist_accuracies
from .profiling import LayerCost, count_flops, measure_training_speed
from .shapes import check_batch_dimension, checked_shape, eval_mode, module_device, unchanged


@dataclass(frozen=True)
class NetworkSpec:
    """A network to compare: its name, how to build it, the image side the book trains it at, the key of the
    book's runs of it in :data:`d2l_utils.plans.BOOK_RUNS` (None: no book runs to show), and the key of its
    training plans in :data:`d2l_utils.plans.TRAINING_PLANS` (None: no real-MNIST run to show)."""

    name: str
    build: Callable[[], nn.Module]
    input_size: int
    book: str | None = None
    plan: str | None = None

    @property
    def example_shape(self) -> tuple[int, int, int]:
        """One Fashion-MNIST image at the book's training size: ``(1, side, side)``."""
        return (1, self.input_size, self.input_size)


@dataclass(frozen=True)
class NetworkRow:
    """One line of the comparison: costs measured here, speed (None if not probed), the spread of the book's runs
    on Fashion-MNIST, and the final test accuracy of the course's CPU plan on real MNIST (None if not run)."""

    name: str
    input_size: int
    params: int
    flops: int
    activation_bytes: int
    examples_per_sec: float | None
    book: BookSpread | None
    real_mnist: float | None = None


# The book's networks in the order the course teaches them, each at the size the book trains it at, with the
# book's runs of the network the course builds (d2l_utils.plans.BOOK_RUNS: every executed run of both editions).
COURSE_NETWORKS: tuple[NetworkSpec, ...] = (
    NetworkSpec("LeNet", models.lenet, 28, "lenet", "lenet"),
    NetworkSpec("AlexNet", models.alexnet, 224, "alexnet", "alexnet"),
    NetworkSpec("VGG-11/4", lambda: models.vgg(models.narrow_conv_arch(models.VGG11_CONV_ARCH, 4)), 224, "vgg", "vgg"),
    NetworkSpec("NiN", models.nin, 224, "nin", "nin"),
    NetworkSpec("GoogLeNet", models.googlenet, 96, "googlenet", "googlenet"),
    NetworkSpec("BN-LeNet", models.bn_lenet, 28, "bn-lenet-concise", "bn-lenet"),
    NetworkSpec("ResNet-18", models.resnet18, 96, "resnet18", "resnet18"),
    NetworkSpec("DenseNet", models.densenet, 96, "densenet", "densenet"),
)

# The design-space chapter's networks: the book's RegNetX32 (d2l 1.0 §8.8; the book's builds store no result for
# it) and the RegNetX-like net of seven blocks that chapter trains on MNIST. Kept apart from COURSE_NETWORKS because
# they have no book runs to show (``book`` is None), which the comparison chapter's book-run cells do not expect.
DESIGN_NETWORKS: tuple[NetworkSpec, ...] = (
    NetworkSpec("RegNetX-32", anynet.regnetx32, 96),
    NetworkSpec("RegNetX-7", anynet.regnetx_mnist, 28),
)


def activation_memory(net: nn.Module, input_shape: Sequence[int]) -> int:
    """Bytes of tensors autograd saves for the backward pass of ``net`` on a random input of ``input_shape``.

    ``input_shape`` includes the batch (use at least 2 for nets with batch norm). The forward pass runs in
    training mode on a copy of ``net`` (so batch-norm statistics and dropout behave as in training, and ``net``
    is untouched), in float32 and the default memory layout. Every tensor autograd keeps for the backward pass
    is counted once by its storage, so a tensor saved by two operations counts once; parameters are left out.
    This is the activation memory of a training step: it grows with the batch, the parameters do not.
    """
    check_module(net)
    input_shape = checked_shape(input_shape, "input_shape")
    if len(input_shape) < 2:
        raise ValueError(f"input_shape must be (batch, channels, ...) with positive sizes, got {input_shape}")
    check_batch_dimension(net, input_shape, "input_shape")
    with unchanged(net):
        model = copy.deepcopy(net).float().train()
    param_storages = {p.untyped_storage().data_ptr() for p in model.parameters()}
    saved: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in param_storages:
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    X = torch.randn(*input_shape, generator=torch.Generator().manual_seed(0)).to(module_device(model))
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        model(X)
    return sum(saved.values())


def stage_costs(net: nn.Sequential, input_shape: Sequence[int], names: Sequence[str] | None = None) -> list[LayerCost]:
    """Parameters and forward FLOPs of each top-level stage of ``net`` (e.g. ResNet's five stages).

    Where :func:`~d2l_utils.profiling.layer_costs` goes down to single layers, this keeps blocks whole, so a
    residual or dense block (whose addition or concatenation is not a layer) is one row. The rows are
    :class:`~d2l_utils.profiling.LayerCost` s (``layer_type`` is the stage's class), for
    :func:`~d2l_utils.profiling.format_cost_table` and :func:`~d2l_utils.profiling.plot_layer_costs`.
    ``names`` (one per stage, e.g. ``"stem"``, ``"stage"``) replaces the class names in the rows.
    """
    check_module(net)
    if not isinstance(net, nn.Sequential):
        raise TypeError(f"stage_costs needs an nn.Sequential of stages, got {type(net).__name__}")
    if names is not None and len(names) != len(net):
        raise ValueError(f"names has {len(names)} entries but the net has {len(net)} stages; give one name per stage")
    input_shape = checked_shape(input_shape, "input_shape")
    check_batch_dimension(net, input_shape, "input_shape")
    rows = []
    with unchanged(net), eval_mode(net), torch.no_grad():
        X = torch.randn(*input_shape, generator=torch.Generator().manual_seed(0)).to(module_device(net))
        for index, stage in enumerate(net):
            flops = count_flops(stage, X)
            X = stage(X)
            params = sum(p.numel() for p in stage.parameters())
            rows.append(LayerCost(index, names[index] if names else type(stage).__name__, X.shape, params, flops))
    return rows


def network_costs(spec: NetworkSpec, memory_batch: int = 2) -> tuple[int, int, int]:
    """``(parameters, FLOPs per image, activation bytes per image)`` of one network at its training size.

    Activation memory is measured on a batch of ``memory_batch`` images (batch norm needs two) and divided by it.
    """
    net = spec.build()
    params = sum(p.numel() for p in net.parameters())
    net.eval()
    flops = count_flops(net, torch.zeros(1, *spec.example_shape))
    memory = activation_memory(net, (memory_batch, *spec.example_shape)) // memory_batch
    return params, flops, memory


def measure_speeds(
    specs: Iterable[NetworkSpec],
    batch_size: int = 8,
    seconds: float = 0.5,
    max_steps: int = 50,
    device: torch.device | str | None = None,
    repeats: int = 3,
) -> dict[str, float]:
    """Training examples/s of each network on ``device``, from timed SGD steps on batches of ``batch_size``.

    A short, bounded probe. One timed step first estimates the step time; then as many steps as fit in about
    ``seconds`` (at least 1, at most ``max_steps``) are timed, so tiny networks get enough steps for a stable
    figure (a single step of LeNet is mostly overhead) and large ones stay quick. The best of ``repeats`` such
    measurements is kept: other programs can only slow a run down, never speed it up. On a 2-core CPU the eight
    course networks take under a minute at the defaults. Small batches understate a GPU; raise them there.
    """
    batch_size, max_steps = check_positive_int(batch_size, "batch_size"), check_positive_int(max_steps, "max_steps")
    repeats = check_positive_int(repeats, "repeats")
    if batch_size < 2:
        raise ValueError(f"batch_size must be at least 2 (batch norm needs two examples), got {batch_size}")
    if seconds <= 0 or max_steps < 1 or repeats < 1:
        raise ValueError(
            f"seconds must be positive, max_steps and repeats at least 1; got {seconds}, {max_steps}, {repeats}"
        )
    speeds = {}
    for spec in specs:
        net = spec.build()
        first = measure_training_speed(net, spec.example_shape, batch_size, 1, device=device)
        steps = max(1, min(max_steps, math.ceil(seconds * first / batch_size)))
        speeds[spec.name] = max(
            measure_training_speed(net, spec.example_shape, batch_size, steps, device=device) for _ in range(repeats)
        )
    return speeds


def machine_description() -> str:
    """A one-line description of this machine for a speed record: processor, cores and PyTorch version."""
    processor = platform.processor() or platform.machine()
    cpu_name = cpu_model_name() or processor
    return f"{cpu_name}, {os.cpu_count()} logical cores, {platform.system()}, torch {torch.__version__}"


def save_speeds(path: str | Path, speeds: dict[str, float], *, batch_size: int, seconds: float, device: str) -> dict:
    """Write measured speeds to a JSON file with the date, machine, load average and probe settings.

    Returns the record written. Keep such a file next to the notebook to show the table without re-measuring
    (:func:`load_speeds`); the record says where the numbers come from. The file is written atomically (an
    interrupted save leaves the previous record), and ``~`` in ``path`` means the home folder.
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    if not isinstance(speeds, dict) or not all(_is_speed(value) for value in speeds.values()):
        raise ValueError(f"speeds must map network names to examples per second (positive numbers), got {speeds!r}")
    record = {
        "date": datetime.date.today().isoformat(),
        "machine": machine_description(),
        "device": device,
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "batch_size": batch_size,
        "seconds_per_network": seconds,
        "examples_per_sec": {name: round(value, 1) for name, value in speeds.items()},
    }
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


def _is_speed(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def load_speeds(path: str | Path) -> dict:
    """Read a record written by :func:`save_speeds`; raise a clear error if it is missing or malformed."""
    path = user_path(path)
    if not path.exists():
        raise FileNotFoundError(f"no speed record at {path}; measure with measure_speeds() and save_speeds() first")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(
            f"{path} is not a complete speed record ({err}): it was cut off or edited by hand. Delete it and "
            "write it again with measure_speeds() and save_speeds()"
        ) from err
    if not isinstance(record, dict):
        raise ValueError(
            f"{path} is not a speed record (it holds a {type(record).__name__}); write it with save_speeds()"
        )
    missing = {"date", "machine", "examples_per_sec"} - set(record)
    if missing:
        raise ValueError(
            f"{path} is not a speed record (missing {', '.join(sorted(missing))}); write it with save_speeds()"
        )
    return record


def compare_networks(
    specs: Sequence[NetworkSpec] = COURSE_NETWORKS, speeds: dict[str, float] | None = None,
    real_mnist: dict[str, float] | None = None,
) -> list[NetworkRow]:  # fmt: skip
    """One :class:`NetworkRow` per network: parameters, FLOPs and activation memory per image, measured here.

    ``speeds`` maps network names to examples/s (from :func:`measure_speeds` or a record's
    ``"examples_per_sec"``); networks it does not name get ``None``. ``real_mnist`` maps plan keys to the final
    test accuracy of their CPU plan on real MNIST; ``None`` reads the course's record
    (:func:`~d2l_utils.plans.real_mnist_accuracies`).
    """
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"network names must be unique, got {names}")
    speeds = speeds or {}
    real_mnist = real_mnist_accuracies() if real_mnist is None else real_mnist
    rows = []
    for spec in specs:
        params, flops, memory = network_costs(spec)
        book = book_spread(spec.book) if spec.book else None
        real = real_mnist.get(spec.plan) if spec.plan else None
        rows.append(NetworkRow(spec.name, spec.input_size, params, flops, memory, speeds.get(spec.name), book, real))
    return rows


def format_comparison(rows: Sequence[NetworkRow], *, speed: bool = True) -> str:
    """A plain-text table of ``rows``; ``speed=False`` leaves out the measured examples/s (which vary by run).

    When any row has a real-MNIST result, a last column gives it: one run of the course's CPU plan on real MNIST,
    a different data set from the book's Fashion-MNIST, so never a column to compare with the book's.
    """
    header = f"{'network':<10} {'input':>7} {'parameters':>12} {'MFLOPs/image':>13} {'act. MiB/image':>15}"
    header += f" {'examples/s':>11}" if speed else ""
    header += f"  {'book test acc: median (range, runs)':<35}"
    real = any(r.real_mnist is not None for r in rows)
    header += f"  {'real MNIST, CPU plan':>20}" if real else ""
    lines = [header, "-" * len(header)]
    for r in rows:
        line = f"{r.name:<10} {r.input_size:>3}×{r.input_size:<3} {r.params:>12,} {r.flops / 1e6:>13,.1f}"
        line += f" {r.activation_bytes / 2**20:>15.2f}"
        if speed:
            line += f" {r.examples_per_sec:>11,.0f}" if r.examples_per_sec is not None else f" {'–':>11}"
        book = f"{r.book.median:.3f} ({r.book.low:.3f}–{r.book.high:.3f}, {r.book.count})" if r.book else "–"
        line += f"  {book:<35}" if real else f"  {book}"
        if real:
            line += f"  {r.real_mnist:>20.3f}" if r.real_mnist is not None else f"  {'–':>20}"
        lines.append(line)
    return "\n".join(lines)


def _readable(value: float) -> str:
    """A bar label without exponent notation: thousands separated, small values with 2-3 significant digits."""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.2g}"


def _plot_book_spread(ax, y: list[int], rows: Sequence[NetworkRow]) -> None:
    """Median of the book's runs as a bar, their range as a thin whisker, mean ± sd as a thick one."""
    for yi, r in zip(y, rows, strict=True):
        if r.book is None:
            continue
        b = r.book
        ax.barh(yi, b.median, color="#a1d99b")
        ax.errorbar(b.median, yi, xerr=[[b.median - b.low], [b.high - b.median]], fmt="none", ecolor="#555555",
                    elinewidth=0.8, capsize=3)  # fmt: skip
        ax.errorbar(b.mean, yi, xerr=b.sd, fmt="o", color="black", markersize=3, elinewidth=2.2, capsize=0)
        ax.text(1.01, yi, f"{b.median:.3f} (n={b.count})", va="center", fontsize=7)
    ax.set_xlim(0.0, 1.0)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])


def _plot_real_mnist(ax, y: list[int], rows: Sequence[NetworkRow]) -> None:
    """The course's own result, in a panel of its own: other data (real MNIST) and a CPU plan, one run each."""
    for yi, r in zip(y, rows, strict=True):
        if r.real_mnist is None:
            ax.text(0.02, yi, "not run", va="center", fontsize=7, color="0.4")
            continue
        ax.barh(yi, r.real_mnist, color="#fd8d3c")
        ax.text(1.01, yi, f"{r.real_mnist:.3f}", va="center", fontsize=7)
    ax.set_xlim(0.0, 1.0)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_title("ours: real MNIST, CPU plan (1 run)", fontsize=9)
    ax.tick_params(labelsize=8)


def plot_comparison(rows: Sequence[NetworkRow]):
    """One figure, one panel per measure (log scale), one bar per network; returns the figure.

    Panels: parameters, FLOPs per image, activation memory per image, examples/s (only if any row has a speed)
    and the book's test accuracy on a linear axis from 0: the median of its runs (bar), their range (thin
    whisker) and mean ± sd (dot and thick bar). When any row has a real-MNIST result, a last panel of its own
    shows it (the course's CPU plan, one run): other data than the book's, so never drawn on the book's axis.
    """
    import matplotlib.pyplot as plt

    panels = [
        ("parameters (millions)", [r.params / 1e6 for r in rows]),
        ("MFLOPs per image", [r.flops / 1e6 for r in rows]),
        ("activation MiB per image", [r.activation_bytes / 2**20 for r in rows]),
    ]
    if any(r.examples_per_sec is not None for r in rows):
        panels.append(("training examples/s", [r.examples_per_sec or 0.0 for r in rows]))
    real = any(r.real_mnist is not None for r in rows)
    n_panels = len(panels) + 1 + real
    fig, axes = plt.subplots(1, n_panels, figsize=(2.3 * n_panels, 0.34 * len(rows) + 1.3), sharey=True)
    y = list(range(len(rows)))
    for ax, (title, values) in zip(axes, panels, strict=False):
        ax.barh(y, values, color="#3182bd")
        ax.set_xscale("log")
        for yi, value in zip(y, values, strict=True):
            if value > 0:
                ax.text(value, yi, f" {_readable(value)}", va="center", fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=8)
    book_ax = axes[len(panels)]
    _plot_book_spread(book_ax, y, rows)
    book_ax.set_title("book's test accuracy (its runs)", fontsize=9)
    book_ax.tick_params(labelsize=8)
    if real:
        _plot_real_mnist(axes[-1], y, rows)
    axes[0].set_yticks(y, [f"{r.name} ({r.input_size}²)" for r in rows])
    axes[0].invert_yaxis()
    fig.tight_layout()
    return fig
