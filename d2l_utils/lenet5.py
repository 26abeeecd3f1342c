"""LeNet-5 as LeCun, Bottou, Bengio and Haffner built it in "Gradient-based learning applied to document
recognition", Proc. IEEE 86(11), 1998, https://doi.org/10.1109/5.726791: the parts (also defined in chapter 06b's
cells), the paper's counts, its training loop and SDLM optimiser, and seed runs."""

from __future__ import annotations

import math
import numbers
import statistics
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from . import config
from .devices import resolve_device
from .guard_rails import checks
from .guard_rails.checks import check_epoch_had_batches, check_positive_int, check_train_arguments, first_batch
from .shapes import unchanged
from .training import TrainHistory, evaluate_accuracy_gpu, train_epoch_ch6

# The paper's global step sizes for its 20 passes (section V-B).
PAPER_STEP_SIZES: tuple[float, ...] = (5e-4,) * 2 + (2e-4,) * 3 + (1e-4,) * 3 + (5e-5,) * 4 + (1e-5,) * 8

# --- the parts, as chapter 06b defines them ------------------------------------------------------------------------


def squash(a: torch.Tensor) -> torch.Tensor:
    """The paper's squashing function f(a) = 1.7159 tanh(2a/3): f(1) = 1, f(-1) = -1 (appendix A)."""
    return 1.7159 * torch.tanh(2 / 3 * a)


class ScaledTanh(nn.Module):
    """:func:`squash` as a layer."""

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        return squash(a)


class Subsampling(nn.Module):
    """S2/S4: each unit sums a 2×2 block of its map, times the map's trainable coefficient, plus its bias, squashed.

    Two trainable parameters per map; each unit has 4 input connections and a bias connection.
    """

    fan_in = 4

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return squash(self.affine(X, self.weight, self.bias))

    @staticmethod
    def affine(X: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """The sum before squashing: 2×2 block sums times ``weight`` plus ``bias``, per map."""
        return 4 * F.avg_pool2d(X, 2) * weight.view(1, -1, 1, 1) + bias.view(1, -1, 1, 1)

    def connections(self, output: torch.Tensor) -> int:
        return output[0].numel() * (self.fan_in + 1)


# Table I: the S2 maps (0-5) that feed each of C3's 16 maps. Six take 3 neighbouring maps, six take 4
# neighbouring maps, three take 4 non-neighbouring ones, the last takes all six.
TABLE_I = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)  # fmt: skip


