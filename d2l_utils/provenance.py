"""Where a result comes from: which data a run used, on which machine, with which PyTorch, on which day.

A stored notebook output is only worth reading with its conditions beside it; :func:`provenance` gives them in
one line, from what the loader reports it served (``train_iter.source``), so the line cannot claim real data
that a smoke or synthetic run did not use.
"""

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
    """One line saying what a result was computed on: the data and its size, the device, machine, torch, date.

    ``device`` is where the run computed (``None``: ``try_gpu()``); a GPU is named by its model.
    """
    source, device = _source(data_iter), resolve_device(device)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    sizes = f"{source.num_train:,} training and {source.num_test:,} test images"
    return f"{data_label(data_iter)} ({sizes}) · on {where} · {machine_description()} · {datetime.date.today()}"


__all__ = ["data_label", "provenance"]
