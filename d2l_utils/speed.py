"""How fast ``train_ch6`` runs: precision, memory layout and compilation, chosen as one value per device.

A :class:`Speed` says three things: the autocast dtype (``None``: plain float32, as the book), whether images
use the channels-last memory layout, and whether the net is compiled with ``torch.compile``. :data:`BOOK_SPEED`
is the book's arithmetic; :func:`choose_speed` is the default, picked from what the device does well:

- CUDA with native bf16 (compute capability 8.0 and later: Ampere, Hopper, ...): bf16 autocast, channels-last.
- Older CUDA GPUs (e.g. Colab's free T4, compute capability 7.5): fp16 autocast with a gradient scaler (fp16's
  small range would otherwise let small gradients underflow to zero), channels-last. Their tensor cores run fp16
  but not bf16; emulated bf16 would be slower than float32. Not yet measured against float32 on such a GPU.
- CPU: float32, channels-last (oneDNN's convolutions run faster on it; same results to float rounding).
- Apple's MPS: float32 in the default layout (the book's settings).

This module also owns :func:`autocast` and :func:`synchronize`, which the training loop, evaluation and the
speed measurements share.
"""

from __future__ import annotations

import contextlib
import dataclasses

import torch
from torch import nn

_DTYPE_NAMES = {torch.bfloat16: "bf16", torch.float16: "fp16"}
# Compute capability from which CUDA GPUs run bf16 natively (NVIDIA Ampere).
NATIVE_BF16_CAPABILITY = (8, 0)


@dataclasses.dataclass(frozen=True)
class Speed:
    """Precision, memory layout and compilation for training; ``Speed()`` is the book's (float32, eager)."""

    autocast: torch.dtype | None = None
    channels_last: bool = False
    compile: bool = False

    def __post_init__(self) -> None:
        if self.autocast is not None and self.autocast not in _DTYPE_NAMES:
            raise ValueError(f"autocast must be None, torch.bfloat16 or torch.float16, got {self.autocast!r}")

    def needs_grad_scaler(self, device: torch.device) -> bool:
        """fp16 on CUDA needs loss scaling: its smallest normal number (6e-5) would flush small gradients to 0."""
        return self.autocast == torch.float16 and device.type == "cuda"

    def describe(self) -> str:
        """Words for the ``training on …`` line: empty when results match the book's to float rounding."""
        if self.autocast is None and not self.compile:
            return ""
        words = [f"{_DTYPE_NAMES[self.autocast]} autocast" if self.autocast else "float32"]
        words += ["channels-last"] if self.channels_last else []
        words += ["compiled"] if self.compile else []
        return ", ".join(words)

    def replace(self, **changes) -> Speed:
        """A copy with some settings changed, e.g. ``du.choose_speed(device).replace(compile=True)``."""
        return dataclasses.replace(self, **changes)


BOOK_SPEED = Speed()
"""The book's arithmetic: float32, the default memory layout, eager PyTorch."""


def has_native_bf16(device: torch.device) -> bool:
    """True for a CUDA GPU that computes in bf16 natively (compute capability 8.0 or later)."""
    return device.type == "cuda" and torch.cuda.get_device_capability(device) >= NATIVE_BF16_CAPABILITY


def best_autocast_dtype(device: torch.device) -> torch.dtype | None:
    """The mixed-precision dtype worth using on ``device``: bf16 or fp16 on CUDA by capability, else None."""
    if device.type != "cuda":
        return None
    return torch.bfloat16 if has_native_bf16(device) else torch.float16


def choose_speed(
    device: torch.device | str, *, autocast: bool | torch.dtype | None = None, channels_last: bool | None = None,
    compile: bool = False,
) -> Speed:  # fmt: skip
    """The fastest settings for ``device`` that keep the book's accuracy; arguments override one setting each.

    ``autocast``: None picks by device (see the module's notes), False means float32, True the device's best
    mixed precision (bf16 on the CPU), or a dtype. ``channels_last``: None means on for CUDA and the CPU.
    """
    device = torch.device(device)
    if autocast is None:
        dtype = best_autocast_dtype(device)
    elif autocast is True:
        dtype = best_autocast_dtype(device) or torch.bfloat16
    else:
        dtype = autocast or None
    layout = device.type in ("cuda", "cpu") if channels_last is None else channels_last
    return Speed(autocast=dtype, channels_last=layout, compile=compile)


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """Mixed-precision autocast to ``dtype`` on ``device``'s type, or a no-op context when ``dtype`` is None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def to_layout(X: torch.Tensor, speed: Speed) -> torch.Tensor:
    """``X`` in the speed's memory layout; channels-last applies to image batches (4-D) only, e.g. not to MLPs."""
    if speed.channels_last and X.ndim == 4:
        return X.contiguous(memory_format=torch.channels_last)
    return X


# torch.compile's backend; tests swap in a counting one to check how often the training step is compiled.
COMPILE_BACKEND = "inductor"


def prepare_net(net: nn.Module, speed: Speed) -> nn.Module:
    """Put ``net``'s 4-D weights in the speed's layout; return the model to call in training steps.

    With ``compile`` the training forward pass is compiled with static shapes: the full batches and the one
    shorter last batch get a graph each, once, instead of a dynamic-shape graph or a recompile every epoch.
    Evaluation keeps calling ``net`` itself, so switching to eval mode never triggers a recompile.
    """
    if speed.channels_last:
        net.to(memory_format=torch.channels_last)
    return torch.compile(net, dynamic=False, backend=COMPILE_BACKEND) if speed.compile else net


def make_optimizer(net: nn.Module, lr: float, device: torch.device) -> torch.optim.SGD:
    """The book's SGD; on CUDA its fused kernel updates every parameter in one launch instead of one per tensor."""
    return torch.optim.SGD(net.parameters(), lr=lr, fused=device.type == "cuda" or None)


def grad_scaler(device: torch.device, speed: Speed) -> torch.amp.GradScaler:
    """A gradient scaler that is active only when fp16 needs it (a no-op pass-through otherwise)."""
    return torch.amp.GradScaler(device.type, enabled=speed.needs_grad_scaler(device))


def sgd_step(
    net: nn.Module, X: torch.Tensor, y: torch.Tensor, loss_fn: nn.Module, optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler, device: torch.device, speed: Speed,
) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """One minibatch SGD step in the speed's precision: forward, loss, backward, update; returns ``(y_hat, loss)``.

    ``scaler`` (from :func:`grad_scaler`) scales fp16 losses and passes everything else through unchanged.
    """
    optimizer.zero_grad(set_to_none=True)
    with autocast(device, speed.autocast):
        y_hat = net(X)
        loss = loss_fn(y_hat, y)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return y_hat, loss


def synchronize(device: torch.device) -> None:
    """Wait until ``device`` has finished its queued work, so that a timer measures the work, not its launch."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


__all__ = [
    "BOOK_SPEED", "NATIVE_BF16_CAPABILITY", "Speed", "autocast", "best_autocast_dtype", "choose_speed",
    "grad_scaler", "has_native_bf16", "make_optimizer", "prepare_net", "sgd_step", "synchronize", "to_layout",
]  # fmt: skip
