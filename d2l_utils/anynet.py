"""Designing network design spaces (d2l 1.0 §8.8, after Radosavovic et al., https://arxiv.org/abs/2003.13678): AnyNet's
parts (as chapter 13b defines them), :class:`DesignSpace`, RegNetX, and EDFs to compare spaces."""

from __future__ import annotations

import itertools
import math
import random
import time
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace

import torch
from torch import nn

from . import config
from .config import seed_everything
from .devices import BOOK_SPEED
from .guard_rails import checks
from .guard_rails.checks import check_positive_ints, check_positive_number, first_batch, is_positive_int
from .models import ResNeXtUnit
from .profiling import count_flops
from .shapes import unchanged
from .training import evaluate_accuracy_gpu, init_cnn_weights, sgd, train_epoch_ch6

Stage = tuple[int, int, int, float]
"""One stage as the book writes it: ``(depth, num_channels, groups, bot_mul)``; ``groups`` is the group width."""


def anynet_stem(in_channels, num_channels):
    """AnyNet's stem: a 3×3 convolution with stride 2 (halving height and width), batch norm and ReLU."""
    return nn.Sequential(
        nn.Conv2d(in_channels, num_channels, kernel_size=3, stride=2, padding=1),
        nn.BatchNorm2d(num_channels), nn.ReLU(),
    )  # fmt: skip


def anynet_stage(input_channels, depth, num_channels, groups, bot_mul):
    """``depth`` ResNeXt blocks of width ``num_channels``; the first halves the resolution (stride 2, 1×1 shortcut)."""
    check_positive_ints("anynet_stage", depth=depth)
    blocks = [ResNeXtUnit(input_channels, num_channels, groups, bot_mul, use_1x1conv=True, strides=2)]
    blocks += [ResNeXtUnit(num_channels, num_channels, groups, bot_mul) for _ in range(depth - 1)]
    return nn.Sequential(*blocks)


def anynet_head(in_channels, num_classes):
    """AnyNet's head: global average pooling of each channel, then one dense layer to the class scores."""
    return nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(in_channels, num_classes))


def anynet_model(arch, stem_channels, in_channels=1, num_classes=10):
    """The book's AnyNet: ``stem``, one ``stage1``, ``stage2``, … per ``(depth, num_channels, groups, bot_mul)``
    in ``arch``, and ``head``. The stem and every stage halve the resolution: 28 → 14 → 7 → 4 → 2."""
    arch = tuple(tuple(stage) for stage in arch)
    if not arch or any(len(stage) != 4 for stage in arch):
        raise ValueError(f"arch must be a non-empty sequence of (depth, num_channels, groups, bot_mul), got {arch}")
    parts = OrderedDict(stem=anynet_stem(in_channels, stem_channels))
    channels = stem_channels
    for i, (depth, num_channels, groups, bot_mul) in enumerate(arch):
        parts[f"stage{i + 1}"] = anynet_stage(channels, depth, num_channels, groups, bot_mul)
        channels = num_channels
    parts["head"] = anynet_head(channels, num_classes)
    return nn.Sequential(parts)


