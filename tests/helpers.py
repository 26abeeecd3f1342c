"""Helpers shared by the tests: small data, a CPU training call, nets, weight comparison, and data that fails on cue.

Each test passes its own sizes and learning rate, so what it trains on can be read at the call.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

import d2l_utils as du


def make_batches(num_batches: int, batch_size: int, side: int = 28, seed: int = 0) -> list:
    """``num_batches`` random ``(X, y)`` batches of ``batch_size`` one-channel ``side``×``side`` images, 10 classes."""
    g = torch.Generator().manual_seed(seed)
    return [(torch.rand(batch_size, 1, side, side, generator=g), torch.randint(0, 10, (batch_size,), generator=g))
            for _ in range(num_batches)]  # fmt: skip


def train_on_cpu(net, train_iter, test_iter, num_epochs, lr, **kwargs):
    """``du.train_ch6`` on the CPU, without a progress bar unless ``progress`` is passed."""
    kwargs.setdefault("progress", False)
    return du.train_ch6(net, train_iter, test_iter, num_epochs, lr, "cpu", **kwargs)


def relu_lenet() -> nn.Sequential:
    """LeNet with ReLU, as learners modernise it: unlike sigmoids it blows up at a huge learning rate."""
    net = du.lenet()
    for i, layer in enumerate(net):
        if isinstance(layer, nn.Sigmoid):
            net[i] = nn.ReLU()
    return net


def state_of(net: nn.Module) -> dict:
    """A copy of the net's state dict, unaffected by later training."""
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def assert_same_weights(a: dict, b: dict, **tol) -> None:
    """Two state dicts hold the same entries, equal within ``torch.testing.assert_close``'s ``tol``."""
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], **tol, msg=k)


def stage_shapes(net: nn.Sequential, input_shape) -> list[tuple[int, ...]]:
    """Output shape of each top-level stage, as the book's loop ``for blk in net: X = blk(X)`` prints them."""
    X = torch.zeros(input_shape)
    shapes = []
    with torch.no_grad():
        for stage in net.eval():
            X = stage(X)
            shapes.append(tuple(X.shape))
    return shapes


class FaultyBatches:
    """Yields the wrapped ``(X, y)`` batches; batch ``step`` of epoch ``epoch`` (both from 1) goes through ``fault``.

    ``fault(X, y)`` returns the batch to yield instead, or raises (e.g. ``KeyboardInterrupt`` for a Ctrl-C while
    that batch loads). Has a ``len()`` and counts the epochs that started, like a real data loader.
    """

    def __init__(self, batches, epoch: int, step: int, fault: Callable) -> None:
        self.batches, self.epoch, self.step, self.fault = batches, epoch, step, fault
        self.epochs_started = 0

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        self.epochs_started += 1
        for i, batch in enumerate(self.batches, start=1):
            if (self.epochs_started, i) == (self.epoch, self.step):
                batch = self.fault(*batch)
            yield batch


def press_ctrl_c(*batch):
    """A fault: the user presses Ctrl-C while the batch loads."""
    raise KeyboardInterrupt


class CountingNet(nn.Sequential):
    """LeNet that counts its forward passes in training mode: proof that no training step ran."""

    def __init__(self):
        super().__init__(*du.lenet())
        self.train_calls = 0

    def forward(self, X):
        self.train_calls += self.training
        return super().forward(X)


def small_synthetic(seed: int = 0):
    """Loaders for 1,024 training and 256 test examples of the synthetic stand-in, in batches of 128."""
    return du.load_data_fashion_mnist(128, synthetic=True, max_train_examples=1024, max_test_examples=256, seed=seed)
