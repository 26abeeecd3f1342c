"""What a network costs: parameters and FLOPs (as PyTorch's ``FlopCounterMode`` counts them, a multiply-add is 2) per
layer or stage, and training speed and activation memory, measured, not guessed; and the one line that says what a
result was computed on."""

from __future__ import annotations

import copy
import datetime
import json
import math
import os
import platform
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from .data import DataSource
from .devices import autocast, choose_speed, cpu_model_name, resolve_device, synchronize
from .guard_rails.checks import check_module, check_positive_int, check_positive_number, is_positive_int, user_path
from .shapes import (
    check_batch_dimension,
    checked_shape,
    eval_mode,
    layer_summary,
    leaf_modules,
    module_device,
    unchanged,
)
from .training import grad_scaler, sgd, to_layout, train_step


class LayerCost(NamedTuple):
    """One row of a cost table: leaf layer position, class, output shape, parameters and forward FLOPs."""

    index: int
    layer_type: str
    output_shape: torch.Size
    params: int
    flops: int


def count_flops(module: nn.Module, X: torch.Tensor) -> int:
    """Forward FLOPs of ``module(X)`` (``X`` with the batch) as PyTorch's FLOP counter reports them, from one eval-mode
    run under ``no_grad`` that leaves the module exactly as it was."""
    check_module(module, "module")
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"X must be a tensor such as torch.zeros(1, 1, 28, 28), got {type(X).__name__}")
    check_batch_dimension(module, X.shape)
    with unchanged(module), eval_mode(module), torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(X)
    return int(counter.get_total_flops())


def layer_costs(net: nn.Module, input_shape: Sequence[int]) -> list[LayerCost]:
    """Parameters and forward FLOPs of every leaf layer of ``net`` for an ``input_shape`` with the batch, each leaf
    counted on the input it receives inside the net, so the rows add up to the whole; ``net`` is left as it was."""
    check_module(net)
    check_batch_dimension(net, checked_shape(input_shape, "input_shape"), "input_shape")
    leaves = [module for _, module in leaf_modules(net)]
    inputs: dict[int, torch.Tensor] = {}  # each leaf's first input inside the net, counted on its own below
    handles = [
        module.register_forward_pre_hook(lambda m, args, i=i: inputs.setdefault(i, args[0].detach()))
        for i, module in enumerate(leaves)
    ]
    try:
        rows = layer_summary(net, input_shape, print_fn=None)
    finally:
        for handle in handles:
            handle.remove()
    costs = []
    for row in rows:
        leaf = leaves[row.index]
        params, flops = sum(p.numel() for p in leaf.parameters()), count_flops(leaf, inputs[row.index])
        costs.append(LayerCost(row.index, row.layer_type, row.output_shape, params, flops))
    return costs


def format_cost_table(rows: Sequence[LayerCost]) -> str:
    """A plain-text table of ``rows`` with thousands separators, each layer's share and a total line."""
    total_params = sum(r.params for r in rows)
    total_flops = sum(r.flops for r in rows)

    def share(part: int, whole: int) -> str:
        return f"{100 * part / whole:5.1f}%" if part and whole else " " * 6

    header = f"{'#':>2}  {'layer':<10} {'output shape':<16} {'parameters':>12} {'':>6} {'FLOPs':>15} {'':>6}"
    lines = [header, "-" * len(header)]
    for r in rows:
        shape = "×".join(str(s) for s in r.output_shape[1:])
        lines.append(
            f"{r.index:>2}  {r.layer_type:<10} {shape:<16} {r.params:>12,} {share(r.params, total_params)} "
            f"{r.flops:>15,} {share(r.flops, total_flops)}"
        )
    lines.append("-" * len(header))
    lines.append(f"{'':>2}  {'total':<10} {'':<16} {total_params:>12,} {'':>6} {total_flops:>15,}")
    return "\n".join(line.rstrip() for line in lines)


