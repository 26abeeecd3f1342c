"""Receptive fields through a whole network: the layer-by-layer recurrence, a gradient check, and a picture.

Each spatial layer (kernel ``k``, dilation ``d``, stride ``s``, padding ``p``) updates the field size
``r ← r + (d·(k − 1))·J``, the jump ``J ← J·s`` and the start ``start ← start − p·J``; output element ``i`` sees
input pixels ``start + i·J`` to ``start + i·J + r − 1``. The walk follows the graph :mod:`torch.fx` traces, so
functional calls count, branches run side by side and merges take the union of fields; a step it cannot follow
raises an error instead of a wrong number. :func:`gradient_receptive_field` measures the same from gradients."""

from __future__ import annotations

import copy
import inspect
import operator
import warnings
from collections.abc import Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import fx, nn

from .guard_rails.checks import check_module, is_positive_int, module_device
from .models import BatchNorm as CourseBatchNorm
from .shapes import conv_output_size, int_pair, unchanged

UNDER_REPORT_WARNING = (
    "gradients under-report the receptive field through ReLU and max pooling (they zero some paths); "
    "use exact=True to measure the field of the linearised network"
)
STATISTICS_WARNING = (
    "normalisation statistics mix pixels: {names} average over the whole image, so the gradient reaches every "
    "pixel and the measurement is not the receptive field; call net.eval() first (batch norm then uses its "
    "running statistics), or use exact=True"
)
DROPOUT_WARNING = (
    "{names} in training mode zero random paths, so the gradient under-reports the receptive field; call "
    "net.eval() first, or use exact=True"
)


class ReceptiveFieldError(TypeError):
    """A step of the network whose effect on positions the receptive-field walk does not know."""


class FieldRow(NamedTuple):
    """One layer of a receptive-field table, all sizes in input pixels along one axis."""

    name: str
    kernel: int
    stride: int
    jump: int
    size: int
    start: int


_POSITIONAL_MODULES = {
    f"torch.nn.modules.{name}" for name in ("conv", "pooling", "padding", "upsampling", "pixelshuffle", "fold")
} | {"torch.nn.modules.flatten"}


# Signatures of the functional window operations, to read their arguments however they were passed.
def _max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False): ...
def _avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                divisor_override=None): ...  # fmt: skip


_WINDOW_FUNCTIONS = {F.max_pool2d: _max_pool2d, F.avg_pool2d: _avg_pool2d}
# What a function, or a method (by its name), does to positions; see _kind.
_TARGET_KINDS = {
    **dict.fromkeys(_WINDOW_FUNCTIONS, "window"),
    **dict.fromkeys((torch.flatten, F.adaptive_avg_pool2d, F.adaptive_max_pool2d, F.linear, "view", "reshape",
                     "flatten"), "global"),
    **dict.fromkeys((F.relu, torch.relu, F.relu6, F.leaky_relu, F.elu, F.gelu, F.silu, F.hardswish, torch.sigmoid,
                     F.sigmoid, torch.tanh, F.tanh, F.dropout, F.dropout2d, F.batch_norm, F.local_response_norm,
                     torch.neg, operator.neg, "relu", "relu_", "sigmoid", "sigmoid_", "tanh", "tanh_", "neg",
                     "contiguous", "clone", "float", "double", "half", "to", "type_as", "clamp", "clamp_"),
                    "elementwise"),
    **dict.fromkeys((operator.add, operator.sub, operator.mul, operator.truediv, operator.iadd, torch.add, torch.sub,
                     torch.mul, torch.cat, "add", "add_", "sub", "sub_", "mul", "mul_", "div", "div_"), "merge"),
    **dict.fromkeys(("size", "dim"), "none"),
}  # fmt: skip
_NON_TENSOR_ATTRIBUTES = {"shape", "ndim", "dtype", "device", "is_cuda", "requires_grad"}


class _Tracer(fx.Tracer):
    """Trace into every block but PyTorch's own layers and the course's ``BatchNorm`` (its forward checks shapes)."""

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return isinstance(m, CourseBatchNorm) or super().is_leaf_module(m, module_qualified_name)


def _trace(net: nn.Module) -> fx.GraphModule:
    """``net`` as a graph of the operations its ``forward`` runs; a block that cannot be traced is named."""
    tracer = _Tracer()
    try:
        graph = tracer.trace(net)
    except Exception as err:  # fx raises TraceError, TypeError, ... depending on what forward does
        name, kind = list(tracer.module_stack.values())[-1] if tracer.module_stack else ("", type(net))
        raise ReceptiveFieldError(
            f"receptive_fields cannot follow {_block(name, kind)}: torch.fx could not trace its forward ({err}). "
            "This happens when forward branches on tensor values or shapes. Write that block without such Python "
            "branches, or pass only the part of the net before it (e.g. net[:k])."
        ) from err
    return fx.GraphModule(net, graph)


