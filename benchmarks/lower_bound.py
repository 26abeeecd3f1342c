"""A lower bound for an epoch of training: the same steps with nothing around them.

``train_ch6`` does more per step than the maths: it fetches and scales a batch, keeps metrics, checks the loss,
updates a progress bar. This module runs the same net, batch size, learning rate, precision and memory format
over the same training data, but with

* the whole training set already on the device, scaled and in the training memory format;
* nothing per step but the step itself: no metrics, no checks, no host synchronisation;
* on CUDA, optionally the whole step (forward, loss, backward, SGD update) captured once as a CUDA graph and
  replayed, so each step costs one launch instead of dozens. The graph needs a fixed batch shape, so the last,
  smaller batch of an epoch runs uncaptured; every example is still seen once per epoch. Not with fp16 (older
  GPUs): its gradient scaler reads a value back to the host at every step, which a graph cannot hold.

Its seconds per epoch are what the hardware needs for that work, and ours divided by it says how much of our
epoch is overhead. Each epoch reshuffles on the device. The first epoch (allocation, kernel selection, capture)
is not timed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

import d2l_utils as du
from d2l_utils.devices import synchronize
from d2l_utils.training import grad_scaler, prepare_net, sgd, to_layout


@dataclass(frozen=True)
class StepSettings:
    """What a step runs with: batch size, SGD's learning rate, and ``train_ch6``'s speed settings (compile aside)."""

    batch_size: int
    lr: float
    speed: du.Speed


def pre_place(batches, device: torch.device, speed: du.Speed) -> tuple[torch.Tensor, torch.Tensor]:
    """All of ``batches`` (an iterable of ``(X, y)``) as two tensors on ``device``, ``X`` in the speed's layout."""
    images, labels = zip(*((X.to(device), y.to(device)) for X, y in batches), strict=True)
    return to_layout(torch.cat(images), speed), torch.cat(labels)


def _autocast(device: torch.device, dtype: torch.dtype | None):
    # Not du's autocast: PyTorch's CUDA-graph notes require cache_enabled=False for autocast in a captured region.
    return torch.autocast(device.type, dtype=dtype, enabled=dtype is not None, cache_enabled=False)


def make_step(net: nn.Module, settings: StepSettings, device: torch.device) -> Callable:
    """One step on ``(X, y)`` as ``train_ch6`` takes it (its optimizer, loss, precision), and nothing else."""
    optimizer = sgd(net, settings.lr, device)
    scaler = grad_scaler(device, settings.speed)  # fp16 only; a pass-through otherwise
    loss_fn = nn.CrossEntropyLoss()

    def step(X: torch.Tensor, y: torch.Tensor) -> None:
        optimizer.zero_grad(set_to_none=True)
        with _autocast(device, settings.speed.autocast):
            loss = loss_fn(net(X), y)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    return step


def _captured(step: Callable, X: torch.Tensor, y: torch.Tensor, batch_size: int) -> Callable:
    """``step`` captured as a CUDA graph for batches of ``batch_size``; returns a function that replays it.

    The recipe of PyTorch's "CUDA Graphs" notes (whole-network capture): a few warm-up steps on a side stream,
    then one capture. Replaying reads the inputs from two static tensors, so each call copies its batch there.
    """
    static_X, static_y = X[:batch_size].clone(), y[:batch_size].clone()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            step(static_X, static_y)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step(static_X, static_y)

    def replay(X_batch: torch.Tensor, y_batch: torch.Tensor) -> None:
        static_X.copy_(X_batch)
        static_y.copy_(y_batch)
        graph.replay()

    return replay


def run_epoch(data: tuple[torch.Tensor, torch.Tensor], batch_size: int, step: Callable, full_step: Callable) -> None:
    """One pass over a fresh permutation of the data: ``full_step`` for full batches, ``step`` for the last."""
    X, y = data
    order = torch.randperm(len(y), device=y.device)
    X_epoch, y_epoch = X[order], y[order]
    for start in range(0, len(y), batch_size):
        X_batch, y_batch = X_epoch[start : start + batch_size], y_epoch[start : start + batch_size]
        (full_step if len(y_batch) == batch_size else step)(X_batch, y_batch)


def can_capture(device: torch.device, speed: du.Speed) -> bool:
    """Whether the step can be captured as a CUDA graph: on CUDA, and without fp16's gradient scaler (whose
    check for infinite gradients reads a value back to the host at every step)."""
    return device.type == "cuda" and not speed.needs_grad_scaler(device)


def epoch_seconds(
    net: nn.Module, data: tuple[torch.Tensor, torch.Tensor], settings: StepSettings, epochs: int, graph: bool = False
) -> list[float]:
    """Seconds of each timed epoch of the bare training loop (``epochs`` timed epochs after one untimed one).

    ``net`` (trained in place) and ``data`` (from :func:`pre_place`) must be on the same device; ``graph=True``
    captures the step as a CUDA graph and needs a CUDA device and at least one full batch.
    """
    X, y = data
    device, batch_size = X.device, settings.batch_size
    if graph and not can_capture(device, settings.speed):
        raise ValueError(
            f"a CUDA graph needs a CUDA device and no fp16 gradient scaler; got {device}, {settings.speed}"
        )
    if graph and len(y) < batch_size:
        raise ValueError(f"a CUDA graph needs at least one full batch: {len(y)} examples, batches of {batch_size}")
    prepare_net(net.to(device), settings.speed.replace(compile=False)).train()
    step = make_step(net, settings, device)
    full_step = _captured(step, X, y, batch_size) if graph else step
    run_epoch(data, batch_size, step, full_step)  # warm-up: allocation and kernel selection
    seconds = []
    for _ in range(epochs):
        synchronize(device)
        start = time.perf_counter()
        run_epoch(data, batch_size, step, full_step)
        synchronize(device)
        seconds.append(time.perf_counter() - start)
    return seconds
