"""Accumulator, Timer and accuracy."""

from __future__ import annotations

import pytest
import torch

import d2l_utils as du
from d2l_utils import metrics


def test_accumulator():
    acc = du.Accumulator(3)
    acc.add(1, 2.5, torch.tensor(3))
    acc.add(1, 0.5, 1)
    assert acc.data == [2.0, 3.0, 4.0] and acc[1] == 3.0
    acc.reset()
    assert acc.data == [0.0, 0.0, 0.0]


@pytest.mark.bad_input
def test_accumulator_wrong_arity():
    with pytest.raises(ValueError, match="expected 2 values, got 3"):
        du.Accumulator(2).add(1, 2, 3)


def test_timer(monkeypatch):
    ticks = iter([10.0, 11.5, 20.0, 20.5])
    monkeypatch.setattr(metrics.time, "perf_counter", lambda: next(ticks))
    timer = du.Timer()
    assert timer.avg() == 0.0
    timer.start()
    assert timer.stop() == 1.5
    timer.start()
    timer.stop()
    assert timer.times == [1.5, 0.5] and timer.sum() == 2.0 and timer.avg() == 1.0 and timer.cumsum() == [1.5, 2.0]


@pytest.mark.bad_input
def test_timer_stop_before_start():
    with pytest.raises(RuntimeError, match="before Timer.start"):
        du.Timer().stop()


def test_accuracy_counts_correct_predictions():
    logits = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert du.accuracy(logits, torch.tensor([1, 0, 0])) == 2.0
    assert isinstance(du.accuracy(logits, torch.tensor([1, 0, 0])), float)
    assert du.accuracy(torch.tensor([1, 0, 2]), torch.tensor([1, 1, 2])) == 2.0  # class indices, not logits