def _block(name: str, kind: type) -> str:
    return f"block {name!r} ({kind.__name__})" if name else f"the net ({kind.__name__})"


def _enclosing(node: fx.Node) -> str:
    """The innermost module a traced call came from, for error messages."""
    stack = node.meta.get("nn_module_stack")
    return _block(*list(stack.values())[-1]) if stack else "the net's forward"


def _window(kernel, stride, padding, dilation, axis: int) -> tuple[int, int, int, int]:
    """``(kernel, stride, padding, dilation)`` along ``axis``; a missing stride means the kernel size (pooling), and
    the padding is the one before the first element (PyTorch's ``"same"`` puts the smaller half first)."""
    k = int_pair(kernel)[axis]
    s = k if stride is None or stride == [] else int_pair(stride)[axis]
    d = int_pair(dilation)[axis]
    p = 0 if padding == "valid" else d * (k - 1) // 2 if padding == "same" else int_pair(padding)[axis]
    return k, s, p, d


def _window_of(gm: fx.GraphModule, node: fx.Node, axis: int) -> tuple[int, int, int, int]:
    """The window of a pooling or convolution layer, or of a pooling call however its arguments were passed."""
    if node.op == "call_module":
        args = vars(gm.get_submodule(node.target))  # the layer keeps kernel_size, stride, ... as attributes
    else:
        args = inspect.signature(_WINDOW_FUNCTIONS[node.target]).bind(*node.args, **node.kwargs).arguments
    return _window(args["kernel_size"], args.get("stride"), args.get("padding", 0), args.get("dilation", 1), axis)


def _kind(gm: fx.GraphModule, node: fx.Node) -> str:
    """What a node does to positions: window, global, merge, elementwise, pass (no row), none (not a tensor)."""
    if node.op == "call_module":
        return _module_kind(gm.get_submodule(node.target))
    if node.target is torch.cat:  # concatenating along height or width moves positions
        dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
        return "merge" if dim in (0, 1, -3, -4) else "unknown"
    if node.target is getattr:  # x.data holds x's values; x.mT, x.T swap height and width
        return "pass" if node.args[1] == "data" else "none" if node.args[1] in _NON_TENSOR_ATTRIBUTES else "unknown"
    if node.target is operator.getitem and isinstance(node.args[1], int):
        return "pass"  # one output of a layer that returns several, e.g. MaxPool2d(return_indices=True)
    return _TARGET_KINDS.get(node.target, "unknown")


