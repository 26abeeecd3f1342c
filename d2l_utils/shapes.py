"""Shapes: the layer-by-layer shape probe, output sizes from layer hyper-parameters, and facts about a module (its leaf
layers, a probe that leaves it as it was); its device and eval mode live in ``guard_rails.checks``."""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

import torch
from torch import nn
from torch.nn.parameter import is_lazy

from .guard_rails.checks import check_module, eval_mode, is_positive_int, module_device
from .models import BatchNorm as CourseBatchNorm
from .models import DenseBlock, Inception, Residual

# --- facts about a module ------------------------------------------------------------------------------------------


def leaf_modules(net: nn.Module) -> list[tuple[str, nn.Module]]:
    """``(qualified name, module)`` of every leaf layer (one without children: a layer that computes, not a
    container), in definition order: the rows of a shape table."""
    return [(name, m) for name, m in net.named_modules() if next(m.children(), None) is None]


@contextlib.contextmanager
def unchanged(net: nn.Module) -> Iterator[nn.Module]:
    """Run a probe on ``net`` and leave it as it was found, so a measurement never trains it a little: weights, buffers,
    ``.grad``, ``requires_grad`` and every submodule's mode come back; only changed tensors are written back (a caller's
    autograd graph stays valid), and lazy layers keep the shapes the probe gave them."""
    check_module(net)
    modes = [(module, module.training) for module in net.modules()]
    params = [(p, p.grad, p.requires_grad) for p in net.parameters()]
    stores = [(store, dict(store)) for m in net.modules() for store in (m._parameters, m._buffers)]
    tensors = [(t, t.detach().clone()) for _, saved in stores for t in saved.values()
               if t is not None and not is_lazy(t) and not t.is_meta]  # fmt: skip
    net.zero_grad(set_to_none=True)
    try:
        yield net
    finally:
        for module, training in modes:
            module.training = training
        for store, saved in stores:  # a buffer forward replaced or registered: the net gets its own entries back
            store.clear()
            store.update(saved)
        with torch.no_grad():
            for tensor, saved in tensors:
                if tensor.shape != saved.shape:
                    tensor.data = saved
                elif not torch.equal(tensor, saved):
                    tensor.copy_(saved)
        for p, grad, flag in params:
            p.grad = grad
            p.requires_grad_(flag)


# --- the shape probe -----------------------------------------------------------------------------------------------


class LayerRow(NamedTuple):
    """One line of a shape table: the leaf layer's position, qualified name, class and output shape (a tuple of shapes
    for a layer with several outputs)."""

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
    return (int(value),) * 2 if isinstance(value, numbers.Integral) else (int(value[0]), int(value[1]))


def conv_output_size(
    n: int, kernel_size: int, padding: int = 0, stride: int = 1, dilation: int = 1, ceil_mode: bool = False
) -> int:
    """Output length along one side of a convolution or pooling window: ⌊(n + 2p − d·(k − 1) − 1) / s⌋ + 1
    (``ceil_mode`` rounds up); a bad window, or none fitting, raises ``ValueError`` as PyTorch's layers do."""
    for name, value in {"kernel_size": kernel_size, "stride": stride, "dilation": dilation, "padding": padding}.items():
        smallest = 0 if name == "padding" else 1  # what PyTorch's convolution and pooling layers accept
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < smallest:
            raise ValueError(f"{name} must be an integer of at least {smallest}, got {value!r}")
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


# Layers whose output has the input's shape: activations, dropout, normalisation (after the checks in _norm_shape),
# Identity. Found by the module PyTorch defines them in, so every activation counts.
_ELEMENTWISE_MODULES = {f"torch.nn.modules.{m}" for m in ("activation", "dropout", "normalization")}


def output_shape(layer: nn.Module, input_shape: Sequence[int]) -> tuple[int, ...]:
    """The output shape a layer gives for ``input_shape``, from its hyper-parameters alone, for the layers and blocks
    the course uses; an input it cannot take raises ``ValueError``, a layer it does not know ``TypeError``."""
    check_module(layer, "layer")
    shape = checked_shape(input_shape)
    for kinds, rule in _RULES:
        if isinstance(layer, kinds):
            return rule(layer, shape)
    elementwise = type(layer).__module__ in _ELEMENTWISE_MODULES and not isinstance(layer, nn.MultiheadAttention)
    if elementwise or isinstance(layer, nn.Identity):
        return shape
    raise TypeError(
        f"output_shape does not know {type(layer).__name__}; run layer_summary(net, X) on a real input to see its "
        "output shape"
    )


