"""The training step captured once as a CUDA graph and replayed for every full batch (``Speed(cuda_graph=True)``), after
PyTorch's CUDA Graphs notes; other shapes, the CPU, fp16's scaler and ``torch.compile`` run eagerly."""

from __future__ import annotations

import torch

WARMUP_STEPS = 3  # eager steps on the side stream before the capture, as in PyTorch's example


class GraphedStep:
    """Called like ``train_step``; captures it at the first full batch after the warm-up, then replays it."""

    def __init__(self, step, device: torch.device, autocast_dtype: torch.dtype | None) -> None:
        self.step, self.steps = step, 0
        self.precision = torch.autocast("cuda", dtype=autocast_dtype, enabled=autocast_dtype is not None,
                                        cache_enabled=False)  # fmt: skip
        self.side = torch.cuda.Stream(device)
        self.graph = self.shape = self.static = None

    def __call__(self, net, X, y, loss, optimizer, scaler, precision):
        self.shape = X.shape if self.shape is None else self.shape
        if X.shape != self.shape:
            return self.step(net, X, y, loss, optimizer, scaler, self.precision)
        self.steps += 1
        if self.steps <= WARMUP_STEPS:  # eager, on the side stream
            self.side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(self.side):
                out = self.step(net, X, y, loss, optimizer, scaler, self.precision)
            torch.cuda.current_stream().wait_stream(self.side)
            return out
        if self.graph is None:  # capture once, into static copies of the batch that each replay refills
            static_X, static_y = X.clone(), y.clone()  # clone keeps X's memory format (channels-last)
            optimizer.zero_grad(set_to_none=True)  # the gradients are then allocated from the graph's own pool
            self.graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self.graph):
                out = self.step(net, static_X, static_y, loss, optimizer, scaler, self.precision)
            self.static = (static_X, static_y, out)
        self.static[0].copy_(X, non_blocking=True)
        self.static[1].copy_(y, non_blocking=True)
        self.graph.replay()
        return self.static[2]


def training_step(step, device: torch.device, speed):
    """``step`` itself, or a :class:`GraphedStep` around it where ``speed`` asks for a graph and one can hold it;
    then cuDNN may also time its algorithms once per (repeating) shape and keep the fastest."""
    if not (speed.cuda_graph and device.type == "cuda" and not speed.compile and not speed.needs_grad_scaler(device)):
        return step
    torch.backends.cudnn.benchmark = True
    return GraphedStep(step, device, speed.autocast)
