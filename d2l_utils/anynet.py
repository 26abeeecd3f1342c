"""Designing network design spaces: AnyNet, its constrained versions, RegNetX, and the EDF that compares them.

After d2l 1.0 §8.8 ("Designing Convolution Network Architectures"), which follows Radosavovic et al.,
"Designing Network Design Spaces" (CVPR 2020, https://arxiv.org/abs/2003.13678). An AnyNet is a *stem*
(3×3 convolution with stride 2, batch norm, ReLU), a *body* of stages and a *head* (global average pooling and
a dense layer). Stage ``i`` is ``d_i`` ResNeXt blocks of width ``w_i`` (the first halves the resolution), with
group width ``g_i`` and bottleneck ratio ``k_i`` (the bottleneck has ``w_i / k_i`` channels). A stage is written
as the book writes it, ``(depth, num_channels, groups, bot_mul)`` with ``bot_mul = 1 / k``.

Instead of the single best network, the method compares *distributions* of networks: sample ``n`` networks
from a design space, train each briefly, and plot the empirical distribution function (EDF) of their errors.
A space whose EDF lies higher (more networks below each error) is the better space. :class:`DesignSpace`
counts and samples the spaces, :func:`evaluate_sample` trains a sample, :func:`plot_edfs` draws the book's
figure, and :func:`regnetx_stages` is the rule the best networks follow (widths on a quantised linear ramp).
"""

from __future__ import annotations

import math
import random
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import torch
from torch import nn

from . import config
from .devices import BOOK_SPEED
from .models import ResNeXtUnit
from .profiling import count_flops, stage_costs
from .seeding import seed_everything
from .shapes import eval_mode
from .training import evaluate_accuracy_gpu, init_cnn_weights, sgd, train_epoch_ch6

Stage = tuple[int, int, int, float]
"""One stage as the book writes it: ``(depth, num_channels, groups, bot_mul)``; ``groups`` is the group width."""


def anynet_stem(in_channels: int, num_channels: int) -> nn.Sequential:
    """AnyNet's stem: a 3×3 convolution with stride 2 (halving height and width), batch norm and ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, num_channels, kernel_size=3, stride=2, padding=1),
        nn.BatchNorm2d(num_channels), nn.ReLU(),
    )  # fmt: skip


def anynet_stage(input_channels: int, depth: int, num_channels: int, groups: int, bot_mul: float) -> nn.Sequential:
    """``depth`` ResNeXt blocks of width ``num_channels``; the first halves the resolution (stride 2, 1×1 shortcut)."""
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"anynet_stage: depth must be a positive integer, got {depth!r}")
    blocks = [ResNeXtUnit(input_channels, num_channels, groups, bot_mul, use_1x1conv=True, strides=2)]
    blocks += [ResNeXtUnit(num_channels, num_channels, groups, bot_mul) for _ in range(depth - 1)]
    return nn.Sequential(*blocks)


def anynet_model(
    arch: Sequence[Stage], stem_channels: int, in_channels: int = 1, num_classes: int = 10
) -> nn.Sequential:
    """The book's AnyNet: ``stem``, one ``stage1``, ``stage2``, … per entry of ``arch``, and ``head``.

    ``arch`` holds one ``(depth, num_channels, groups, bot_mul)`` tuple per stage. Each stage halves the
    resolution, as does the stem, so a 28×28 image leaves three stages at 2×2 (28 → 14 → 7 → 4 → 2) and the
    book's 224×224 ImageNet images leave four at 7×7. The head averages each channel and maps to the classes.
    """
    arch = tuple(tuple(stage) for stage in arch)
    if not arch or any(len(stage) != 4 for stage in arch):
        raise ValueError(f"arch must be a non-empty sequence of (depth, num_channels, groups, bot_mul), got {arch}")
    parts: OrderedDict[str, nn.Module] = OrderedDict(stem=anynet_stem(in_channels, stem_channels))
    channels = stem_channels
    for i, (depth, num_channels, groups, bot_mul) in enumerate(arch):
        parts[f"stage{i + 1}"] = anynet_stage(channels, depth, num_channels, groups, bot_mul)
        channels = num_channels
    parts["head"] = nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(channels, num_classes))
    return nn.Sequential(parts)


REGNETX32_ARCH: tuple[Stage, ...] = ((4, 32, 16, 1), (6, 80, 16, 1))
"""The book's 32-layer RegNetX: no bottleneck, group width 16, stages of 4 and 6 blocks, 32 and 80 channels."""