def _window_shape(layer: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A 2-D convolution or pooling layer: its channels, and each side from :func:`conv_output_size`."""
    _need_dims(layer, shape, (3, 4))
    lead = list(shape[:-2])
    if isinstance(layer, nn.Conv2d):
        if not _is_lazy_layer(layer) and lead[-1] != layer.in_channels:
            raise ValueError(f"{layer} expects {layer.in_channels} input channels, got {lead[-1]}")
        lead[-1] = layer.out_channels
    if layer.padding == "same":  # Conv2d(padding="same"), stride 1: the output keeps the input's size
        return (*lead, *shape[-2:])
    padding = (0, 0) if layer.padding == "valid" else int_pair(layer.padding)
    kernel, stride, dilation = (int_pair(getattr(layer, name, 1)) for name in ("kernel_size", "stride", "dilation"))
    ceil = bool(getattr(layer, "ceil_mode", False))
    sides = [conv_output_size(n, kernel[i], padding[i], stride[i], dilation[i], ceil) for i, n in enumerate(shape[-2:])]
    return (*lead, *sides)


def _adaptive_shape(layer: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...]:
    _need_dims(layer, shape, (3, 4))
    size = layer.output_size
    size = (size, size) if size is None or isinstance(size, numbers.Integral) else tuple(size)
    return (*shape[:-2], *(n if s is None else int(s) for n, s in zip(shape[-2:], size, strict=True)))


def _linear_shape(layer: nn.Linear, shape: tuple[int, ...]) -> tuple[int, ...]:
    if not _is_lazy_layer(layer) and shape[-1] != layer.in_features:
        raise ValueError(f"{layer} expects in_features={layer.in_features}, got {shape[-1]}")
    return (*shape[:-1], layer.out_features)


def _flatten_shape(layer: nn.Flatten, shape: tuple[int, ...]) -> tuple[int, ...]:
    for dim in (layer.start_dim, layer.end_dim):
        if not -len(shape) <= dim < len(shape):
            raise ValueError(f"{layer} uses dimension {dim}, but its input has only {len(shape)} dimensions")
    start, end = layer.start_dim % len(shape), layer.end_dim % len(shape)
    if start > end:
        raise ValueError(f"{layer}: start_dim comes after end_dim for an input of shape {shape}")
    return (*shape[:start], math.prod(shape[start : end + 1]), *shape[end + 1 :])


_NORM_DIMS = {nn.BatchNorm1d: (2, 3), nn.BatchNorm2d: (4,), nn.LazyBatchNorm1d: (2, 3), nn.LazyBatchNorm2d: (4,)}


def _norm_shape(layer: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Batch, layer and the course's batch norm keep the shape, if it has their features."""
    if isinstance(layer, nn.LayerNorm):
        wanted = tuple(layer.normalized_shape)
        if shape[len(shape) - len(wanted) :] != wanted:
            raise ValueError(f"{layer} expects inputs ending in {wanted}, got {shape}")
        return shape
    if isinstance(layer, CourseBatchNorm):
        dims, features = (layer.num_dims,), layer.gamma.shape[1]
    else:
        dims = next(d for kind, d in _NORM_DIMS.items() if isinstance(layer, kind))
        features = None if _is_lazy_layer(layer) else layer.num_features
    _need_dims(layer, shape, dims)
    if features is not None and shape[1] != features:
        raise ValueError(f"{layer} expects {features} features (channels) in dimension 1, got {shape}")
    return shape


def _need_dims(layer: nn.Module, shape: tuple[int, ...], dims: Sequence[int]) -> None:
    if len(shape) not in dims:
        wanted = " or ".join(str(d) for d in dims)
        hint = ""
        if isinstance(layer, nn.modules.batchnorm._BatchNorm) and len(shape) == 2:
            hint = f"; after a dense layer use nn.BatchNorm1d({shape[1]})"
        raise ValueError(f"{layer} expects inputs with {wanted} dimensions, got shape {shape}{hint}")


def _sequential_shape(layer: nn.Sequential, shape: tuple[int, ...]) -> tuple[int, ...]:
    for child in layer:
        shape = output_shape(child, shape)
    return shape


def _inception_shape(block: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...]:
    outs = [output_shape(branch, shape) for branch in block.branches]
    if len({out[:1] + out[2:] for out in outs}) != 1:
        raise ValueError(f"{type(block).__name__}'s branches give shapes {outs}, which cannot be concatenated")
    return (outs[0][0], sum(out[1] for out in outs), *outs[0][2:])


def _residual_shape(block: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...]:
    out = output_shape(block.conv2, output_shape(block.conv1, shape))
    shortcut = output_shape(block.conv3, shape) if block.conv3 is not None else shape
    if shortcut != out:
        raise ValueError(f"Residual: the shortcut gives {shortcut} but the convolutions {out}; they cannot be added")
    return out


def _dense_block_shape(block: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...]:
    for conv in block.net:
        shape = (shape[0], shape[1] + output_shape(conv, shape)[1], *shape[2:])
    return shape


def _is_lazy_layer(layer: nn.Module) -> bool:
    return isinstance(layer, nn.modules.lazy.LazyModuleMixin) and layer.has_uninitialized_params()


_RULES = (
    ((nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d), _window_shape),
    ((nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d), _adaptive_shape),
    (nn.Linear, _linear_shape), (nn.Flatten, _flatten_shape),
    ((*_NORM_DIMS, nn.LayerNorm, CourseBatchNorm), _norm_shape),
    (nn.Sequential, _sequential_shape), (Inception, _inception_shape), (Residual, _residual_shape),
    (DenseBlock, _dense_block_shape),
)  # fmt: skip


def checked_shape(shape, name: str = "input_shape") -> tuple[int, ...]:
    """A shape argument as plain ints; ``ValueError`` naming ``name`` unless it is positive integers (numpy too)."""
    if not isinstance(shape, (tuple, list, torch.Size)) or not shape or not all(_is_size(n) for n in shape):
        raise ValueError(f"{name} must be a tuple of positive integers such as (1, 1, 28, 28), got {shape!r}")
    return tuple(int(n) for n in shape)


# What a layer needs of its input, in its own hyper-parameters' words (the first matching class wins).
_EXPECTATIONS = (
    (nn.Linear, "in_features={0.in_features}, i.e. inputs of shape (batch, {0.in_features})"),
    (nn.Conv2d, "in_channels={0.in_channels}, i.e. inputs of shape (batch, {0.in_channels}, H, W)"),
    (nn.BatchNorm2d, "num_features={0.num_features} channels, i.e. inputs of shape (batch, {0.num_features}, H, W) "
                     "(after a dense layer use nn.BatchNorm1d)"),
    (nn.BatchNorm1d, "num_features={0.num_features}, i.e. inputs of shape (batch, {0.num_features})"),
    ((nn.MaxPool2d, nn.AvgPool2d), "kernel_size={0.kernel_size} to fit inside its (padded) input"),
    (nn.Module, "an input it can process ({0})"),
)  # fmt: skip


def _fits(layer: nn.Module, shape: Sequence[int]) -> bool:
    """True when ``layer``'s input rules are known and ``shape`` follows them: then an error inside it is not about the
    shape and is passed on as it is."""
    try:
        output_shape(layer, shape)
    except (ValueError, TypeError, IndexError):
        return False
    return True


def _probe(net: nn.Module, X: torch.Tensor) -> list[LayerRow]:
    """Run ``net(X)`` with hooks on every leaf; return the rows, or raise ShapeMismatchError naming the culprit."""
    rows, entered = [], []  # entered: (index, name, layer, input shape or None) of each leaf still running
    handles = _hooks(net, rows, entered)
    try:
        net(X)
    except (RuntimeError, ValueError) as err:
        if not entered:
            raise
        index, name, module, shape = entered[-1]
        if shape is not None and _fits(module, shape):
            raise  # the layer takes this shape: the error is about something else (dtype, device, memory)
        layer_type = type(module).__name__
        expects = next(text for kind, text in _EXPECTATIONS if isinstance(module, kind)).format(module)
        message = (
            f"Input of shape {tuple(X.shape)} does not fit the network: layer {index} "
            f"({layer_type}{f', named {name!r}' if name else ''}) received shape "
            f"{tuple(shape) if shape is not None else '?'} but expects {expects}. "
            f"Check the input size (e.g. LeNet wants 1×28×28 images, the course's AlexNet 1×224×224) or change "
            "that layer."
        )  # PyTorch's own wording stays in the chained exception (``__cause__``); it changes between releases
        raise ShapeMismatchError(message, index=index, name=name, layer_type=layer_type, input_shape=shape) from err
    finally:
        for handle in handles:
            handle.remove()
    return rows


def _hooks(net: nn.Module, rows: list[LayerRow], entered: list) -> list:
    """Hooks that record each leaf's output shape in ``rows``, keep ``entered`` the stack of running leaves, and name a
    block (or the net) whose forward returns None."""
    handles, leaves = [], leaf_modules(net)
    for name, module in net.named_modules():
        if (name, module) not in leaves:
            where = f"block {name!r} ({type(module).__name__})" if name else f"the net ({type(module).__name__})"
            handles.append(module.register_forward_hook(lambda m, i, out, where=where: _check_returned(out, where)))
    for index, (name, module) in enumerate(leaves):

        def enter(layer, inputs, index=index, name=name):
            shape = inputs[0].shape if inputs and isinstance(inputs[0], torch.Tensor) else None
            entered.append((index, name, layer, shape))

        def leave(layer, inputs, output, index=index, name=name):
            _check_returned(output, f"layer {index} ({type(layer).__name__}, named {name!r})")
            several = not isinstance(output, torch.Tensor)  # e.g. MaxPool2d(return_indices=True): each shape
            shape = tuple(o.shape for o in output if isinstance(o, torch.Tensor)) if several else output.shape
            rows.append(LayerRow(index, name, type(layer).__name__, shape))
            entered.pop()

        handles += [module.register_forward_pre_hook(enter), module.register_forward_hook(leave)]
    return handles


def _check_returned(output, where: str) -> None:
    """A forward that forgets ``return`` gives None, and the next layer fails far from the cause: name it here."""
    if output is None:
        raise TypeError(
            f"{where} returned None: its forward method is missing a `return` (e.g. `return self.net(X)` "
            "instead of `self.net(X)`)"
        )


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
    return torch.randn(*(int(n) for n in X), generator=torch.Generator().manual_seed(0), dtype=dtype).to(device)


def _is_size(n) -> bool:
    return is_positive_int(n) and not isinstance(n, torch.Tensor)


def check_batch_dimension(net: nn.Module, shape: Sequence[int], name: str = "X") -> None:
    """A 3-D input to a net that starts with a 2-D layer is one image without its batch dimension: say so, before
    PyTorch runs it unbatched and fails (or succeeds) at a later layer."""
    first = next((m for _, m in leaf_modules(net)), None)
    shape = tuple(int(n) for n in shape)
    if len(shape) == 3 and isinstance(first, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
        batched = (1, *shape)
        fix = "X.unsqueeze(0)" if name == "X" else f"{name}={batched}"
        raise ValueError(
            f"{name} has shape {shape}: one image without a batch dimension. The net expects (batch, channels, "
            f"height, width): use {fix}, or the shape {batched}."
        )


def check_input_fits(net: nn.Module, X: torch.Tensor | Sequence[int]) -> list[LayerRow]:
    """Raise :class:`ShapeMismatchError` if ``X`` (a tensor or shape) cannot pass through ``net``; if it can, the rows
    of its shape table, from one run in eval mode under ``no_grad`` that leaves the net exactly as it was."""
    check_module(net)
    X = _example_input(net, X)
    check_batch_dimension(net, X.shape)
    with unchanged(net), eval_mode(net), torch.no_grad():
        return _probe(net, X)


def layer_summary(
    net: nn.Module, X: torch.Tensor | Sequence[int], *, print_fn: Callable[..., None] | None = print
) -> list[LayerRow]:
    """Pass ``X`` (a tensor or a shape such as ``(1, 1, 28, 28)``) through ``net`` and print each leaf layer's output
    shape, as the book; returns the rows and leaves the net as it was. A misfit raises :class:`ShapeMismatchError`
    naming the layer, the shape that reached it and what it expected."""
    rows = check_input_fits(net, X)
    if print_fn is not None:
        for row in rows:
            print_fn(row.layer_type, "output shape:\t", row.output_shape)
    return rows
