"""LeNet-5 as LeCun, Bottou, Bengio and Haffner built it in 1998, layer by layer from the paper's section II-B.

Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-based learning applied to document recognition",
Proc. IEEE 86(11):2278-2324, 1998, https://doi.org/10.1109/5.726791.

What differs from d2l's ``lenet()``: 32×32 inputs (MNIST's 28×28 centred, background -0.1 and ink 1.175), the
scaled tanh ``f(a) = 1.7159 tanh(2a/3)`` after every layer, trainable subsampling (a 2×2 sum times a coefficient
plus a bias per map), C3 wired by the paper's Table I, C5 as a 5×5 convolution, and ten Euclidean RBF output
units with fixed ±1 codes, trained with the paper's MAP-like criterion (its eq. 9). :func:`lenet5` builds the
net; :func:`layer_counts` counts trainable parameters and connections the way the paper does; :class:`SDLM`
with :func:`curvature_diagonal` is the paper's optimiser (its appendix C), which :func:`train_lenet5` runs with ``mu``.
"""

from __future__ import annotations

import math
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
from .metrics import Timer
from .training import TrainHistory, evaluate_accuracy_gpu, train_epoch_ch6

# f(a) = A tanh(S a) with A = 1.7159, S = 2/3: f(±1) = ±1, the gain is near 1 around 0 (paper, appendix A).
SQUASH_AMPLITUDE, SQUASH_SLOPE = 1.7159, 2 / 3
# The paper scales input pixels so the background is -0.1 and the ink 1.175 (mean near 0, variance near 1).
BACKGROUND, INK = -0.1, 1.175

# Table I: the S2 maps (0-5) that feed each of C3's 16 maps. Six take 3 neighbouring maps, six take 4
# neighbouring maps, three take 4 non-neighbouring ones, the last takes all six.
TABLE_I: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)  # fmt: skip

# Global step sizes of the paper's 20 passes (section V-B): 0.0005 for 2, 0.0002 for 3, 0.0001 for 3,
# 0.00005 for 4, then 0.00001.
PAPER_STEP_SIZES: tuple[float, ...] = (5e-4,) * 2 + (2e-4,) * 3 + (1e-4,) * 3 + (5e-5,) * 4 + (1e-5,) * 8

