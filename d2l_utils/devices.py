"""Choosing where tensors live: CUDA GPUs, Apple's MPS, or the CPU."""

from __future__ import annotations

from pathlib import Path

import torch


class DeviceNotAvailableError(RuntimeError):
    """A device was asked for that this machine does not have."""


def num_gpus() -> int:
    """The number of CUDA GPUs PyTorch can see."""
    return torch.cuda.device_count()


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def cpu() -> torch.device:
    """The CPU device."""
    return torch.device("cpu")


def try_gpu(i: int = 0) -> torch.device:
    """Return the i-th GPU if it exists: CUDA first, then Apple's MPS (only ``i=0``); else the CPU."""
    if num_gpus() > i:
        return torch.device(f"cuda:{i}")
    if i == 0 and _mps_available():
        return torch.device("mps")
    return cpu()


def try_all_gpus() -> list[torch.device]:
    """Every accelerator there is (all CUDA GPUs, or MPS), or ``[cpu]`` when there is none."""
    if num_gpus():
        return [torch.device(f"cuda:{i}") for i in range(num_gpus())]
    if _mps_available():
        return [torch.device("mps")]
    return [cpu()]


def available_devices() -> list[str]:
    """Names of every device this machine offers, for error messages."""
    return ["cpu"] + [str(d) for d in try_all_gpus() if d.type != "cpu"]


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """Turn ``None``, a string or a device into a device that exists here, or explain what does.

    ``None`` picks the best accelerator (``try_gpu()``). Asking for ``cuda:3`` on a machine with one GPU raises
    :class:`DeviceNotAvailableError` naming the devices that are available. Strings may have any case and
    surrounding spaces (``"CUDA"``, ``" cpu"``), as learners type them.
    """
    if device is None:
        return try_gpu()
    if isinstance(device, str):
        device = device.strip().lower()
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise DeviceNotAvailableError(
            f"{device!r} is not a device name. Available here: {', '.join(available_devices())}."
        ) from err
    if device.type == "cuda":
        index = 0 if device.index is None else device.index
        if index >= num_gpus():
            raise DeviceNotAvailableError(
                f"{device} was requested, but this machine has {num_gpus()} CUDA GPU(s). "
                f"Available here: {', '.join(available_devices())}. Use d2l_utils.try_gpu() to pick one safely."
            )
        return torch.device("cuda", index)
    if device.type == "mps" and not _mps_available():
        raise DeviceNotAvailableError(
            f"mps was requested, but Apple's Metal backend is not available here. "
            f"Available here: {', '.join(available_devices())}."
        )
    if device.type not in {"cpu", "cuda", "mps"}:
        raise DeviceNotAvailableError(
            f"{device} is not supported by the course. Available here: {', '.join(available_devices())}."
        )
    return device


def cpu_model_name() -> str | None:
    """The processor's model name (e.g. "AMD EPYC 9B14") where the system tells it (Linux), else None."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


__all__ = [
    "DeviceNotAvailableError", "available_devices", "cpu", "cpu_model_name", "num_gpus", "resolve_device",
    "try_all_gpus", "try_gpu",
]  # fmt: skip