def regnetx32(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """The book's 32-layer ``RegNetX32``: stem width 32, no bottleneck, group width 16, stages of 4 and 6 blocks with
    32 and 80 channels."""
    return anynet_model(((4, 32, 16, 1), (6, 80, 16, 1)), 32, in_channels, num_classes)


def regnetx_stages(depth: int, w0: float, wa: float, wm: float, groups: int, bot_mul: float = 1.0,
                   quantum: int = 8) -> tuple[Stage, ...]:  # fmt: skip
    """The RegNet rule (Radosavovic et al. 2020, §3.3): block widths ``w0 + wa * j`` on a linear ramp, rounded
    to ``w0 · wm**k`` (multiples of ``quantum``); consecutive blocks of equal width form a stage."""
    check_positive_ints("regnetx_stages", depth=depth, groups=groups, quantum=quantum)
    if not (all(checks.is_positive_number(v) for v in (w0, wa + 1, wm - 1)) and wa >= 0):
        raise ValueError(f"regnetx_stages needs w0 > 0, wa >= 0 and wm > 1; got w0={w0}, wa={wa}, wm={wm}")
    if quantum % groups:
        raise ValueError(f"the width quantum {quantum} must be a multiple of the group width {groups}")
    steps = [round(math.log((w0 + wa * j) / w0) / math.log(wm)) for j in range(depth)]
    widths = [max(quantum, quantum * round(w0 * wm**s / quantum)) for s in steps]
    return tuple((len(list(run)), w, groups, bot_mul) for w, run in itertools.groupby(widths))


REGNETX_MNIST_ARCH: tuple[Stage, ...] = regnetx_stages(7, 16, 10, 2, groups=8)
"""The RegNet rule for 28×28 digits (d 7, w0 16, wa 10, wm 2, g 8, b 1): 1, 2, 4 blocks of 16, 32, 64 channels;
chapters 13b and 14 build it with a 16-channel stem."""


@dataclass(frozen=True)
class DesignSpace:
    """A space of AnyNets: the values each stage may take, and the constraints (the book's steps from AnyNetX_A to
    AnyNetX_E) that tie the stages together. Valid: the group width divides the bottleneck ``w / k``."""

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

    def __post_init__(self) -> None:
        kinds = {"bool": (lambda v: type(v) is bool, "True or False"), "int": (is_positive_int, "a positive integer")}
        for f in fields(self)[1:]:
            ok, kind = kinds.get(f.type, (_positive_ints, "a non-empty tuple of positive integers"))
            if not ok(getattr(self, f.name)):
                raise ValueError(f"DesignSpace {self.name}: {f.name} must be {kind}, got {getattr(self, f.name)!r}")

    def _stage_choices(self, k: int | None, g: int | None) -> dict[int, int]:
        """For each width, how many (group width, ratio) pairs a stage may take with it, given shared k and g."""
        ks = [k] if k is not None else self.bottleneck_ratios
        gs = [g] if g is not None else self.group_widths
        counts = {w: sum(1 for k_ in ks for g_ in gs if _compatible(w, g_, k_)) for w in sorted(set(self.widths))}
        return {w: c for w, c in counts.items() if c}

    def size(self) -> int:
        """The number of valid configurations (networks) in the space, counted exactly."""
        n = self.num_stages
        depth_count = _sequences({d: 1 for d in set(self.depths)}, n, self.increasing_depths)
        ks = self.bottleneck_ratios if self.shared_bottleneck else (None,)
        gs = self.group_widths if self.shared_groups else (None,)
        stages = (_sequences(self._stage_choices(k, g), n, self.increasing_widths) for k in ks for g in gs)
        return depth_count * sum(stages)

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
        k = [_ratio(m) for m in b]
        return (
            all(x in self.depths for x in d) and all(x in self.widths for x in w)
            and all(x in self.group_widths for x in g) and all(x in self.bottleneck_ratios for x in k)
            and all(_compatible(*s) for s in zip(w, g, k, strict=True))
            and (not self.shared_bottleneck or len(set(k)) == 1) and (not self.shared_groups or len(set(g)) == 1)
            and (not self.increasing_widths or list(w) == sorted(w))
            and (not self.increasing_depths or list(d) == sorted(d))
        )  # fmt: skip

    def sample(self, n: int, seed: int = 0) -> list[tuple[Stage, ...]]:
        """``n`` configurations drawn uniformly (with repetition) by a generator seeded with ``seed``; a draw that
        breaks a constraint is drawn again, so every valid configuration is equally likely."""
        check_positive_ints("sample", n=n)
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


def _positive_ints(values: Sequence[int]) -> bool:
    return isinstance(values, (tuple, list)) and len(values) > 0 and all(is_positive_int(v) for v in values)


def _ratio(bot_mul: float) -> int | None:
    """The bottleneck ratio ``k = 1 / bot_mul`` when it is a whole number, else None (in no space)."""
    k = 1 / bot_mul if checks.is_positive_number(bot_mul) else 0.5
    return round(k) if k >= 1 and math.isclose(k, round(k)) else None


def _compatible(width: int, group_width: int, ratio: int) -> bool:
    """The bottleneck ``width / ratio`` is a whole number of channels that groups of ``group_width`` divide."""
    return width % ratio == 0 and (width // ratio) % group_width == 0


def _sequences(weights: dict[int, int], length: int, non_decreasing: bool) -> int:
    """Weighted count of sequences of ``length`` values from ``weights`` (value -> choices), optionally sorted."""
    if not non_decreasing:
        return sum(weights.values()) ** length
    values = sorted(weights)
    ways = [weights[v] for v in values]  # sequences of one value, ending at each value
    for _ in range(length - 1):  # a sequence ending at v extends any sequence ending at a value <= v
        ways = [running * weights[v] for v, running in zip(values, itertools.accumulate(ways), strict=True)]
    return sum(ways)


def anynetx_spaces(base: DesignSpace) -> dict[str, DesignSpace]:
    """The book's five spaces from ``base`` (taken as AnyNetX_A, unconstrained), each adding one constraint."""
    a = replace(base, name="AnyNetX_A", shared_bottleneck=False, shared_groups=False, increasing_widths=False,
                increasing_depths=False)  # fmt: skip
    b = replace(a, name="AnyNetX_B", shared_bottleneck=True)
    c = replace(b, name="AnyNetX_C", shared_groups=True)
    d = replace(c, name="AnyNetX_D", increasing_widths=True)
    e = replace(d, name="AnyNetX_E", increasing_depths=True)
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
    with unchanged(net):
        flops = count_flops(net.eval(), torch.zeros(1, *input_shape))
    return params, flops


def evaluate_sample(
    archs: Sequence[Sequence[Stage]], stem_channels: int, train_iter, test_iter, num_epochs: int, lr: float,
    device: torch.device | str = "cpu", seed: int = 0, build: Callable[..., nn.Module] = anynet_model,
) -> list[SampledNet]:  # fmt: skip
    """Build (default :func:`anynet_model`), train (``num_epochs``, the book's SGD, seed ``seed + i``) and test
    each configuration in ``archs``: the sample's errors for an EDF, printing one line per net."""
    check_positive_ints("evaluate_sample", stem_channels=stem_channels, num_epochs=num_epochs)
    check_positive_number(lr, "lr")
    first_batch(train_iter, "train_iter")
    X, _ = first_batch(test_iter, "test_iter")  # a pair (X, y), and not empty: known before the first step
    device, num_epochs = torch.device(device), config.smoke_epochs(num_epochs)
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
        print(f"{i + 1:>3}/{len(archs)} {format_arch(arch):<48} {params:>9,} params  error {100 * error:5.2f}%"
              f"  {results[-1].seconds:5.1f} s")  # fmt: skip
    return results


def format_arch(arch: Sequence[Stage]) -> str:
    """A configuration in one short line: ``d×w/g/k`` per stage, e.g. ``2×32/8/1 3×64/8/2``."""
    return " ".join(f"{d}×{w}/{g}/{round(1 / b)}" for d, w, g, b in arch)


def edf(errors: Sequence[float]) -> tuple[list[float], list[float]]:
    """The empirical distribution function of ``errors``: sorted errors ``e_i`` and ``F(e_i)``, the share ≤ ``e_i``."""
    values = [float(e) for e in errors]
    bad = [(i, e) for i, e in enumerate(values) if not math.isfinite(e)]
    if not values or bad:
        where = f"errors[{bad[0][0]}] is {bad[0][1]}" if bad else "errors is empty"
        raise ValueError(f"edf needs finite test errors, one per trained network; {where}. Drop or retrain that net.")
    values.sort()
    return values, [bisect_right(values, v) / len(values) for v in values]


def plot_edfs(errors: dict[str, Sequence[float]]):
    """The book's figure: one panel per pair of consecutive spaces, each space's error EDF (in percent) as a step
    curve, its smallest and mean error in the legend; returns the figure."""
    import matplotlib.pyplot as plt

    names = list(errors)
    pairs = list(zip(names, names[1:], strict=False)) or [(names[0],)]
    fig, axes = plt.subplots(1, len(pairs), figsize=(3.2 * len(pairs), 3), sharey=True, squeeze=False)
    for ax, pair in zip(axes[0], pairs, strict=True):
        for name in pair:
            x, y = edf([100 * e for e in errors[name]])
            label = f"{name} [{min(x):.1f} | {sum(x) / len(x):.1f}]"
            ax.step([x[0], *x], [0, *y], where="post", label=label)
        ax.set_xlabel("test error (%)")
        ax.legend(fontsize=7, loc="lower right", title="[min | mean]", title_fontsize=7)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("cumulative probability")
    fig.tight_layout()
    return fig
