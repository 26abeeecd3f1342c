"""Where a result comes from, in one line beside it: the data the loader reports it served (so the line cannot
claim real data a smoke run did not use), the machine, PyTorch and the day."""

from __future__ import annotations

import datetime

import torch

from .data import DataSource
from .devices import resolve_device
from .profiling import machine_description


def _source(data_iter) -> DataSource:
    source = getattr(data_iter, "source", None)
    if not isinstance(source, DataSource):
        raise TypeError(
            f"{type(data_iter).__name__} does not say what data it serves (no .source); pass an iterator from "
            "du.load_data_mnist or du.load_data_fashion_mnist"
        )
    return source


def data_label(data_iter) -> str:
    """A short name of the data ``data_iter`` serves: ``"real MNIST"``, or the stand-in's name, plus any subset."""
    source = _source(data_iter)
    label = f"real {source.name}" if source.verified_real else source.name
    return label + (", smoke-mode subset" if source.smoke else "")


def provenance(data_iter, device: torch.device | str | None = None) -> str:
    """One line saying what a result was computed on: the data and its size, the device (``None``: ``try_gpu()``,
    a GPU named by its model), machine, torch and date."""
    source, device = _source(data_iter), resolve_device(device)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    sizes = f"{source.num_train:,} training and {source.num_test:,} test images"
    return f"{data_label(data_iter)} ({sizes}) · on {where} · {machine_description()} · {datetime.date.today()}"