def regnetx32(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """The book's ``RegNetX32``: :func:`anynet_model` with stem width 32 and :data:`REGNETX32_ARCH`."""
    return anynet_model(REGNETX32_ARCH, 32, in_channels, num_classes)


def regnetx_stages(depth: int, w0: float, wa: float, wm: float, groups: int, bot_mul: float = 1.0,
                   quantum: int = 8) -> tuple[Stage, ...]:  # fmt: skip
    """The RegNet rule: block widths on a linear ramp, quantised to a few stages of constant width.

    Block ``j`` (of ``depth``) would ideally have width ``u_j = w0 + wa * j``. Writing ``u_j = w0 * wm**s_j`` and
    rounding ``s_j`` puts every block on one of the widths ``w0, w0·wm, w0·wm², …`` (each rounded to a multiple
    of ``quantum``); consecutive blocks of equal width form a stage. Radosavovic et al. (2020, §3.3) found the
    best networks of their AnyNetX_E space follow this rule.
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"regnetx_stages: depth must be a positive integer, got {depth!r}")
    if w0 <= 0 or wa < 0 or wm <= 1:
        raise ValueError(f"regnetx_stages needs w0 > 0, wa >= 0 and wm > 1; got w0={w0}, wa={wa}, wm={wm}")
    if quantum % groups:
        raise ValueError(f"the width quantum {quantum} must be a multiple of the group width {groups}")
    widths = []
    for j in range(depth):
        steps = round(math.log((w0 + wa * j) / w0) / math.log(wm))
        widths.append(max(quantum, quantum * round(w0 * wm**steps / quantum)))
    stages: list[list[int]] = []
    for width in widths:
        if stages and stages[-1][1] == width:
            stages[-1][0] += 1
        else:
            stages.append([1, width])
    return tuple((d, w, groups, bot_mul) for d, w in stages)


REGNETX_MNIST_ARCH: tuple[Stage, ...] = regnetx_stages(7, 16, 10, 2, groups=8)
"""The RegNet rule for 28×28 digits (depth 7, w0 16, slope 10, multiplier 2, group width 8, no bottleneck):
stages of 1, 2 and 4 blocks with 16, 32 and 64 channels, the network the design-space chapter trains."""


def regnetx_mnist(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """The RegNetX-like network of :data:`REGNETX_MNIST_ARCH` with a 16-channel stem, for 28×28 images."""
    return anynet_model(REGNETX_MNIST_ARCH, 16, in_channels, num_classes)


@dataclass(frozen=True)
class DesignSpace:
    """A space of AnyNets: the values each stage may take, and which constraints tie the stages together.

    ``bottleneck_ratios`` are the ``k`` (the bottleneck has ``w / k`` channels); a configuration is valid when
    the group width divides the bottleneck. The flags are the book's steps from AnyNetX_A to AnyNetX_E: share
    ``k`` across stages, share the group width, make widths and then depths non-decreasing from stage to stage.
    """

    name: str
    num_stages: int
    depths: tuple[int, ...]
    widths: tuple[int, ...]
    group_widths: tuple[int, ...]
    bottleneck_ratios: tuple[int, ...]
    stem_channels: int
    shared_bottleneck: bool = False
    shared_groups: bool = False
    increasing_widths: bool = False
    increasing_depths: bool = False

    def constrained(self, name: str, **constraints: bool) -> DesignSpace:
        """This space with more constraints switched on, e.g. ``space.constrained("B", shared_bottleneck=True)``."""
        unknown = set(constraints) - {"shared_bottleneck", "shared_groups", "increasing_widths", "increasing_depths"}
        if unknown:
            raise ValueError(f"unknown constraints {sorted(unknown)}; use shared_bottleneck, shared_groups, "
                             "increasing_widths or increasing_depths")  # fmt: skip
        return replace(self, name=name, **constraints)

    def _stage_choices(self, k: int | None, g: int | None) -> dict[int, int]:
        """For each width, how many (group width, ratio) pairs a stage may take with it, given shared k and g."""
        ks = [k] if k is not None else self.bottleneck_ratios
        gs = [g] if g is not None else self.group_widths
        counts = {w: sum(1 for k_ in ks for g_ in gs if _compatible(w, g_, k_)) for w in sorted(set(self.widths))}
        return {w: c for w, c in counts.items() if c}

    def _shared_values(self) -> Iterable[tuple[int | None, int | None]]:
        ks = self.bottleneck_ratios if self.shared_bottleneck else (None,)
        gs = self.group_widths if self.shared_groups else (None,)
        return ((k, g) for k in ks for g in gs)

    def size(self) -> int:
        """The number of valid configurations (networks) in the space, counted exactly."""
        n = self.num_stages
        depth_count = _sequences({d: 1 for d in set(self.depths)}, n, self.increasing_depths)
        return sum(depth_count * _sequences(self._stage_choices(k, g), n, self.increasing_widths)
                   for k, g in self._shared_values())  # fmt: skip

    def choices(self) -> int:
        """Choices counted as the paper counts AnyNetX_A: every value of every parameter of every stage, valid or
        not, i.e. ``(#depths · #widths · #group widths · #ratios) ** num_stages``."""
        per_stage = len(self.depths) * len(self.widths) * len(self.group_widths) * len(self.bottleneck_ratios)
        return per_stage**self.num_stages

    def contains(self, arch: Sequence[Stage]) -> bool:
        """True when ``arch`` is one of this space's configurations."""
        if len(arch) != self.num_stages:
            return False
        d, w, g, b = zip(*arch, strict=True)
        k = [round(1 / m) for m in b]
        return (
            all(x in self.depths for x in d) and all(x in self.widths for x in w)
            and all(x in self.group_widths for x in g) and all(x in self.bottleneck_ratios for x in k)
            and all(_compatible(*s) for s in zip(w, g, k, strict=True))
            and (not self.shared_bottleneck or len(set(k)) == 1) and (not self.shared_groups or len(set(g)) == 1)
            and (not self.increasing_widths or list(w) == sorted(w))
            and (not self.increasing_depths or list(d) == sorted(d))
        )  # fmt: skip

    def sample(self, n: int, seed: int = 0) -> list[tuple[Stage, ...]]:
        """``n`` configurations drawn uniformly from the space (with repetition), reproducibly from ``seed``.

        Every parameter is drawn uniformly (a shared one once per network) and a draw that breaks a constraint is
        thrown away and drawn again, so each valid configuration is equally likely. Uses its own generator: the
        global random state is not touched.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"sample: n must be a positive integer, got {n!r}")
        if self.size() == 0:
            raise ValueError(f"design space {self.name} has no valid configuration; allow more widths or groups")
        rng, archs = random.Random(seed), []
        while len(archs) < n:
            arch = self._draw(rng)
            if self.contains(arch):
                archs.append(arch)
        return archs

    def _draw(self, rng: random.Random) -> tuple[Stage, ...]:
        k = rng.choice(self.bottleneck_ratios) if self.shared_bottleneck else None
        g = rng.choice(self.group_widths) if self.shared_groups else None
        return tuple(
            (rng.choice(self.depths), rng.choice(self.widths), g or rng.choice(self.group_widths),
             1 / (k or rng.choice(self.bottleneck_ratios)))
            for _ in range(self.num_stages)
        )  # fmt: skip


def _compatible(width: int, group_width: int, ratio: int) -> bool:
    """The bottleneck ``width / ratio`` is a whole number of channels that groups of ``group_width`` divide."""
    return width % ratio == 0 and (width // ratio) % group_width == 0


def _sequences(weights: dict[int, int], length: int, non_decreasing: bool) -> int:
    """Weighted count of sequences of ``length`` values from ``weights`` (value -> choices), optionally sorted."""
    if not non_decreasing:
        return sum(weights.values()) ** length
    values = sorted(weights)
    ways = [weights[v] for v in values]  # sequences of one value, ending at each value
    for _ in range(length - 1):
        running, ways_next = 0, []
        for v, w in zip(values, ways, strict=True):
            running += w  # sequences ending at any value <= v
            ways_next.append(running * weights[v])
        ways = ways_next
    return sum(ways)


def anynetx_spaces(base: DesignSpace) -> dict[str, DesignSpace]:
    """The book's five spaces from ``base`` (taken as AnyNetX_A, unconstrained), each adding one constraint."""
    a = replace(base, name="AnyNetX_A", shared_bottleneck=False, shared_groups=False, increasing_widths=False,
                increasing_depths=False)  # fmt: skip
    b = a.constrained("AnyNetX_B", shared_bottleneck=True)
    c = b.constrained("AnyNetX_C", shared_groups=True)
    d = c.constrained("AnyNetX_D", increasing_widths=True)
    e = d.constrained("AnyNetX_E", increasing_depths=True)
    return {s.name: s for s in (a, b, c, d, e)}


@dataclass(frozen=True)
class SampledNet:
    """One trained network of a sample: its configuration, size, cost, test error and training time."""

    arch: tuple[Stage, ...]
    params: int
    flops: int
    test_error: float
    seconds: float


def network_cost(net: nn.Module, input_shape: Sequence[int]) -> tuple[int, int]:
    """``(parameters, forward FLOPs for one input of input_shape)``, measured in eval mode; ``net`` is unchanged."""
    params = sum(p.numel() for p in net.parameters())
    with eval_mode(net):
        flops = count_flops(net, torch.zeros(1, *input_shape))
    return params, flops


def evaluate_sample(
    archs: Sequence[Sequence[Stage]], stem_channels: int, train_iter, test_iter, num_epochs: int, lr: float,
    device: torch.device | str = "cpu", seed: int = 0, report: Callable[[str], None] | None = print,
    build: Callable[..., nn.Module] | None = None,
) -> list[SampledNet]:  # fmt: skip
    """Build, train and test each configuration in ``archs``: the sample's errors for an EDF.

    Each net is seeded with ``seed + i``, Xavier-initialised as ``train_ch6`` does, trained for ``num_epochs``
    with the book's SGD and tested on all of ``test_iter``. ``report`` gets one line per net (``None``: silent).
    ``build(arch, stem_channels, in_channels)`` makes each net (default :func:`anynet_model`), e.g. to try another
    block in the same stages.
    """
    device = torch.device(device)
    num_epochs = config.smoke_epochs(num_epochs)
    X, _ = next(iter(test_iter))
    build = anynet_model if build is None else build
    results = []
    for i, arch in enumerate(archs):
        seed_everything(seed + i)
        net = build(arch, stem_channels, in_channels=X.shape[1])
        params, flops = network_cost(net, X.shape[1:])
        init_cnn_weights(net)
        net.to(device)
        optimizer, loss_fn = sgd(net, lr, device), nn.CrossEntropyLoss()
        start = time.perf_counter()
        for _ in range(num_epochs):
            train_epoch_ch6(net, train_iter, loss_fn, optimizer, device, BOOK_SPEED)
        error = 1 - evaluate_accuracy_gpu(net, test_iter, device)
        results.append(SampledNet(tuple(arch), params, flops, error, time.perf_counter() - start))
        if report is not None:
            report(f"{i + 1:>3}/{len(archs)} {format_arch(arch):<48} {params:>9,} params  error {100 * error:5.2f}%"
                   f"  {results[-1].seconds:5.1f} s")  # fmt: skip
    return results


def format_arch(arch: Sequence[Stage]) -> str:
    """A configuration in one short line: ``d×w/g/k`` per stage, e.g. ``2×32/8/1 3×64/8/2``."""
    return " ".join(f"{d}×{w}/{g}/{round(1 / b)}" for d, w, g, b in arch)


def edf(errors: Sequence[float]) -> tuple[list[float], list[float]]:
    """The empirical distribution function of ``errors``: sorted errors ``e_i`` and ``F(e_i)``, the share ≤ ``e_i``.

    ``F(e) = (1/n) · #{i : e_i <= e}``, a step function rising by ``1/n`` at each error (more at ties).
    """
    if len(errors) == 0:
        raise ValueError("edf needs at least one error")
    values = sorted(float(e) for e in errors)
    n = len(values)
    return values, [sum(1 for x in values if x <= v) / n for v in values]


def plot_edfs(errors: dict[str, Sequence[float]], pairs: Sequence[tuple[str, str]] | None = None, percent: bool = True):
    """The book's figure: one panel per pair of spaces, each space's error EDF as a step curve; returns the figure.

    ``pairs`` defaults to consecutive spaces in ``errors`` (A vs B, B vs C, …). The legend gives each space's
    smallest and mean error. A curve further left/higher means more of the space's networks reach a low error.
    """
    import matplotlib.pyplot as plt

    names = list(errors)
    pairs = list(pairs) if pairs is not None else list(zip(names, names[1:], strict=False)) or [(names[0],)]
    scale = 100 if percent else 1
    fig, axes = plt.subplots(1, len(pairs), figsize=(3.2 * len(pairs), 3), sharey=True, squeeze=False)
    for ax, pair in zip(axes[0], pairs, strict=True):
        for name in pair:
            x, y = edf([scale * e for e in errors[name]])
            label = f"{name} [{min(x):.1f} | {sum(x) / len(x):.1f}]"
            ax.step([x[0], *x], [0, *y], where="post", label=label)
        ax.set_xlabel("test error (%)" if percent else "test error")
        ax.legend(fontsize=7, loc="lower right", title="[min | mean]", title_fontsize=7)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("cumulative probability")
    fig.tight_layout()
    return fig


def plot_parts(net: nn.Sequential, input_shape: Sequence[int]):
    """A network's named parts (stem, stages or body, head) as a chain of boxes; returns the figure.

    Each box names a top-level part of ``net`` and gives its output shape, parameters and forward FLOPs for an
    input of ``input_shape`` (with the batch, e.g. ``(1, 1, 96, 96)``), measured by :func:`~d2l_utils.compare.
    stage_costs`; ``net`` is left unchanged.
    """
    import matplotlib.pyplot as plt

    names = [name for name, _ in net.named_children()]
    rows = stage_costs(net, input_shape, names=names)
    fig, ax = plt.subplots(figsize=(2.3 * len(rows) + 1.2, 1.9))
    shape = "×".join(str(s) for s in input_shape[1:])
    ax.text(0, 0.5, f"input\n{shape}", ha="center", va="center", fontsize=8)
    for i, row in enumerate(rows, start=1):
        out = "×".join(str(s) for s in row.output_shape[1:])
        text = f"{row.layer_type}\n{out}\n{row.params:,} params\n{row.flops / 1e6:,.1f} MFLOPs"
        ax.text(i * 2.3, 0.5, text, ha="center", va="center", fontsize=8,
                bbox=dict(boxstyle="round", facecolor="#deebf7", edgecolor="#3182bd"))  # fmt: skip
        ax.annotate("", xy=(i * 2.3 - 0.95, 0.5), xytext=((i - 1) * 2.3 + 0.95, 0.5),
                    arrowprops=dict(arrowstyle="->"))  # fmt: skip
    ax.set_xlim(-0.8, 2.3 * len(rows) + 1.0)
    ax.set_ylim(0, 1)
    ax.axis("off")
    fig.tight_layout()
    return fig


__all__ = [
    "REGNETX32_ARCH", "REGNETX_MNIST_ARCH", "DesignSpace", "SampledNet", "Stage", "anynet_model", "anynet_stage",
    "anynet_stem", "anynetx_spaces", "edf", "evaluate_sample", "format_arch", "network_cost", "plot_edfs",
    "plot_parts", "regnetx32", "regnetx_mnist", "regnetx_stages",
]  # fmt: skip
