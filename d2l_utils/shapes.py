"""Shapes: the layer-by-layer shape probe, output sizes from layer hyper-parameters, and facts about a module.

The module facts (its device, its leaf layers, a safe eval mode) are what every probe of a net needs.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

import torch
from torch import nn

# --- facts about a module ------------------------------------------------------------------------------------------


def module_device(net: nn.Module) -> torch.device:
    """The device of ``net``'s first parameter (the CPU for a net without parameters, e.g. pooling alone)."""
    param = next(net.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def is_leaf(module: nn.Module) -> bool:
    """True for a module with no children: a layer that computes, not a container."""
    return next(module.children(), None) is None


def leaf_modules(net: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(qualified name, module)`` of every leaf layer, in definition order: the rows of a shape table."""
    return [(name, m) for name, m in net.named_modules() if is_leaf(m)]


@contextlib.contextmanager
def eval_mode(net: nn.Module) -> Iterator[nn.Module]:
    """Put ``net`` in eval mode for a block, then give every submodule back its own mode.

    Restoring only the top module's flag (``net.train(was_training)``) would switch a deliberately frozen part,
    e.g. a BatchNorm kept in eval mode while the rest fine-tunes, back into training mode.
    """
    modes = [(module, module.training) for module in net.modules()]
    net.eval()
    try:
        yield net
    finally:
        for module, training in modes:
            module.training = training


# --- the shape probe -----------------------------------------------------------------------------------------------


class LayerRow(NamedTuple):
    """One line of a shape table: the leaf layer's position, qualified name, class and output shape.

    ``output_shape`` is a tuple of shapes for a layer with several outputs, e.g. ``MaxPool2d(return_indices=True)``.
    """

    index: int
    name: str
    layer_type: str
    output_shape: torch.Size | tuple[torch.Size, ...]


class ShapeMismatchError(ValueError):
    """An input did not fit a network; the message names the layer, the shape that reached it and what it wanted."""

    def __init__(self, message: str, *, index: int, name: str, layer_type: str, input_shape: torch.Size | None):
        super().__init__(message)
        self.index, self.name, self.layer_type, self.input_shape = index, name, layer_type, input_shape


def int_pair(value: int | Sequence[int]) -> tuple[int, int]:
    """A layer's size setting (``kernel_size``, ``stride``, ``padding``, ...) as (height, width)."""
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def conv_output_size(
    n: int, kernel_size: int, padding: int = 0, stride: int = 1, dilation: int = 1, ceil_mode: bool = False
) -> int:
    """Output length along one side of a convolution or pooling window: ⌊(n + 2p − d·(k − 1) − 1) / s⌋ + 1.

    With dilation 1 this is the book's ⌊(n − k + 2p) / s⌋ + 1. ``ceil_mode`` rounds up, as pooling layers may:
    then a last window may hang over the end, as long as it starts inside the input or the left padding.
    Raises ``ValueError``, as PyTorch's layers do, for a kernel, stride or dilation below 1 or a negative
    padding, and when not a single window fits in the padded input.
    """
    _check_window(kernel_size=kernel_size, stride=stride, dilation=dilation, padding=padding)
    span = dilation * (kernel_size - 1) + 1
    rounding = math.ceil if ceil_mode else math.floor
    out = rounding((n + 2 * padding - span) / stride) + 1
    if ceil_mode and (out - 1) * stride >= n + padding:
        out -= 1  # PyTorch's rule: the last window must start inside the input or left padding
    if out < 1:
        raise ValueError(
            f"a window of size {span} (kernel_size={kernel_size}, dilation={dilation}) does not fit an input of "
            f"size {n} with padding {padding}"
        )
    return out


def _check_window(**values: int) -> None:
    """Reject hyper-parameters PyTorch's convolution and pooling layers reject (padding may be 0, others not)."""
    for name, value in values.items():
        smallest = 0 if name == "padding" else 1
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < smallest:
            raise ValueError(f"{name} must be an integer of at least {smallest}, got {value!r}")


def _window_output(layer: nn.Module, h: int, w: int) -> tuple[int, int]:
    """Output (height, width) of a convolution or pooling layer for an input of (h, w)."""
    if layer.padding == "same":  # Conv2d(padding="same"), stride 1: the output keeps the input's size
        return h, w
    k, s = (int_pair(getattr(layer, a)) for a in ("kernel_size", "stride"))
    d = int_pair(getattr(layer, "dilation", 1))
    p = (0, 0) if layer.padding == "valid" else int_pair(layer.padding)
    ceil = bool(getattr(layer, "ceil_mode", False))
    return tuple(conv_output_size(n, k[i], p[i], s[i], d[i], ceil) for i, n in enumerate((h, w)))


def output_shape(layer: nn.Module, input_shape: Sequence[int]) -> tuple[int, ...]:
    """The output shape a layer gives for ``input_shape``, computed from its hyper-parameters alone.

    Knows ``Conv2d``, ``MaxPool2d``, ``AvgPool2d``, ``Flatten``, ``Linear`` and shape-preserving layers
    (activations, dropout, batch norm). Used to explain shape tables without running the layer.
    """
    shape = tuple(int(s) for s in input_shape)
    if isinstance(layer, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
        *lead, h, w = shape
        if isinstance(layer, nn.Conv2d):
            if lead[-1] != layer.in_channels:
                raise ValueError(f"{layer} expects {layer.in_channels} input channels, got {lead[-1]}")
            lead = [*lead[:-1], layer.out_channels]
        return (*lead, *_window_output(layer, h, w))
    if isinstance(layer, nn.Flatten):
        start, end = layer.start_dim % len(shape), layer.end_dim % len(shape)
        return (*shape[:start], math.prod(shape[start : end + 1]), *shape[end + 1 :])
    if isinstance(layer, nn.Linear):
        if shape[-1] != layer.in_features:
            raise ValueError(f"{layer} expects in_features={layer.in_features}, got {shape[-1]}")
        return (*shape[:-1], layer.out_features)
    if isinstance(layer, nn.Sequential):
        for child in layer:
            shape = output_shape(child, shape)
        return shape
    if is_leaf(layer):
        return shape  # activations, dropout, normalisation: elementwise
    raise TypeError(f"output_shape does not know {type(layer).__name__}; run layer_summary on a real input")


def _expectation(layer: nn.Module) -> str:
    """What a layer needs of its input, in its own hyper-parameters' words."""
    if isinstance(layer, nn.Linear):
        return f"in_features={layer.in_features}, i.e. inputs of shape (batch, {layer.in_features})"
    if isinstance(layer, nn.Conv2d):
        return f"in_channels={layer.in_channels}, i.e. inputs of shape (batch, {layer.in_channels}, H, W)"
    if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return f"num_features={layer.num_features} channels"
    if isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
        return f"kernel_size={layer.kernel_size} to fit inside its (padded) input"
    return f"an input it can process ({layer})"


def _fits(layer: nn.Module, shape: Sequence[int]) -> bool:
    """True when ``layer`` is a kind whose input rules are known and ``shape`` follows them."""
    if not isinstance(layer, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.Linear)):
        return False
    if not isinstance(layer, nn.Linear) and len(shape) not in (3, 4):
        return False  # 2-D layers take (C, H, W) or (N, C, H, W)
    try:
        output_shape(layer, shape)
    except (ValueError, TypeError, IndexError):
        return False
    return True


def _output_shapes(output) -> torch.Size | tuple[torch.Size, ...]:
    """A layer's output shape; for layers with several outputs (``MaxPool2d(return_indices=True)``) each one's."""
    if isinstance(output, torch.Tensor):
        return output.shape
    return tuple(o.shape for o in output if isinstance(o, torch.Tensor))


def _probe(net: nn.Module, X: torch.Tensor) -> list[LayerRow]:
    """Run ``net(X)`` with hooks on every leaf; return the rows, or raise ShapeMismatchError naming the culprit."""
    leaves = leaf_modules(net)
    rows: list[LayerRow] = []
    entered: list[tuple[int, str, nn.Module, torch.Size | None]] = []
    handles = []

    def pre_hook(index: int, name: str) -> Callable:
        def hook(module, inputs):
            shape = inputs[0].shape if inputs and isinstance(inputs[0], torch.Tensor) else None
            entered.append((index, name, module, shape))

        return hook

    def post_hook(index: int, name: str) -> Callable:
        def hook(module, inputs, output):
            shape = _output_shapes(output)
            rows.append(LayerRow(index, name, type(module).__name__, shape))
            entered.pop()

        return hook

    for index, (name, module) in enumerate(leaves):
        handles.append(module.register_forward_pre_hook(pre_hook(index, name)))
        handles.append(module.register_forward_hook(post_hook(index, name)))
    try:
        net(X)
    except RuntimeError as err:
        if not entered:
            raise
        index, name, module, shape = entered[-1]
        if shape is not None and _fits(module, shape):
            raise  # the layer takes this shape: the error is about something else (dtype, device, memory)
        layer_type = type(module).__name__
        message = (
            f"Input of shape {tuple(X.shape)} does not fit the network: layer {index} "
            f"({layer_type}{f', named {name!r}' if name else ''}) received shape "
            f"{tuple(shape) if shape is not None else '?'} but expects {_expectation(module)}. "
            f"Check the input size (e.g. LeNet wants 1×28×28 images, the course's AlexNet 1×224×224) or change "
            "that layer."
        )  # PyTorch's own wording stays in the chained exception (``__cause__``); it changes between releases
        raise ShapeMismatchError(message, index=index, name=name, layer_type=layer_type, input_shape=shape) from err
    finally:
        for handle in handles:
            handle.remove()
    return rows


def _example_input(net: nn.Module, X: torch.Tensor | Sequence[int]) -> torch.Tensor:
    """``X`` on the net's device; a shape becomes a seeded random tensor of the net's (floating) dtype."""
    device = module_device(net)
    if isinstance(X, torch.Tensor):
        return X.to(device)
    if not (isinstance(X, (tuple, list, torch.Size)) and X and all(_is_size(n) for n in X)):
        raise TypeError(
            f"X must be a tensor or a shape such as (1, 1, 28, 28) (batch, channels, height, width), got {X!r}. "
            "For data in a list, pass torch.tensor(...) of it."
        )
    param = next(net.parameters(), None)
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    return torch.randn(*X, generator=torch.Generator().manual_seed(0), dtype=dtype).to(device)


def _is_size(n) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and n >= 1


def _check_batch_dimension(net: nn.Module, X: torch.Tensor) -> None:
    """A 3-D input to a net that starts with a 2-D layer is one image without its batch dimension: say so.

    PyTorch would run it as an unbatched image and fail (or worse, succeed) at some later layer.
    """
    leaves = leaf_modules(net)
    first = leaves[0][1] if leaves else None
    if X.ndim == 3 and isinstance(first, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
        raise ValueError(
            f"X has shape {tuple(X.shape)}: one image without a batch dimension. The net expects (batch, channels, "
            f"height, width): use X.unsqueeze(0), or the shape (1, {', '.join(str(n) for n in X.shape)})."
        )


def _probe_eval(net: nn.Module, X: torch.Tensor | Sequence[int]) -> list[LayerRow]:
    """:func:`_probe` in eval mode under ``no_grad``, leaving the net in the mode it was in."""
    X = _example_input(net, X)
    _check_batch_dimension(net, X)
    with eval_mode(net), torch.no_grad():
        return _probe(net, X)


def check_input_fits(net: nn.Module, X: torch.Tensor | Sequence[int]) -> None:
    """Raise :class:`ShapeMismatchError` if ``X`` (a tensor or shape) cannot pass through ``net``; silent if it can."""
    _probe_eval(net, X)


def layer_summary(
    net: nn.Module, X: torch.Tensor | Sequence[int], *, print_fn: Callable[..., None] | None = print
) -> list[LayerRow]:
    """Pass ``X`` (a tensor, or a shape such as ``(1, 1, 28, 28)``) through ``net``; print each leaf layer's output.

    One line per leaf module, blocks inside blocks included, in the book's form
    ``Conv2d output shape:\\t torch.Size([1, 6, 28, 28])``. Returns the rows. The net runs in eval mode under
    ``no_grad`` and is left in the mode it was in. If ``X`` does not fit, raises :class:`ShapeMismatchError`
    naming the failing layer (position and class), the shape that reached it and what it expected.
    """
    rows = _probe_eval(net, X)
    if print_fn is not None:
        for row in rows:
            print_fn(row.layer_type, "output shape:\t", row.output_shape)
    return rows


__all__ = [
    "eval_mode", "is_leaf", "leaf_modules", "module_device",
    "LayerRow", "ShapeMismatchError", "check_input_fits", "conv_output_size", "layer_summary", "output_shape",
]  # fmt: skip