def _module_kind(layer: nn.Module) -> str:
    if isinstance(layer, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
        return "window"
    if isinstance(layer, (nn.Flatten, nn.Linear, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        return "global"
    if type(layer).__module__ in _POSITIONAL_MODULES or isinstance(layer, nn.MultiheadAttention):
        return "unknown"
    return "elementwise"  # activations, dropout, normalisation, Identity: one output element per input element


def _row_name(gm: fx.GraphModule, node: fx.Node) -> str:
    if node.op == "call_module":
        return f"{node.target}: {type(gm.get_submodule(node.target)).__name__}"
    return f"{node.name}: {getattr(node.target, '__name__', node.target)}"  # a method's target is its name


def _step(gm: fx.GraphModule, node: fx.Node, kind: str, fields: list[FieldRow], axis: int) -> FieldRow:
    """The row of ``node``, from the fields of its inputs."""
    name, first = _row_name(gm, node), fields[0]
    if kind == "window":
        k, s, p, d = _window_of(gm, node, axis)
        return FieldRow(name, k, s, first.jump * s, first.size + d * (k - 1) * first.jump, first.start - p * first.jump)
    if kind == "merge" and len(fields) > 1:
        if len({f.jump for f in fields}) > 1:
            raise ReceptiveFieldError(
                f"receptive_fields: {node.name} in {_enclosing(node)} merges paths whose elements are "
                f"{sorted({f.jump for f in fields})} input pixels apart; it only merges paths of the same stride"
            )
        start = min(f.start for f in fields)
        end = max(f.start + f.size for f in fields)
        return FieldRow(name, 1, 1, first.jump, end - start, start)
    return first._replace(name=name, kernel=1, stride=1)


def _walk(gm: fx.GraphModule, axis: int) -> tuple[list[FieldRow], fx.Node | None]:
    """The rows, and the last node with a spatial field (None if the input goes global first)."""
    state: dict[fx.Node, FieldRow] = {}
    rows, last = [], None
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            if not state:  # the first input is the image; others (if any) carry no field
                state[node] = FieldRow("input", 1, 1, 1, 1, 0)
            continue
        spatial = [n for n in node.all_input_nodes if n in state]
        if node.op == "output":
            return rows, spatial[0] if spatial else last
        if node.op == "get_attr" or not spatial:
            continue  # depends on parameters or constants only
        kind = _kind(gm, node)
        if kind == "global":
            return rows, spatial[0]
        if kind == "none":
            continue
        if kind == "unknown":
            raise _unknown_step(gm, node)
        state[node] = _step(gm, node, kind, [state[n] for n in spatial], axis)
        if kind != "pass":
            rows.append(state[node])
            last = node
    return rows, last


def _unknown_step(gm: fx.GraphModule, node: fx.Node) -> ReceptiveFieldError:
    if node.op == "call_module":
        what = f"{node.target} ({type(gm.get_submodule(node.target)).__name__})"
    elif node.target is getattr:
        what = f"the attribute .{node.args[1]} of the output of {_row_name(gm, node.args[0])}"
    else:
        what = f"{getattr(node.target, '__name__', node.target)} in {_enclosing(node)}"
    return ReceptiveFieldError(
        f"receptive_fields does not know how {what} moves positions; it follows Conv2d, MaxPool2d, AvgPool2d "
        "(as layers, or F.max_pool2d/F.avg_pool2d), element-wise layers (activations, dropout, norms) and "
        "merges (torch.cat along channels, +, *). Compute that step's field by hand, or pass only the part of the "
        "net before it (e.g. net[:k])."
    )


def _fields_of(net: nn.Module, axis: int) -> tuple[fx.GraphModule, list[FieldRow], fx.Node]:
    check_module(net)
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 (height) or 1 (width), got {axis!r}")
    with unchanged(net):  # tracing runs forward, which may assign to the net's attributes
        gm = _trace(net)
    rows, last = _walk(gm, axis)
    if not rows:
        raise ValueError(
            f"{type(net).__name__} has no spatial layer before its first Flatten, Linear or global pooling: "
            "every unit there sees the whole input"
        )
    return gm, rows, last


def receptive_fields(net: nn.Module, axis: int = 0) -> list[FieldRow]:
    """Receptive field of one output element after each spatial step of ``net``, in the order ``forward`` runs
    (``axis`` 0 or 1), up to the first step that sees the whole image, e.g. 16 for ``du.lenet()``."""
    return _fields_of(net, axis)[1]


def format_receptive_fields(rows: Sequence[FieldRow]) -> str:
    """The rows as a fixed-width table, one line per layer."""
    width = max([18, *(len(r.name) for r in rows)])
    lines = [f"{'layer':<{width}} {'kernel':>6} {'stride':>6} {'jump':>5} {'field':>6}"]
    lines += [f"{r.name:<{width}} {r.kernel:>6} {r.stride:>6} {r.jump:>5} {r.size:>6}" for r in rows]
    return "\n".join(lines)


def field_box(row: FieldRow, i: int, j: int, row_w: FieldRow | None = None) -> tuple[int, int, int, int]:
    """``(top, left, height, width)`` in input pixels (possibly in the padding) of output element ``(i, j)``'s field."""
    row_w = row if row_w is None else row_w
    return row.start + i * row.jump, row_w.start + j * row_w.jump, row.size, row_w.size


def _window_sum(X, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, *_, **__):
    """Sum over each pooling window (padding, dilation and ceil mode as ``F.max_pool2d``): no path is zeroed."""
    k, s, p, d = (tuple(_window(kernel_size, stride, padding, dilation, a)[i] for a in (0, 1)) for i in range(4))
    out = [conv_output_size(X.shape[-2 + a], k[a], p[a], s[a], d[a], ceil_mode) for a in (0, 1)]
    reach = [d[a] * (k[a] - 1) for a in (0, 1)]  # zeros after the input for a last window that hangs over (ceil mode)
    X = F.pad(X, (p[1], p[1] + reach[1], p[0], p[0] + reach[0]))
    ones = torch.ones(X.shape[1], 1, *k, dtype=X.dtype, device=X.device)
    return F.conv2d(X, ones, stride=s, dilation=d, groups=X.shape[1])[..., : out[0], : out[1]]


def _linearise(gm: fx.GraphModule) -> None:
    """Make every path count, in place: weights 1, identity activations and norms, max pooling as window sums."""
    with torch.no_grad():
        for p in gm.parameters():
            p.fill_(1.0)
    for node in list(gm.graph.nodes):
        layer = gm.get_submodule(node.target) if node.op == "call_module" else None
        if isinstance(layer, nn.MaxPool2d):
            node.op, node.target = "call_function", _window_sum
            node.args = (node.args[0], layer.kernel_size, layer.stride, layer.padding, layer.dilation, layer.ceil_mode)
        elif node.op in ("call_function", "call_method") and node.target is F.max_pool2d:
            node.target = _window_sum
        elif node.op in ("call_function", "call_method") and node.target in (operator.sub, torch.sub, "sub", "sub_"):
            node.op, node.target = "call_function", operator.add  # a difference could cancel a path
        elif node.op.startswith("call_") and _kind(gm, node) == "elementwise" and node.target not in ("to", "float"):
            node.replace_all_uses_with(node.args[0])  # an identity; a dtype change ("to", "float") stays
            gm.graph.erase_node(node)
    gm.recompile()


def _measurement_warnings(gm: fx.GraphModule) -> None:
    """Say when the real network's gradient is not its receptive field: zeroed paths, or statistics over pixels."""
    under, mixing, dropped = False, [], []
    for node in gm.graph.nodes:
        if node.op == "call_module":
            layer = gm.get_submodule(node.target)
            under |= isinstance(layer, (nn.ReLU, nn.MaxPool2d))
            if isinstance(layer, nn.modules.dropout._DropoutNd) and layer.training:
                dropped.append(f"{node.target} ({type(layer).__name__})")
            batch_stats = isinstance(layer, (nn.modules.batchnorm._BatchNorm, CourseBatchNorm)) and layer.training
            if batch_stats or isinstance(layer, (nn.modules.instancenorm._InstanceNorm, nn.GroupNorm, nn.LayerNorm)):
                mixing.append(f"{node.target} ({type(layer).__name__}{', training mode' if batch_stats else ''})")
        elif node.op in ("call_function", "call_method"):
            under |= node.target in {F.relu, torch.relu, F.max_pool2d, "relu", "relu_"}
            if node.target is F.batch_norm and node.kwargs.get("training", False):
                mixing.append(f"{node.name} (F.batch_norm, training=True)")
    if under:
        warnings.warn(UNDER_REPORT_WARNING, stacklevel=3)
    for message, names in ((STATISTICS_WARNING, mixing), (DROPOUT_WARNING, dropped)):
        if names:
            warnings.warn(message.format(names=", ".join(names)), stacklevel=3)


def gradient_receptive_field(
    net: nn.Module, input_shape: Sequence[int], position: tuple[int, int] | None = None, exact: bool = True
) -> tuple[int, int]:
    """Measure ``(height, width)`` of one output element's field (default the centre) from the input pixels its gradient
    reaches, ``net`` left as it was: ``exact=True`` linearises a copy (weights 1, no activations, max pooling as a
    window sum) to equal :func:`receptive_fields` inside the image; ``exact=False`` runs a copy as it is and warns where
    ReLU, max pooling or batch statistics make the gradient under- or over-report."""
    check_module(net)
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list, torch.Size)) else None
    if shape is None or len(shape) not in (3, 4) or not all(is_positive_int(s) for s in shape):
        raise ValueError(f"input_shape must be (C, H, W) or (N, C, H, W) of positive integers, got {input_shape!r}")
    with unchanged(net):
        body, _, last = _fields_of(copy.deepcopy(net), 0)
        body.graph.output_node().args = (last,)  # measure at the last spatial step, not the net's output
        body.graph.eliminate_dead_code()
        body.recompile()
        if exact:
            _linearise(body)
        else:
            _measurement_warnings(body)
        make = torch.ones if exact else torch.randn
        X = make((1, *(int(s) for s in shape[-3:])), device=module_device(body)).requires_grad_(True)
        with torch.enable_grad():
            out = body(X)
            i, j = position if position is not None else (out.shape[-2] // 2, out.shape[-1] // 2)
            out[0, :, i, j].sum().backward()
    reached = X.grad[0].abs().sum(0).nonzero()  # (row, column) of each pixel; a dilated field has gaps, spans this far
    return tuple(int(hits.max() - hits.min() + 1) if len(hits) else 0 for hits in reached.unbind(1))


def plot_receptive_field(ax, image, net: nn.Module, positions: Sequence[tuple[int, int]]):
    """Draw ``image`` (H×W) on ``ax`` with the receptive fields of the last spatial layer's ``positions``."""
    from matplotlib.patches import Rectangle

    rows_h, rows_w = receptive_fields(net, axis=0)[-1], receptive_fields(net, axis=1)[-1]
    ax.imshow(torch.as_tensor(image).detach().cpu().numpy(), cmap="gray")  # a tensor straight to imshow warns
    colors = ["tab:red", "tab:orange", "tab:cyan", "tab:green"]
    for n, (i, j) in enumerate(positions):
        top, left, h, w = field_box(rows_h, i, j, rows_w)
        color = colors[n % len(colors)]
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), w, h, fill=False, edgecolor=color, linewidth=2))
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), w, h, facecolor=color, alpha=0.12, linewidth=0))
        ax.plot(left + (w - 1) / 2, top + (h - 1) / 2, "+", color=color)
    ax.set(xlim=(-0.5, image.shape[1] - 0.5), ylim=(image.shape[0] - 0.5, -0.5), xticks=[], yticks=[])
    return ax
