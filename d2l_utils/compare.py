"""Every network of the course side by side: parameters, FLOPs and activation memory per image, examples/s here, and the
spread of the book's own runs (quoted, not measured: they take a GPU)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from torch import nn

from . import anynet, models
from .plans import BookSpread, book_spread, real_mnist_accuracies
from .profiling import activation_memory


@dataclass(frozen=True)
class NetworkSpec:
    """A network to compare: its name, builder, the book's image side, and the keys of its book runs and of its training
    plans (None: nothing to show)."""

    name: str
    build: Callable[[], nn.Module]
    input_size: int
    book: str | None = None
    plan: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.build, nn.Module):  # a built net, not its builder: every probe measures it unchanged
            object.__setattr__(self, "build", lambda net=self.build: net)

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


# The book's networks in the order the course teaches them, each at the size the book trains it at.
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

# The design-space chapter's RegNetX32 (d2l 1.0 §8.8) and its seven-block net for MNIST: apart from COURSE_NETWORKS,
# whose book-run cells expect book runs, which these have none of (``book`` is None).
DESIGN_NETWORKS: tuple[NetworkSpec, ...] = (
    NetworkSpec("RegNetX-32", anynet.regnetx32, 96),
    NetworkSpec("RegNetX-7", lambda: anynet.anynet_model(anynet.REGNETX_MNIST_ARCH, 16), 28),
)


def compare_networks(
    specs: Sequence[NetworkSpec] = COURSE_NETWORKS, speeds: dict[str, float] | None = None,
    real_mnist: dict[str, float] | None = None,
) -> list[NetworkRow]:  # fmt: skip
    """One :class:`NetworkRow` per network, measured here; ``speeds`` maps names to examples/s (missing: ``None``) and
    ``real_mnist`` plan keys to our real-MNIST accuracy (``None``: read the course's record)."""
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"network names must be unique, got {names}")
    speeds = speeds or {}
    real_mnist = real_mnist_accuracies() if real_mnist is None else real_mnist
    rows = []
    for spec in specs:
        try:
            net = spec.build()
            params, flops = anynet.network_cost(net, spec.example_shape)
            memory = activation_memory(net, (2, *spec.example_shape)) // 2  # per image, on two: batch norm needs two
        except (RuntimeError, ValueError) as err:
            raise ValueError(
                f"{spec.name} cannot take input_size={spec.input_size} (images of 1×{spec.input_size}×"
                f"{spec.input_size}): {err}. Give its NetworkSpec the side the net is built for."
            ) from err
        book = book_spread(spec.book) if spec.book else None
        real = real_mnist.get(spec.plan) if spec.plan else None
        rows.append(NetworkRow(spec.name, spec.input_size, params, flops, memory, speeds.get(spec.name), book, real))
    return rows


def format_comparison(rows: Sequence[NetworkRow], *, speed: bool = True) -> str:
    """A plain-text table of ``rows`` (``speed=False`` leaves out examples/s, which vary by run), with our real-MNIST
    run in a last column of its own: other data than the book's."""
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
