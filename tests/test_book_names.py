"""``import d2l_utils as d2l`` runs the book's chapter code, and the book's loop reads in one file.

The book's LeNet section defines its own ``evaluate_accuracy_gpu`` and ``train_ch6`` on ``d2l.Accumulator``,
``d2l.Animator``, ``d2l.Timer``, ``d2l.accuracy`` and ``d2l.size``; learners' notes copy them. The versions below
are written for this test in the same style, so they call those names exactly as the chapter code does.
"""

from __future__ import annotations

import inspect
import pathlib
import sys

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

import d2l_utils as d2l


def evaluate_accuracy_gpu(net, data_iter, device=None):
    net.eval()
    device = device or next(iter(net.parameters())).device
    metric = d2l.Accumulator(2)  # correct predictions, predictions
    with torch.no_grad():
        for X, y in data_iter:
            X, y = X.to(device), y.to(device)
            metric.add(d2l.accuracy(net(X), y), d2l.size(y))
    return metric[0] / metric[1]


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device):
    for module in net.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(module.weight)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    animator = d2l.Animator(xlabel="epoch", xlim=[1, num_epochs], legend=["train loss", "train acc", "test acc"])
    timer, num_batches = d2l.Timer(), len(train_iter)
    for epoch in range(num_epochs):
        metric = d2l.Accumulator(3)  # loss sum, correct predictions, examples
        net.train()
        for i, (X, y) in enumerate(train_iter):
            timer.start()
            optimizer.zero_grad()
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)  # noqa: E741 (the book's name)
            l.backward()
            optimizer.step()
            with torch.no_grad():
                metric.add(l * X.shape[0], d2l.accuracy(y_hat, y), X.shape[0])
            timer.stop()
            train_l, train_acc = metric[0] / metric[2], metric[1] / metric[2]
            if (i + 1) % (num_batches // 5) == 0 or i == num_batches - 1:
                animator.add(epoch + (i + 1) / num_batches, (train_l, train_acc, None))
        test_acc = evaluate_accuracy_gpu(net, test_iter)
        animator.add(epoch + 1, (None, None, test_acc))
    return animator, train_l, train_acc, test_acc, metric[2] * num_epochs / timer.sum()


def test_the_book_chapter_loop_runs_on_du_names_in_smoke_mode(monkeypatch):
    """Smoke mode keeps five batches of the book's 256, so its ``num_batches // 5`` never divides by zero."""
    monkeypatch.setenv("D2L_SMOKE", "1")
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size=256)
    assert len(train_iter) >= 5
    figures = len(plt.get_fignums())
    animator, train_l, train_acc, test_acc, speed = train_ch6(d2l.lenet(), train_iter, test_iter, 2, 0.9,
                                                              d2l.try_gpu())  # fmt: skip
    assert 0 <= train_acc <= 1 and 0 <= test_acc <= 1 and train_l > 0 and speed > 0
    assert len(plt.get_fignums()) == figures + 1, "one figure for the whole run, not one per frame"
    # Five points per epoch for the training curves, one per epoch for the test accuracy.
    assert [len(x) for x in animator.X] == [10, 10, 2]
    assert animator.Y[2][-1] == test_acc
    lines = animator.axes[0].get_lines()
    assert [len(line.get_xdata()) for line in lines] == [10, 10, 2]
    assert [t.get_text() for t in animator.axes[0].get_legend().get_texts()] == ["train loss", "train acc",
                                                                                "test acc"]  # fmt: skip
    plt.close(animator.fig)


def test_book_accuracy_counts_like_the_book():
    y_hat = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    y = torch.tensor([1, 1, 1])
    assert d2l.accuracy(y_hat, y) == 2.0 and d2l.size(y) == 3


def test_animator_accepts_the_books_arguments():
    animator = d2l.Animator(xlabel="x", ylabel="y", legend=["a", "b"], xlim=[0, 3], ylim=[0, 1], xscale="linear",
                            yscale="linear", fmts=("-", "m--"), nrows=1, ncols=1, figsize=(3.5, 2.5))  # fmt: skip
    for x in range(3):
        animator.add(x, (x / 3, None if x == 1 else 0.5))
    assert animator.X == [[0, 1, 2], [0, 2]]
    assert animator.axes[0].get_xlabel() == "x" and animator.axes[0].get_xlim() == (0, 3)
    plt.close(animator.fig)


def test_the_training_step_is_in_the_loop_file():
    """A learner who opens training.py finds forward, loss, backward and step in one function there."""
    source = inspect.getsource(d2l.train_step)
    assert inspect.getsourcefile(d2l.train_step).endswith("d2l_utils/training.py")
    for call in ("net(X)", "loss(y_hat, y)", ".backward()", "optimizer)"):
        assert call in source
    # What a step calls from the package is defined in the same file: the mean of the batch's loss, its sums.
    for helper in (d2l.training.mean_of_batch, d2l.training.EpochMetrics):
        assert inspect.getsourcefile(helper) == inspect.getsourcefile(d2l.train_step)
    for func in (d2l.train_epoch_ch6, d2l.train_ch6, d2l.evaluate_accuracy_gpu):
        assert inspect.getsourcefile(func) == inspect.getsourcefile(d2l.train_step)


def modules_reached(call) -> set[str]:
    root = str(pathlib.Path(d2l.__file__).parent)
    seen: set[str] = set()

    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith(root):
            seen.add(frame.f_code.co_filename[len(root) + 1 :])

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return seen


@pytest.mark.parametrize("with_checkpoint", [False, True])
def test_one_train_ch6_call_reaches_few_modules(tmp_path, with_checkpoint):
    """Following ``train_ch6`` stays within the loop file and a few leaves (at most 6 of the package's modules)."""
    g = torch.Generator().manual_seed(0)
    data = [(torch.rand(8, 1, 28, 28, generator=g), torch.randint(0, 10, (8,), generator=g)) for _ in range(2)]
    net = d2l.lenet()
    extra = {"checkpoint": tmp_path / "net.pt"} if with_checkpoint else {}
    reached = modules_reached(lambda: d2l.train_ch6(net, data, data, 2, 0.1, "cpu", progress=False, **extra))
    assert "training.py" in reached
    assert len(reached) <= 6, sorted(reached)