class PartialConv2d(nn.Module):
    """A convolution in which output map ``j`` sees only the input maps ``table[j]`` (C3 with Table I).

    Only the kernels the table names are parameters (``weight`` holds them packed, one per connected pair), so
    ``numel`` counts what the paper counts; each forward pass scatters them into a dense kernel for one conv2d.
    """

    def __init__(self, table, in_channels: int, kernel_size: int) -> None:
        super().__init__()
        pairs = [(out, inp) for out, inputs in enumerate(table) for inp in inputs]
        if any(not 0 <= inp < in_channels for _, inp in pairs):
            raise ValueError(f"the connection table names an input map outside 0..{in_channels - 1}")
        self.table = tuple(tuple(inputs) for inputs in table)
        self.in_channels, self.out_channels, self.kernel_size = in_channels, len(table), kernel_size
        self.register_buffer("pair_index", torch.tensor([out * in_channels + inp for out, inp in pairs]))
        self.weight = nn.Parameter(torch.zeros(len(pairs), kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(len(table)))

    def dense_weight(self, packed: torch.Tensor) -> torch.Tensor:
        """Kernels packed as ``weight`` as one (out, in, k, k) tensor, zero where the table has no connection."""
        k = self.kernel_size
        dense = packed.new_zeros(self.out_channels * self.in_channels, k, k)
        dense = dense.index_copy(0, self.pair_index, packed)
        return dense.view(self.out_channels, self.in_channels, k, k)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.affine(X, self.weight, self.bias)

    def affine(self, X: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """The convolution with packed kernels ``weight`` and ``bias`` in place of the layer's own."""
        return F.conv2d(X, self.dense_weight(weight), bias)

    def fan_ins(self) -> torch.Tensor:
        """Inputs per unit of each output map: connected input maps × kernel area."""
        return torch.tensor([len(inputs) * self.kernel_size**2 for inputs in self.table])

    def connections(self, output: torch.Tensor) -> int:
        return output[0, 0].numel() * (self.weight.numel() + self.bias.numel())


class EuclideanRBF(nn.Module):
    """Output units y_i = sum_j (x_j - w_ij)^2 with fixed codes ``w`` (a buffer: not trained, not counted).

    ``forward`` returns the *negative* penalties, so that the largest output is the predicted class, as for
    every classifier in the course (``evaluate_accuracy_gpu`` and the training loop take ``argmax``).
    """

    def __init__(self, codes: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("codes", codes.float())

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return -torch.cdist(X, self.codes).square()

    def connections(self, output: torch.Tensor) -> int:
        return self.codes.numel()


# 7×12 bitmaps of the digits, drawn for the course in the style of the paper's Fig. 3 (the paper's own
# bitmaps are not published as data). '#' is +1, '.' is -1.
DIGIT_BITMAPS = (
    "..###.. .#...#. #.....# #.....# #.....# #.....# #.....# #.....# #.....# #.....# .#...#. ..###..",
    "...#... ..##... .#.#... #..#... ...#... ...#... ...#... ...#... ...#... ...#... ...#... #######",
    "..###.. .#...#. #.....# ......# .....#. ....#.. ...#... ..#.... .#..... #...... #...... #######",
    ".#####. #.....# ......# ......# .....#. ..###.. .....#. ......# ......# ......# #.....# .#####.",
    ".....#. ....##. ...#.#. ..#..#. .#...#. #....#. ####### .....#. .....#. .....#. .....#. .....#.",
    "####### #...... #...... #...... #####.. .....#. ......# ......# ......# ......# #....#. .####..",
    "...###. ..#.... .#..... #...... #...... #.###.. ##...#. #.....# #.....# #.....# .#...#. ..###..",
    "####### ......# .....#. .....#. ....#.. ....#.. ...#... ...#... ..#.... ..#.... .#..... .#.....",
    "..###.. .#...#. #.....# #.....# .#...#. ..###.. .#...#. #.....# #.....# #.....# .#...#. ..###..",
    "..###.. .#...#. #.....# #.....# #.....# .#...## ..###.# ......# .....#. ....#.. ...#... ..#....",
)


def bitmap_codes() -> torch.Tensor:
    """The ten 7×12 digit bitmaps as a (10, 84) tensor of ±1 (the paper's kind of RBF code)."""
    return torch.tensor([[1.0 if p == "#" else -1.0 for p in drawing.replace(" ", "")] for drawing in DIGIT_BITMAPS])


def random_codes(seed: int = 0, num_classes: int = 10, length: int = 84) -> torch.Tensor:
    """A fixed random ±1 code per class, the alternative the paper names before its bitmaps (section II-B)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 2, (num_classes, length), generator=generator).float() * 2 - 1


class LeNet5Loss(nn.Module):
    """The paper's MAP-like criterion (eq. 9), for outputs that are minus the RBF penalties y_i.

    E = y_D + log(exp(-j) + sum_i exp(-y_i)), averaged over the batch (D the true class). The first term pulls
    the correct penalty down; the second pushes the others up, but only while they are below about ``j``: the
    constant acts as a "rubbish" class that keeps the penalties from being pushed up for ever.
    """

    def __init__(self, j: float = 10.0) -> None:
        super().__init__()
        if not math.isfinite(j):
            raise ValueError(f"j must be a finite number, got {j!r}")
        self.j = j

    def forward(self, scores: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        rubbish = scores.new_full((scores.shape[0], 1), -self.j)
        log_partition = torch.logsumexp(torch.cat([scores, rubbish], dim=1), dim=1)
        return (log_partition - scores.gather(1, y.view(-1, 1)).squeeze(1)).mean()


class PaperInput(nn.Module):
    """28×28 images in [0, 1] (background 0) to the paper's 32×32 field: background -0.1, ink 1.175."""

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if X.ndim != 4 or X.shape[1:] != (1, 28, 28):
            raise ValueError(f"LeNet-5 takes batches of 1×28×28 images, shape (N, 1, 28, 28); got {tuple(X.shape)}")
        return -0.1 + (1.175 + 0.1) * F.pad(X, (2, 2, 2, 2))


def fan_in(module: nn.Module):
    """Inputs per unit of a layer with trainable weights (per output map for C3), None for other layers."""
    if isinstance(module, nn.Conv2d):
        return module.weight[0].numel()
    if isinstance(module, nn.Linear):
        return module.in_features
    if isinstance(module, Subsampling):
        return module.fan_in
    if isinstance(module, PartialConv2d):
        return module.fan_ins().float()
    return None


def init_lenet5(net: nn.Module) -> None:
    """The paper's initialisation: every weight and bias uniform in ±2.4/F_in, F_in the fan-in of its unit."""
    with torch.no_grad():
        for module in net.modules():
            units_in = fan_in(module)
            if units_in is None:
                continue
            if isinstance(module, PartialConv2d):
                owner = module.pair_index // module.in_channels  # output map of each packed kernel
                bound_w, bound_b = (2.4 / units_in)[owner].view(-1, 1, 1), 2.4 / units_in
            else:
                bound_w = bound_b = 2.4 / units_in
            module.weight.copy_((torch.rand_like(module.weight) * 2 - 1) * bound_w)
            module.bias.copy_((torch.rand_like(module.bias) * 2 - 1) * bound_b)


def lenet5(codes: torch.Tensor | None = None) -> nn.Sequential:
    """LeNet-5 for (N, 1, 28, 28) batches in [0, 1], layers named as in the paper, initialised as the paper.

    ``codes``: the RBF targets, (10, 84) of ±1 (default ``random_codes(0)``). Outputs minus the penalties, (N, 10).
    """
    codes = random_codes(0) if codes is None else torch.as_tensor(codes)
    if codes.shape != (10, 84):
        raise ValueError(f"codes must have shape (10, 84), one code per digit for F6's 84 outputs; got "
                         f"{tuple(codes.shape)}. Use random_codes(0) or bitmap_codes().")  # fmt: skip
    net = nn.Sequential(OrderedDict(
        input=PaperInput(),
        C1=nn.Sequential(nn.Conv2d(1, 6, kernel_size=5), ScaledTanh()),
        S2=Subsampling(6),
        C3=nn.Sequential(PartialConv2d(TABLE_I, 6, kernel_size=5), ScaledTanh()),
        S4=Subsampling(16),
        C5=nn.Sequential(nn.Conv2d(16, 120, kernel_size=5), ScaledTanh()),
        F6=nn.Sequential(nn.Flatten(), nn.Linear(120, 84), ScaledTanh()),
        output=EuclideanRBF(codes),
    ))  # fmt: skip
    init_lenet5(net)
    return net


# --- counting, training and the paper's optimiser (the package's) -------------------------------------------------


def _connections(module: nn.Module, output: torch.Tensor) -> int:
    """Connections of one leaf layer for one example: inputs (and bias) per output unit, summed over units."""
    if hasattr(module, "connections"):
        return module.connections(output)
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        return output[0].numel() * (module.weight[0].numel() + (module.bias is not None))
    return 0


@dataclass(frozen=True)
class LayerCount:
    """One top-level layer: its output shape, trainable parameters and connections (for one example)."""

    name: str
    output_shape: tuple[int, ...]
    parameters: int
    connections: int


def layer_counts(net: nn.Module, X: torch.Tensor | Sequence[int] = (1, 1, 28, 28)) -> list[LayerCount]:
    """Trainable parameters and connections (inputs and bias of each unit) of each top-level layer, as the paper
    counts them, from one eval-mode run on the batch ``X`` (a tensor or an (N, C, H, W) shape); ``net`` is unchanged."""
    X = torch.zeros(*X) if not isinstance(X, torch.Tensor) else X
    if X.ndim != 4:
        raise ValueError(f"layer_counts: X must be a batch of images (N, C, H, W), e.g. (1, 1, 28, 28); got shape "
                         f"{tuple(X.shape)}. Add the batch dimension.")  # fmt: skip
    counts: dict[nn.Module, int] = {}
    hooks = [m.register_forward_hook(lambda m, _, out: counts.__setitem__(m, _connections(m, out)))
             for m in net.modules() if not list(m.children())]  # fmt: skip
    rows = []
    try:
        with unchanged(net), torch.no_grad():  # unchanged also restores a buffer a forward replaced
            net.eval()
            for name, layer in net.named_children():
                X = layer(X)
                params = sum(p.numel() for p in layer.parameters() if p.requires_grad)
                conns = sum(counts.get(m, 0) for m in layer.modules())
                rows.append(LayerCount(name, tuple(X.shape), params, conns))
    finally:
        for hook in hooks:
            hook.remove()
    return rows


def format_layer_counts(rows: Iterable[LayerCount]) -> str:
    """The rows as an aligned table: layer, output shape, trainable parameters, connections."""
    lines = [f"{'layer':<7}{'output shape':<20}{'parameters':>11}{'connections':>13}"]
    lines += [f"{r.name:<7}{str(list(r.output_shape)):<20}{r.parameters:>11,}{r.connections:>13,}" for r in rows]
    return "\n".join(lines)


def step_schedule(scale: float, num_epochs: int = 20) -> list[float]:
    """The paper's global step sizes for ``num_epochs`` passes (the last one repeated), times ``scale``."""
    steps = [PAPER_STEP_SIZES[min(i, len(PAPER_STEP_SIZES) - 1)] for i in range(num_epochs)]
    return [scale * s for s in steps]


def _checked_lrs(lrs: Sequence[float]) -> list[float]:
    """``lrs`` as a list of positive finite step sizes, one per pass, or a ValueError naming the bad entry."""
    listed = isinstance(lrs, Iterable) and not isinstance(lrs, (numbers.Number, str, torch.Tensor))
    if not listed or not (lrs := list(lrs)):
        raise ValueError(f"lrs must be a non-empty list of step sizes, one per pass, e.g. du.step_schedule(8, 20) or "
                         f"[0.01] * 20; got {lrs!r}")  # fmt: skip
    return [checks.check_positive_number(lr, f"lrs[{i}]") for i, lr in enumerate(lrs)]


def train_lenet5(
    net: nn.Module, train_iter: Iterable, test_iter: Iterable, lrs: Sequence[float], *,
    loss_fn: nn.Module | None = None, momentum: float = 0.0, mu: float | None = None, curvature_images: int = 500,
    device: torch.device | str | None = None,
) -> TrainHistory:  # fmt: skip
    """Train ``net`` one pass per step size in ``lrs`` with SGD (``mu=None``) or the paper's :class:`SDLM`
    (h_kk re-estimated on ``curvature_images`` each pass), all arguments checked first; returns the history."""
    if mu is not None and momentum:
        raise ValueError(f"SDLM (mu={mu!r}) has no momentum; pass momentum=0 with mu, or mu=None for SGD with momentum")
    lrs = _checked_lrs(lrs)
    check_train_arguments(net, len(lrs), lrs[0], train_iter, test_iter)
    for data_iter, name in ((train_iter, "train_iter"), (test_iter, "test_iter")):
        first_batch(data_iter, name)  # a pair (X, y), and not empty: known before the first step
    curvature_images = check_positive_int(curvature_images, "curvature_images")
    device = resolve_device(device)
    loss_fn = LeNet5Loss() if loss_fn is None else loss_fn
    net.to(device)
    if mu is None:
        optimizer = torch.optim.SGD(net.parameters(), lr=lrs[0], momentum=momentum)
    else:
        optimizer = SDLM(net.parameters(), lr=lrs[0], mu=mu)
    history = TrainHistory(device=str(device))
    for epoch, lr in enumerate(lrs[: config.smoke_epochs(len(lrs))]):
        for group in optimizer.param_groups:
            group["lr"] = lr
        if mu is not None:
            curvature = curvature_diagonal(net, _first_images(train_iter, curvature_images).to(device))
            optimizer.set_curvature({p: curvature[n] for n, p in net.named_parameters()})
        start = time.perf_counter()
        metrics = train_epoch_ch6(net, train_iter, loss_fn, optimizer, device)
        seconds = time.perf_counter() - start
        check_epoch_had_batches(metrics, epoch)
        history.add_epoch(epoch + 1, metrics, evaluate_accuracy_gpu(net, test_iter, device), seconds)
    return history


# --- the paper's optimiser: stochastic diagonal Levenberg-Marquardt (appendix C) ---------------------------------


def _affine(layer: nn.Module, X: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``layer``'s weighted sum of ``X`` computed with the given ``weight`` and ``bias``."""
    if isinstance(layer, nn.Conv2d):
        return F.conv2d(X, weight, bias, layer.stride, layer.padding)
    if isinstance(layer, nn.Linear):
        return F.linear(X.flatten(1), weight, bias)
    if hasattr(layer, "affine"):
        return layer.affine(X, weight, bias)
    raise TypeError(f"curvature_diagonal does not know how {type(layer).__name__} sums its inputs")


def curvature_diagonal(net: nn.Module, X: torch.Tensor, output_curvature: float = 2.0) -> dict[str, torch.Tensor]:
    """The paper's Gauss-Newton estimate h_kk (appendix C) of the loss's second derivative for each
    weight of a :func:`lenet5` over ``X``: a backward pass with squared weights, inputs and slopes."""
    if not isinstance(getattr(net, "input", None), PaperInput):
        raise TypeError(
            f"curvature_diagonal follows the paper's LeNet-5 (du.lenet5(), squashed after every layer); got a "
            f"{type(net).__name__} without its PaperInput layer. Train other nets with mu=None (plain SGD)."
        )
    # The layers with a weight and a bias of their own, input to output: C1, S2, C3, S4, C5, F6.
    layers = [m for m in net.modules() if set(dict(m.named_parameters(recurse=False))) == {"weight", "bias"}]
    with torch.no_grad():
        inputs, sums, x = [], [], net.input(X)
        for layer in layers:
            inputs.append(x)
            sums.append(_affine(layer, x, layer.weight, layer.bias))
            x = squash(sums[-1])
    squared = [(layer.weight.detach().square().requires_grad_(), torch.zeros_like(layer.bias, requires_grad=True))
               for layer in layers]  # fmt: skip
    z = None
    for layer, x, a, (weight2, bias2) in zip(layers, inputs, sums, squared, strict=True):
        # The value of u is the layer's input squared; its gradient flows back through z (the layer below).
        u = x.square() if z is None else x.square() + (z - z.detach()).reshape(x.shape)
        slope = 1.7159 * (2 / 3) * (1 - torch.tanh(2 / 3 * a).square())  # f'(a) of the squashing function
        z = slope.square() * _affine(layer, u, weight2, bias2)
    grads = torch.autograd.grad(output_curvature * z.sum() / len(X), [t for pair in squared for t in pair])
    owner = {id(p): n for n, p in net.named_parameters()}
    params = [p for layer in layers for p in (layer.weight, layer.bias)]
    return {owner[id(p)]: g for p, g in zip(params, grads, strict=True)}


class SDLM(torch.optim.Optimizer):
    """Stochastic diagonal Levenberg-Marquardt: each weight steps by lr / (mu + h_kk) times its gradient, h_kk set
    by :meth:`set_curvature` from :func:`curvature_diagonal` (the paper: 500 images per pass, ``mu`` 0.02)."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float, mu: float = 0.02) -> None:
        for name, value in (("lr", lr), ("mu", mu)):
            if not checks.is_positive_number(value):
                raise ValueError(f"SDLM: {name} must be positive and finite, got {value!r} (the paper: mu 0.02)")
        super().__init__(params, dict(lr=lr, mu=mu))

    def set_curvature(self, curvature: dict[torch.Tensor, torch.Tensor]) -> None:
        """Take h_kk for each parameter (a tensor of the parameter's shape, keyed by the parameter)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p not in curvature or curvature[p].shape != p.shape:
                    raise ValueError(f"set_curvature needs an h_kk of shape {tuple(p.shape)} for every parameter")
                self.state[p]["curvature"] = curvature[p].detach().clone()

    @torch.no_grad()
    def step(self, closure: Callable | None = None) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if "curvature" not in self.state[p]:
                    raise RuntimeError("SDLM.step before set_curvature: estimate h_kk with du.curvature_diagonal")
                p.addcdiv_(p.grad, self.state[p]["curvature"] + group["mu"], value=-group["lr"])


def _first_images(train_iter: Iterable, count: int) -> torch.Tensor:
    """The images of the first batches of a fresh pass over ``train_iter``, ``count`` of them."""
    images = []
    for X, _ in train_iter:
        images.append(X)
        if sum(map(len, images)) >= count:
            break
    return torch.cat(images)[:count]


@dataclass(frozen=True)
class SeedRun:
    """One training run: its seed, test error (percent), and the process CPU time and wall time it took."""

    seed: int
    test_error: float
    cpu_minutes: float
    wall_minutes: float


def run_seeds(train_one: Callable[[int], float], seeds: Iterable[int]) -> list[SeedRun]:
    """Call ``train_one(seed)`` (which returns a test accuracy) for each seed; time each run (process CPU and wall)."""
    runs = []
    for seed in seeds:
        cpu, wall = time.process_time(), time.perf_counter()
        accuracy = train_one(seed)
        if not 0.0 <= accuracy <= 1.0:
            raise ValueError(f"train_one must return a test accuracy in [0, 1], got {accuracy!r}")
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        runs.append(SeedRun(seed, 100 * (1 - accuracy), cpu / 60, wall / 60))
    return runs


def format_ablation(results: dict[str, Sequence[SeedRun]]) -> str:
    """One row per model: test error mean ± sample sd over its seeds, then CPU and wall minutes per seed (mean)."""
    width = max(len(name) for name in results) + 2
    lines = [f"{'model':<{width}}{'test error':>16}{'seeds':>7}{'CPU min/seed':>14}{'wall min/seed':>15}"]
    for name, runs in results.items():
        errors = [r.test_error for r in runs]
        mean, sd = statistics.fmean(errors), statistics.stdev(errors) if len(errors) > 1 else 0.0
        cpu, wall = (statistics.fmean(getattr(r, k) for r in runs) for k in ("cpu_minutes", "wall_minutes"))
        lines.append(f"{name:<{width}}{f'{mean:.2f}% ± {sd:.2f}%':>16}{len(runs):>7}{cpu:>14.1f}{wall:>15.1f}")
    return "\n".join(lines)
