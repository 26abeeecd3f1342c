"""train_ch6 when all goes well: the history and the book's printed lines, tiny epochs, honest throughput,
the live and final plots, smoke mode, DataLoaders, weight initialisation, and the caller's net and data.
"""

from __future__ import annotations

import re
import time

import IPython.display
import pytest
import torch
from torch import nn

import d2l_utils as du
from tests.helpers import make_batches, train_on_cpu


def test_history_per_epoch_and_the_books_lines(capsys):
    torch.manual_seed(0)
    data = make_batches(4, 8)
    history = train_on_cpu(du.lenet(), data, data, 3, 0.5)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "training on cpu"
    assert re.fullmatch(r"loss \d+\.\d{3}, train acc \d\.\d{3}, test acc \d\.\d{3}", out[-2])
    assert re.fullmatch(r"\d+\.\d examples/sec on cpu", out[-1])
    assert history.epochs == [1, 2, 3] and history.examples == [32, 32, 32]
    for values in (history.train_loss, history.train_acc, history.test_acc, history.seconds):
        assert len(values) == 3
    assert all(0 <= a <= 1 for a in history.train_acc + history.test_acc)
    assert out[-2] == (f"loss {history.train_loss[-1]:.3f}, train acc {history.train_acc[-1]:.3f}, "
                       f"test acc {history.test_acc[-1]:.3f}")  # fmt: skip
    assert history.examples_per_sec == pytest.approx(96 / sum(history.seconds))
    assert history.interrupted is False and history.device == "cpu"
    assert du.training.TrainHistory(**history.to_dict()) == history


def test_loss_and_accuracy_are_the_epochs_means():
    net = du.lenet()
    data = make_batches(2, 5)
    history = train_on_cpu(net, data, data, 1, 1e-9)  # lr so small that the weights stay put within the epoch
    with torch.no_grad():
        logits = [net(X) for X, _ in data]
    labels = [y for _, y in data]
    loss = sum(nn.functional.cross_entropy(o, y, reduction="sum") for o, y in zip(logits, labels, strict=True)) / 10
    hits = sum((o.argmax(1) == y).sum() for o, y in zip(logits, labels, strict=True)).item()
    assert history.train_loss[0] == pytest.approx(loss.item(), rel=1e-4)
    assert history.train_acc[0] == hits / 10 and history.test_acc[0] == hits / 10


@pytest.mark.parametrize("num_batches", [1, 2, 3, 4])
@pytest.mark.parametrize("live", [False, True])
def test_fewer_than_five_batches(num_batches, live, capsys):
    """The copied loop's (i + 1) % (num_batches // 5) divides by zero when an epoch has fewer than 5 batches."""
    data = make_batches(num_batches, 8)
    history = train_on_cpu(du.lenet(), data, data, 2, 0.5, progress=live)
    assert history.epochs == [1, 2] and history.examples == [8 * num_batches] * 2


class FakeHandle:
    def __init__(self):
        self.updates = 0

    def update(self, obj):
        self.updates += 1


def test_live_plot_updates_one_display_in_place(monkeypatch):
    """Points at each epoch's end, one display updated in place, no clear_output."""
    shown = []

    def fake_display(obj, display_id=None):
        shown.append(obj)
        return FakeHandle() if display_id else None

    def no_clear_output(*args, **kwargs):
        raise AssertionError("clear_output piles up frames under nbval and shows nothing in scripts")

    monkeypatch.setattr(IPython.display, "display", fake_display)
    monkeypatch.setattr(IPython.display, "clear_output", no_clear_output)
    monkeypatch.setattr(du.plotting, "in_notebook", lambda: True)
    data = make_batches(10, 8)
    history = train_on_cpu(du.lenet(), data, data, 3, 0.5, progress=True)
    assert len(shown) == 1, "one display, updated in place"
    loss_x, acc_x, test_x = (list(line.get_xdata()) for line in history.figure.axes[0].lines)
    assert loss_x == acc_x
    for epoch in (1, 2, 3):  # a point at the end of every epoch (the copied code plotted only in the last one)
        assert pytest.approx(epoch) in loss_x
    assert len(loss_x) == 3 * 5  # about five points per epoch
    assert test_x == [1, 2, 3]


def test_final_figure_without_live_plot():
    data = make_batches(2, 8)
    history = train_on_cpu(du.lenet(), data, data, 3, 0.5)
    lines = history.figure.axes[0].lines
    assert [list(line.get_xdata()) for line in lines] == [[1, 2, 3]] * 3
    assert list(lines[2].get_ydata()) == history.test_acc
    assert [t.get_text() for t in history.figure.axes[0].get_legend().get_texts()] == [
        "train loss", "train acc", "test acc"]  # fmt: skip


