"""Same net, same data: d2l_utils gives the book's package's results (d2l 1.0.3, `import d2l.torch as d2l`)."""

from __future__ import annotations

import contextlib
import io
import re

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

import d2l_utils as du
from tests.helpers import make_batches

d2l = pytest.importorskip("d2l.torch")


def test_accuracy_matches():
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        logits, y = torch.randn(64, 10, generator=g), torch.randint(0, 10, (64,), generator=g)
        assert du.accuracy(logits, y) == d2l.accuracy(logits, y)
    indices = torch.randint(0, 10, (64,), generator=g)
    assert du.accuracy(indices, y) == d2l.accuracy(indices, y)


def test_evaluate_accuracy_gpu_matches():
    torch.manual_seed(0)
    net = du.lenet()
    data = make_batches(5, 33)
    data.append((torch.rand(7, 1, 28, 28), torch.randint(0, 10, (7,))))  # a short last batch
    ours = du.evaluate_accuracy_gpu(net, data)
    assert ours == d2l.evaluate_accuracy_gpu(net, data)
    assert ours == du.evaluate_accuracy_gpu(net, data, "cpu")


def test_train_ch6_matches_the_books(capsys):
    data = make_batches(6, 16)  # at least 5 batches: the book's loop divides by num_batches // 5
    torch.manual_seed(0)
    book_net = du.lenet()
    with contextlib.redirect_stdout(io.StringIO()) as book_out:
        d2l.train_ch6(book_net, data, data, 2, 0.9, torch.device("cpu"))
    plt.close("all")
    torch.manual_seed(0)
    our_net = du.lenet()
    history = du.train_ch6(our_net, data, data, 2, 0.9, "cpu", progress=False)

    for (name, ours), theirs in zip(our_net.state_dict().items(), book_net.state_dict().values(), strict=True):
        torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-5, msg=name)
    loss, train_acc, test_acc = map(float, re.search(r"loss ([\d.]+), train acc ([\d.]+), test acc ([\d.]+)",
                                                     book_out.getvalue()).groups())  # fmt: skip
    assert history.train_loss[-1] == pytest.approx(loss, abs=1.5e-3)
    assert history.train_acc[-1] == pytest.approx(train_acc, abs=1.5e-3)
    assert history.test_acc[-1] == pytest.approx(test_acc, abs=1.5e-3)
    assert book_out.getvalue().splitlines()[0] == capsys.readouterr().out.splitlines()[0] == "training on cpu"


def test_books_loop_fails_where_ours_works():
    """Short epochs on the book's own code: 4 batches per epoch divide by zero there, not here."""
    data = make_batches(4, 16)
    with contextlib.redirect_stdout(io.StringIO()), pytest.raises(ZeroDivisionError):
        d2l.train_ch6(du.lenet(), data, data, 1, 0.9, torch.device("cpu"))
    plt.close("all")
    history = du.train_ch6(du.lenet(), data, data, 1, 0.9, "cpu", progress=False)
    assert history.epochs == [1]


def test_book_evaluation_leaves_eval_mode_ours_restores():
    net = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(784, 10))
    data = make_batches(2, 16)
    net.train()
    du.evaluate_accuracy_gpu(net, data)
    assert net.training
    d2l.evaluate_accuracy_gpu(net, data)
    assert not net.training