# 7×12 bitmaps of the digits, drawn for the course in the style of the paper's Fig. 3 (the paper's own
# bitmaps are not published as data). '#' is +1, '.' is -1.
DIGIT_BITMAPS: tuple[str, ...] = (
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


def squash(a: torch.Tensor) -> torch.Tensor:
    """The paper's squashing function f(a) = 1.7159 tanh(2a/3)."""
    return SQUASH_AMPLITUDE * torch.tanh(SQUASH_SLOPE * a)


class ScaledTanh(nn.Module):
    """:func:`squash` as a layer."""

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        return squash(a)


class PaperInput(nn.Module):
    """28×28 images in [0, 1] (white background 0) to the paper's 32×32 field: ink 1.175, background -0.1."""

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if X.shape[-2:] != (28, 28):
            raise ValueError(f"LeNet-5 here takes 28×28 MNIST images and pads them to 32×32; got {tuple(X.shape)}")
        return BACKGROUND + (INK - BACKGROUND) * F.pad(X, (2, 2, 2, 2))


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


class PartialConv2d(nn.Module):
    """A convolution in which output map ``j`` sees only the input maps ``table[j]`` (C3 with Table I).

    Only the kernels the table names are parameters (``weight`` holds them packed, one per connected pair), so
    ``numel`` counts what the paper counts; each forward pass scatters them into a dense kernel for one conv2d.
    """

    def __init__(self, table: Sequence[Sequence[int]], in_channels: int, kernel_size: int) -> None:
        super().__init__()
        pairs = [(out, inp) for out, inputs in enumerate(table) for inp in inputs]
        if any(not 0 <= inp < in_channels for _, inp in pairs):
            raise ValueError(f"the connection table names an input map outside 0..{in_channels - 1}")
        self.table = tuple(tuple(inputs) for inputs in table)
        self.in_channels, self.out_channels, self.kernel_size = in_channels, len(table), kernel_size
        self.register_buffer("pair_index", torch.tensor([out * in_channels + inp for out, inp in pairs]))
        self.weight = nn.Parameter(torch.zeros(len(pairs), kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(len(table)))

    def dense_weight(self, packed: torch.Tensor | None = None) -> torch.Tensor:
        """The kernel as a (out, in, k, k) tensor, zero where the table has no connection.

        ``packed``: kernels laid out as ``weight`` (default ``weight`` itself).
        """
        packed = self.weight if packed is None else packed
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


def bitmap_codes() -> torch.Tensor:
    """The ten 7×12 digit bitmaps as a (10, 84) tensor of ±1 (the paper's kind of RBF code)."""
    rows = []
    for drawing in DIGIT_BITMAPS:
        pixels = drawing.replace(" ", "")
        if len(pixels) != 84:
            raise ValueError(f"a digit bitmap must have 7×12 = 84 pixels, got {len(pixels)}")
        rows.append([1.0 if p == "#" else -1.0 for p in pixels])
    return torch.tensor(rows)


def random_codes(seed: int = 0, num_classes: int = 10, length: int = 84) -> torch.Tensor:
    """A fixed random ±1 code per class, the choice the paper names before its bitmaps (section II-B).

    The paper's bitmaps serve strings of ASCII characters, where look-alike characters should get nearby codes; for
    isolated digits it calls them "not particularly useful". Random codes lie further apart (a larger Hamming
    distance between classes), and :func:`lenet5` uses ``random_codes(0)`` unless given others.
    """
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 2, (num_classes, length), generator=generator).float() * 2 - 1


def lenet5(codes: torch.Tensor | None = None) -> nn.Sequential:
    """LeNet-5 of the 1998 paper for 1×28×28 MNIST batches in [0, 1], initialised as the paper (:func:`init_lenet5`).

    ``codes``: the RBF targets, (10, 84) of ±1; default ``random_codes(0)`` (:func:`bitmap_codes` gives the
    course's 7×12 digit drawings). Top-level layers are named as in the paper (``C1``, ``S2``, …, ``output``); the
    output is minus the RBF penalties, shape (N, 10).
    """
    codes = random_codes(0) if codes is None else codes
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


def _fan_in(module: nn.Module) -> float | torch.Tensor | None:
    """Inputs per unit of a layer with trainable weights (per output map for :class:`PartialConv2d`)."""
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
    """The paper's initialisation: every weight and bias uniform in ±2.4/F_in, F_in the fan-in of its unit.

    Small enough that the sums start in the squashing function's linear range, large enough to learn
    (paper, appendix A). C3's maps have different fan-ins (75, 100 or 150), so each gets its own range.
    """
    with torch.no_grad():
        for module in net.modules():
            fan_in = _fan_in(module)
            if fan_in is None:
                continue
            if isinstance(module, PartialConv2d):
                owner = module.pair_index // module.in_channels  # output map of each packed kernel
                bound_w, bound_b = (2.4 / fan_in)[owner].view(-1, 1, 1), 2.4 / fan_in
            else:
                bound_w = bound_b = 2.4 / fan_in
            module.weight.copy_((torch.rand_like(module.weight) * 2 - 1) * bound_w)
            module.bias.copy_((torch.rand_like(module.bias) * 2 - 1) * bound_b)


def _connections(module: nn.Module, output: torch.Tensor) -> int:
    """Connections of one leaf layer for one example: inputs (and bias) per output unit, summed over units."""
    if hasattr(module, "connections"):
        return module.connections(output)
    if isinstance(module, nn.Conv2d):
        per_unit = module.weight[0].numel() + (module.bias is not None)
        return output[0].numel() * per_unit
    if isinstance(module, nn.Linear):
        return output[0].numel() * (module.in_features + (module.bias is not None))
    return 0


@dataclass(frozen=True)
class LayerCount:
    """One top-level layer: its output shape, trainable parameters and connections (for one example)."""

    name: str
    output_shape: tuple[int, ...]
    parameters: int
    connections: int


def layer_counts(net: nn.Module, X: torch.Tensor | Sequence[int] = (1, 1, 28, 28)) -> list[LayerCount]:
    """Trainable parameters and connections of each top-level layer of ``net``, as the paper counts them.

    A connection is one input (or the bias) of one unit: a layer shares parameters across units, so it has
    more connections than parameters. Fixed buffers (the RBF codes) are not parameters. The net runs once on
    ``X`` (a tensor or a shape) in eval mode under ``no_grad`` and is left in the mode it was in.
    """
    X = torch.zeros(*X) if not isinstance(X, torch.Tensor) else X
    counts: dict[nn.Module, int] = {}
    hooks = [m.register_forward_hook(lambda m, _, out: counts.__setitem__(m, _connections(m, out)))
             for m in net.modules() if not list(m.children())]  # fmt: skip
    was_training = net.training
    rows = []
    try:
        net.eval()
        with torch.no_grad():
            for name, layer in net.named_children():
                X = layer(X)
                params = sum(p.numel() for p in layer.parameters() if p.requires_grad)
                conns = sum(counts.get(m, 0) for m in layer.modules())
                rows.append(LayerCount(name, tuple(X.shape), params, conns))
    finally:
        net.train(was_training)
        for hook in hooks:
            hook.remove()
    return rows


def format_layer_counts(rows: Iterable[LayerCount]) -> str:
    """The rows as an aligned table: layer, output shape, trainable parameters, connections."""
    lines = [f"{'layer':<7}{'output shape':<20}{'parameters':>11}{'connections':>13}"]
    lines += [f"{r.name:<7}{str(list(r.output_shape)):<20}{r.parameters:>11,}{r.connections:>13,}" for r in rows]
    return "\n".join(lines)


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


def step_schedule(scale: float, num_epochs: int = 20) -> list[float]:
    """The paper's global step sizes for ``num_epochs`` passes (the last one repeated), times ``scale``."""
    steps = [PAPER_STEP_SIZES[min(i, len(PAPER_STEP_SIZES) - 1)] for i in range(num_epochs)]
    return [scale * s for s in steps]


def train_lenet5(
    net: nn.Module, train_iter: Iterable, test_iter: Iterable, lrs: Sequence[float], *,
    loss_fn: nn.Module | None = None, momentum: float = 0.0, mu: float | None = None, curvature_images: int = 500,
    device: torch.device | str | None = None,
) -> TrainHistory:  # fmt: skip
    """Train ``net`` one pass per entry of ``lrs`` with the course's epoch loop; return the per-pass history.

    ``mu=None``: minibatch SGD at step size ``lrs[epoch]`` (with ``momentum``). ``mu`` given: the paper's
    :class:`SDLM`, each weight at ``lrs[epoch] / (mu + h_kk)``, h_kk re-estimated before each pass on the first
    ``curvature_images`` images of that pass. Does not re-initialise ``net`` (``lenet5()`` already did, as the
    paper). ``loss_fn`` defaults to :class:`LeNet5Loss`. Smoke mode caps the passes like ``train_ch6``.
    """
    if mu is not None and momentum:
        raise ValueError(f"SDLM (mu={mu!r}) has no momentum; pass momentum=0 with mu, or mu=None for SGD with momentum")
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
        timer = Timer()
        timer.start()
        metrics = train_epoch_ch6(net, train_iter, loss_fn, optimizer, device)
        seconds = timer.stop()
        history.add_epoch(epoch + 1, metrics, evaluate_accuracy_gpu(net, test_iter, device), seconds)
    return history


# --- the paper's optimiser: stochastic diagonal Levenberg-Marquardt (appendix C) ---------------------------------


def squash_gain(a: torch.Tensor) -> torch.Tensor:
    """f'(a) for the squashing function: A S (1 - tanh²(S a))."""
    return SQUASH_AMPLITUDE * SQUASH_SLOPE * (1 - torch.tanh(SQUASH_SLOPE * a).square())


def _weighted_layers(net: nn.Module) -> list[nn.Module]:
    """The layers with a weight and a bias of their own, input to output (C1, S2, C3, S4, C5, F6)."""
    return [m for m in net.modules() if set(dict(m.named_parameters(recurse=False))) == {"weight", "bias"}]


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
    """The paper's estimate h_kk of the loss's second derivative for every weight, averaged over the images ``X``.

    Appendix C's Gauss-Newton recursion, backwards from F6: ∂²E/∂a² = f'(a)² Σ w² ∂²E/∂x² for each unit's sum
    ``a``, then h = Σ over a weight's connections of ∂²E/∂a² x² (shared weights add up their connections). At
    F6, ∂²E/∂x² is ``output_curvature`` (2: the second derivative of the correct class's penalty (x - w)²).
    Autograd computes it: the recursion is the backward pass of a copy of the net whose weights and inputs are
    squared and whose squashing slopes are squared. ``net`` is a :func:`lenet5` (the recursion assumes the
    squashing function after every weighted layer). Returns one tensor per parameter name; ``net`` is unchanged.
    """
    if not isinstance(getattr(net, "input", None), PaperInput):
        raise TypeError(
            f"curvature_diagonal follows the paper's LeNet-5 (du.lenet5(), squashed after every layer); got a "
            f"{type(net).__name__} without its PaperInput layer. Train other nets with mu=None (plain SGD)."
        )
    layers = _weighted_layers(net)
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
        z = squash_gain(a).square() * _affine(layer, u, weight2, bias2)
    grads = torch.autograd.grad(output_curvature * z.sum() / len(X), [t for pair in squared for t in pair])
    owner = {id(p): n for n, p in net.named_parameters()}
    params = [p for layer in layers for p in (layer.weight, layer.bias)]
    return {owner[id(p)]: g for p, g in zip(params, grads, strict=True)}


class SDLM(torch.optim.Optimizer):
    """Stochastic diagonal Levenberg-Marquardt: each weight steps by lr / (mu + h_kk) times its gradient.

    ``h_kk`` comes from :func:`curvature_diagonal`; call :meth:`set_curvature` before the first step and
    whenever it is re-estimated (the paper: on 500 images before each pass). ``mu`` keeps the step finite where
    the curvature is near zero (the paper: 0.02).
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float, mu: float = 0.02) -> None:
        if not mu > 0:
            raise ValueError(f"mu must be positive (it bounds the step where h_kk is 0), got {mu!r}")
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
    images, total = [], 0
    for X, _ in train_iter:
        images.append(X)
        total += len(X)
        if total >= count:
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
    """Call ``train_one(seed)`` (which returns a test accuracy) for each seed; time each run.

    CPU time is the process's (all its threads), so it stays comparable when other jobs share the cores and
    stretch the wall time.
    """
    runs = []
    for seed in seeds:
        cpu, wall = time.process_time(), time.perf_counter()
        accuracy = train_one(seed)
        if not 0.0 <= accuracy <= 1.0:
            raise ValueError(f"train_one must return a test accuracy in [0, 1], got {accuracy!r}")
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        runs.append(SeedRun(seed, 100 * (1 - accuracy), cpu / 60, wall / 60))
    return runs


def _mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def mean_error_line(runs: Sequence[SeedRun]) -> str:
    """``mean test error X.XX% ± Y.YY% over N seeds`` (sample standard deviation)."""
    mean, sd = _mean_sd([r.test_error for r in runs])
    return f"mean test error {mean:.2f}% ± {sd:.2f}% over {len(runs)} seeds"


def format_ablation(results: dict[str, Sequence[SeedRun]]) -> str:
    """One row per model: test error mean ± sd over its seeds, then CPU and wall minutes per seed (mean)."""
    width = max(len(name) for name in results) + 2
    lines = [f"{'model':<{width}}{'test error':>16}{'seeds':>7}{'CPU min/seed':>14}{'wall min/seed':>15}"]
    for name, runs in results.items():
        mean, sd = _mean_sd([r.test_error for r in runs])
        cpu, wall = (statistics.fmean(getattr(r, k) for r in runs) for k in ("cpu_minutes", "wall_minutes"))
        lines.append(f"{name:<{width}}{f'{mean:.2f}% ± {sd:.2f}%':>16}{len(runs):>7}{cpu:>14.1f}{wall:>15.1f}")
    return "\n".join(lines)


__all__ = [
    "DIGIT_BITMAPS", "PAPER_STEP_SIZES", "SDLM", "TABLE_I", "EuclideanRBF", "LayerCount", "LeNet5Loss", "PaperInput",
    "PartialConv2d", "ScaledTanh", "SeedRun", "Subsampling", "bitmap_codes", "curvature_diagonal", "format_ablation",
    "format_layer_counts", "init_lenet5", "layer_counts", "lenet5", "mean_error_line", "random_codes", "run_seeds",
    "squash", "squash_gain", "step_schedule", "train_lenet5",
]  # fmt: skip
