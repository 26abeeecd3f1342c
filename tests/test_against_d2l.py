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


def test_tensor_shortcuts_match_the_books():
    X = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    calls = [("reshape", (X, (4, 3))), ("transpose", (X,)), ("reduce_sum", (X,)), ("reduce_mean", (X, 1)),
             ("argmax", (X, 1)), ("astype", (X, torch.int32)), ("concat", ((X, X), 1)), ("abs", (-X,)),
             ("matmul", (X, X.T)), ("stack", ((X, X),)), ("expand_dims", (X, 0)), ("numpy", (X,))]  # fmt: skip
    for name, args in calls:
        ours, theirs = getattr(du, name)(*args), getattr(d2l, name)(*args)
        torch.testing.assert_close(torch.as_tensor(ours), torch.as_tensor(theirs), msg=name)
    assert (du.float32, du.int32, du.zeros, du.tensor, du.normal) == (d2l.float32, d2l.int32, d2l.zeros, d2l.tensor,
                                                                      d2l.normal)  # fmt: skip


def test_classifier_accuracy_loss_and_the_resnext_block_match_the_books():
    g = torch.Generator().manual_seed(0)
    Y_hat, Y = torch.randn(32, 10, generator=g), torch.randint(0, 10, (32,), generator=g)
    ours, theirs = du.Classifier(), d2l.Classifier()
    torch.testing.assert_close(ours.accuracy(Y_hat, Y), theirs.accuracy(Y_hat, Y))
    torch.testing.assert_close(ours.loss(Y_hat, Y, averaged=False), theirs.loss(Y_hat, Y, averaged=False))
    X = torch.randn(2, 32, 12, 12, generator=g)
    book, block = d2l.ResNeXtBlock(64, 16, 0.5, use_1x1conv=True, strides=2), du.ResNeXtBlock(64, 16, 0.5, True, 2)
    book(X), block(X)  # lazy layers take their shapes
    block.load_state_dict(book.state_dict())  # the same parameters and buffers, under the same names
    torch.testing.assert_close(block.eval()(X), book.eval()(X))