class SlowData:
    """A data set whose batches take ``delay`` seconds to load, as a DataLoader decoding images does."""

    def __init__(self, batches, delay):
        self.batches, self.delay = batches, delay

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        for batch in self.batches:
            time.sleep(self.delay)
            yield batch


def test_throughput_counts_data_loading():
    """The book's timer leaves data loading out of examples/sec."""
    data = SlowData(make_batches(4, 8), delay=0.05)
    history = du.train_ch6(du.lenet(), data, make_batches(1, 8), 2, 0.1, "cpu", progress=False)
    assert all(s >= 4 * 0.05 for s in history.seconds)
    assert history.examples_per_sec <= 64 / (8 * 0.05)


def test_smoke_mode_caps_epochs(monkeypatch, capsys):
    monkeypatch.setenv("D2L_SMOKE", "1")
    data = make_batches(3, 8)
    history = train_on_cpu(du.lenet(), data, data, 5, 0.5)
    assert history.epochs == [1]
    assert "[d2l_utils] Smoke mode: training 1 of 5 epochs." in capsys.readouterr().out


def test_works_with_a_dataloader_and_progress_bar(capsys):
    train_iter, test_iter = du.load_data_fashion_mnist(
        64, synthetic=True, loader="dataloader", num_workers=0, max_train_examples=128, max_test_examples=64
    )
    history = du.train_ch6(du.lenet(), train_iter, test_iter, 1, 0.9, "cpu", progress=None)
    assert history.examples == [128]
    assert "examples/sec on cpu" in capsys.readouterr().out


def test_xavier_init_and_a_loop_that_keeps_the_weights():
    torch.manual_seed(0)
    net = du.lenet()
    biases = [m.bias.clone() for m in net if isinstance(m, (nn.Linear, nn.Conv2d))]
    du.init_cnn_weights(net)
    for m, bias in zip((m for m in net if isinstance(m, (nn.Linear, nn.Conv2d))), biases, strict=True):
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(m.weight)
        bound = (6 / (fan_in + fan_out)) ** 0.5
        assert m.weight.abs().max() <= bound and m.weight.abs().max() > 0.8 * bound
        assert torch.equal(m.bias, bias)
    weight = net[0].weight.clone()
    optimizer = torch.optim.SGD(net.parameters(), lr=1e-12)  # continuing by hand: train_epoch_ch6 never re-inits
    metrics = du.train_epoch_ch6(net, make_batches(2, 8), nn.CrossEntropyLoss(), optimizer, torch.device("cpu"))
    assert metrics.examples == 16
    torch.testing.assert_close(net[0].weight, weight)
    data = make_batches(3, 8)
    train_on_cpu(net, data, data, 1, 1e-12)  # train_ch6 initialises, as the book's does
    assert not torch.allclose(net[0].weight, weight)


def test_net_is_left_in_training_mode():
    net = du.lenet()
    data = make_batches(3, 8)
    train_on_cpu(net, data, data, 1, 0.5)
    assert net.training


def test_init_does_not_depend_on_memory_format():
    torch.manual_seed(0)
    plain = du.lenet()
    du.init_cnn_weights(plain)
    torch.manual_seed(0)
    channels_last = du.lenet().to(memory_format=torch.channels_last)
    du.init_cnn_weights(channels_last)
    assert channels_last[0].weight.is_contiguous(memory_format=torch.channels_last)
    for a, b in zip(plain.parameters(), channels_last.parameters(), strict=True):
        assert torch.equal(a, b)


def test_lazy_layers_as_in_the_books_d2l_1_0():
    """The book's d2l 1.0 nets use LazyConv2d/LazyLinear; their weights get shapes before init and the optimizer."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.LazyConv2d(6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2), nn.Flatten(), nn.LazyLinear(10))
    data = make_batches(3, 8)
    history = train_on_cpu(net, data, data, 1, 0.5)
    assert history.epochs == [1] and net[0].weight.shape == (6, 1, 5, 5) and net[4].weight.shape == (10, 1176)
    assert net[0].weight.is_contiguous(memory_format=torch.channels_last)


def test_train_ch6_leaves_the_callers_data_alone():
    """Data placement is the loader's job (load_data_fashion_mnist(device=...)); train_ch6 never calls .to()."""
    train_iter, test_iter = du.load_data_fashion_mnist(64, synthetic=True, max_train_examples=128,
                                                       max_test_examples=64, device="cpu")  # fmt: skip
    moved = []
    train_iter.to = test_iter.to = lambda device: moved.append(device)
    train_on_cpu(du.lenet(), train_iter, test_iter, 1, 0.1)
    assert moved == []