def measure_training_speed(
    net: nn.Module,
    example_shape: Sequence[int],
    batch_size: int = 128,
    steps: int = 3,
    lr: float = 0.01,
    device: torch.device | str | None = None,
) -> float:
    """Training examples per second of a copy of ``net`` on this machine, from ``steps`` timed SGD steps on random data
    after one warm-up, at ``train_ch6``'s speed settings; data loading is left out, so an epoch is a little slower.
    ``example_shape`` has no batch, e.g. ``(1, 224, 224)``."""
    check_module(net)
    if not (is_positive_int(batch_size) and is_positive_int(steps)):
        raise ValueError(f"batch_size and steps must be integers of at least 1, got {batch_size!r} and {steps!r}")
    batch_size, steps = int(batch_size), int(steps)
    example_shape = checked_shape(example_shape, "example_shape")
    first = leaf_modules(net)[0][1] if leaf_modules(net) else None  # a 4-D shape for 2-D layers includes a batch
    if len(example_shape) == 4 and isinstance(first, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
        raise ValueError(
            f"example_shape is one example's shape without the batch, e.g. {example_shape[1:]}; got {example_shape} "
            "(the batch size is the batch_size argument)"
        )
    device = resolve_device(device)
    speed = choose_speed(device)  # what train_ch6 would use here
    with unchanged(net):
        model = copy.deepcopy(net).to(device).train()
    if speed.channels_last:
        model.to(memory_format=torch.channels_last)
    generator = torch.Generator().manual_seed(0)
    X = to_layout(torch.randn(batch_size, *example_shape, generator=generator).to(device), speed)
    with eval_mode(model), torch.no_grad():  # one example in eval mode: batch norm cannot train on a batch of one
        num_classes = model(X[:1]).shape[-1]
    y = torch.randint(0, num_classes, (batch_size,), generator=generator).to(device)
    optimizer, scaler = sgd(model, lr, device), grad_scaler(device, speed)
    loss, precision = nn.CrossEntropyLoss(), autocast(device, speed.autocast)
    train_step(model, X, y, loss, optimizer, scaler, precision)  # warm-up, not timed
    synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        train_step(model, X, y, loss, optimizer, scaler, precision)
    synchronize(device)
    return batch_size * steps / (time.perf_counter() - start)


# --- whole networks: activation memory, stage costs, speed records ---------------------------------------------


def activation_memory(net: nn.Module, input_shape: Sequence[int]) -> int:
    """Bytes autograd saves for the backward pass of a copy of ``net`` on a random ``input_shape`` (with a batch of at
    least 2 for batch norm), in training mode and float32, each storage once and parameters left out: the memory of a
    training step that grows with the batch."""
    check_module(net)
    input_shape = checked_shape(input_shape, "input_shape")
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
    """Parameters and forward FLOPs of each top-level stage of ``net`` (e.g. ResNet's five), blocks kept whole so a
    residual or dense block is one row; ``names`` replaces the class names. Rows for :func:`format_cost_table`."""
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
            name = names[index] if names else type(stage).__name__
            try:
                flops = count_flops(stage, X)
            except (RuntimeError, ValueError) as err:
                raise ValueError(
                    f"stage {index} ({name}) cannot take its input of shape {tuple(X.shape)}, from input_shape="
                    f"{input_shape} ({err}): pass the input shape the net is built for"
                ) from err
            X = stage(X)
            params = sum(p.numel() for p in stage.parameters())
            rows.append(LayerCost(index, name, X.shape, params, flops))
    return rows


def measure_speeds(
    specs: Iterable,
    batch_size: int = 8,
    seconds: float = 0.5,
    max_steps: int = 50,
    device: torch.device | str | None = None,
    repeats: int = 3,
) -> dict[str, float]:
    """Training examples/s of each network in ``specs`` (anything with ``name``, ``build()`` and ``example_shape``) on
    ``device``: as many steps as fit in about ``seconds`` (1 to ``max_steps``), the best of ``repeats``, since other
    programs can only slow a run down. Small batches understate a GPU."""
    if not (is_positive_int(batch_size) and batch_size >= 2):
        raise ValueError(f"batch_size must be at least 2 (batch norm needs two examples), got {batch_size!r}")
    max_steps, repeats = check_positive_int(max_steps, "max_steps"), check_positive_int(repeats, "repeats")
    seconds = check_positive_number(seconds, "seconds")
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
    cpu_name = cpu_model_name() or platform.processor() or platform.machine()
    return f"{cpu_name}, {os.cpu_count()} logical cores, {platform.system()}, torch {torch.__version__}"


def load_speeds(path: str | Path) -> dict:
    """Read a speed record (``benchmarks/which_cnn_speeds.py`` writes one); a missing or broken one is named."""
    path, again = user_path(path), "measure it again with python benchmarks/which_cnn_speeds.py"
    if not path.exists():
        raise FileNotFoundError(f"no speed record at {path}; {again}")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(
            f"{path} is not a complete speed record ({err}): it was cut off or edited by hand. Delete it and {again}"
        ) from err
    if not isinstance(record, dict) or not {"date", "machine", "examples_per_sec"} <= set(record):
        raise ValueError(f"{path} is not a speed record (it needs a date, machine and examples_per_sec); {again}")
    return record


# --- where a result comes from: the data the loader says it served, the machine, PyTorch and the day --------------


def data_label(data_iter) -> str:
    """A short name of the data ``data_iter`` serves: ``"real MNIST"``, or the stand-in's name, plus any subset."""
    source = getattr(data_iter, "source", None)
    if not isinstance(source, DataSource):
        raise TypeError(
            f"{type(data_iter).__name__} does not say what data it serves (no .source); pass an iterator from "
            "du.load_data_mnist or du.load_data_fashion_mnist"
        )
    label = f"real {source.name}" if source.verified_real else source.name
    return label + (", smoke-mode subset" if source.smoke else "")


def provenance(data_iter, device: torch.device | str | None = None) -> str:
    """One line saying what a result was computed on: the data and its size, the device (``None``: ``try_gpu()``,
    a GPU named by its model), machine, torch and date."""
    label, device = data_label(data_iter), resolve_device(device)  # data_label refuses an iterator without .source
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    sizes = f"{data_iter.source.num_train:,} training and {data_iter.source.num_test:,} test images"
    return f"{label} ({sizes}) · on {where} · {machine_description()} · {datetime.date.today()}"
