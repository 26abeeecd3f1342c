"""Where tensors live (CUDA, Apple's MPS, the CPU), as the book's ``try_gpu``, and how fast each trains
(:class:`Speed`). :func:`choose_speed` picks what the device does well: bf16 autocast and channels-last on CUDA
from compute capability 8.0; fp16 with a gradient scaler on older GPUs (no bf16 tensor cores; not yet measured
against float32 there); float32 channels-last on the CPU (faster oneDNN convolutions); the book's float32 on MPS."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

import torch


class DeviceNotAvailableError(RuntimeError):
    """A device was asked for that this machine does not have."""


def num_gpus() -> int:
    """The number of CUDA GPUs PyTorch can see."""
    return torch.cuda.device_count()


def cpu() -> torch.device:
    """The CPU device."""
    return torch.device("cpu")


def try_gpu(i: int = 0) -> torch.device:
    """Return the i-th GPU if it exists: CUDA first, then Apple's MPS (only ``i=0``); else the CPU."""
    if num_gpus() > i:
        return torch.device(f"cuda:{i}")
    if i == 0 and torch.backends.mps.is_available():
        return torch.device("mps")
    return cpu()


def try_all_gpus() -> list[torch.device]:
    """Every accelerator there is (all CUDA GPUs, or MPS), or ``[cpu]`` when there is none."""
    if num_gpus():
        return [torch.device(f"cuda:{i}") for i in range(num_gpus())]
    if torch.backends.mps.is_available():
        return [torch.device("mps")]
    return [cpu()]


def _available_here() -> str:
    """The sentence that ends every device error: what this machine offers."""
    names = ["cpu"] + [str(d) for d in try_all_gpus() if d.type != "cpu"]
    return f"Available here: {', '.join(names)}."


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """Turn ``None`` (the best accelerator), a string of any case and spacing, or a device into one that
    exists here; otherwise raise :class:`DeviceNotAvailableError` naming the devices that are available."""
    if device is None:
        return try_gpu()
    if isinstance(device, str):
        device = device.strip().lower()
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise DeviceNotAvailableError(f"{device!r} is not a device name. {_available_here()}") from err
    if device.type == "cuda":
        index = 0 if device.index is None else device.index
        if index >= num_gpus():
            raise DeviceNotAvailableError(
                f"{device} was requested, but this machine has {num_gpus()} CUDA GPU(s). {_available_here()} "
                "Use d2l_utils.try_gpu() to pick one safely."
            )
        return torch.device("cuda", index)
    if device.type == "mps" and not torch.backends.mps.is_available():
        problem = "mps was requested, but Apple's Metal backend is not available here."
    elif device.type not in {"cpu", "cuda", "mps"}:
        problem = f"{device} is not supported by the course."
    else:
        return device
    raise DeviceNotAvailableError(f"{problem} {_available_here()}")


def cpu_model_name() -> str | None:
    """The processor's model name (e.g. "AMD EPYC 9B14") where the system tells it (Linux), else None."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None


# --- how fast a device trains -------------------------------------------------------------------------------------

_DTYPE_NAMES = {torch.bfloat16: "bf16", torch.float16: "fp16"}


@dataclasses.dataclass(frozen=True)
class Speed:
    """Precision, memory layout and compilation for training; ``Speed()`` is the book's (float32, eager)."""

    autocast: torch.dtype | None = None
    channels_last: bool = False
    compile: bool = False
    # Replay each full batch's training step as one captured CUDA graph, with cuDNN autotuning (d2l_utils.cuda_graph);
    # opt-in until a GPU run has measured it correct and faster.
    cuda_graph: bool = False

    def __post_init__(self) -> None:
        if self.autocast is not None and self.autocast not in _DTYPE_NAMES:
            raise ValueError(f"autocast must be None, torch.bfloat16 or torch.float16, got {self.autocast!r}")
        for name in ("channels_last", "compile", "cuda_graph"):
            if not isinstance(getattr(self, name), bool):
                # Speed(compile="False") would otherwise count as on: any non-empty string is true.
                raise TypeError(f"Speed({name}=...) must be True or False, got {getattr(self, name)!r}")

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
        words += ["CUDA graph"] if self.cuda_graph else []
        return ", ".join(words)

    def replace(self, **changes) -> Speed:
        """A copy with some settings changed, e.g. ``du.choose_speed(device).replace(compile=True)``."""
        return dataclasses.replace(self, **changes)


BOOK_SPEED = Speed()
"""The book's arithmetic: float32, the default memory layout, eager PyTorch."""


def choose_speed(
    device: torch.device | str, *, autocast: bool | torch.dtype | None = None, channels_last: bool | None = None,
    compile: bool = False,
) -> Speed:  # fmt: skip
    """The fastest settings for ``device`` that keep the book's accuracy; ``autocast`` (None: by device,
    False: float32, True: best mixed precision, or a dtype) and ``channels_last`` each override one setting."""
    device, best = torch.device(device), None
    if device.type == "cuda":  # its capability is read from the GPU itself: a missing one gets the course's message
        device = resolve_device(device)
        # bf16 from compute capability 8.0 (NVIDIA Ampere), which computes it natively; fp16 on older GPUs.
        best = torch.bfloat16 if torch.cuda.get_device_capability(device) >= (8, 0) else torch.float16
    if autocast is None:
        dtype = best
    elif autocast is True:
        dtype = best or torch.bfloat16
    else:
        dtype = autocast or None
    layout = device.type in ("cuda", "cpu") if channels_last is None else channels_last
    return Speed(autocast=dtype, channels_last=layout, compile=compile)


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """Mixed-precision autocast to ``dtype`` on ``device``'s type, or a no-op context when ``dtype`` is None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=dtype)


def synchronize(device: torch.device) -> None:
    """Wait until ``device`` has finished its queued work, so that a timer measures the work, not its launch."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def check_speed(speed) -> Speed:
    """``speed`` if it is a :class:`Speed`; a string or the function itself gets the course's message."""
    if isinstance(speed, Speed):
        return speed
    raise TypeError(
        f"speed must be a du.Speed, got {speed!r}: pass du.BOOK_SPEED (the book's float32 arithmetic), "
        "du.choose_speed(device) (the fastest that keeps the book's accuracy), or leave it out for the latter"
    )
