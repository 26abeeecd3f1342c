"""du.conv_output_size and du.output_shape agree with what real PyTorch layers return.

Each test sweeps sizes and hyper-parameters, builds the real layer, runs it on a zero tensor and compares shapes.
"""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

import d2l_utils as du

SIZES = [1, 2, 3, 4, 5, 7, 8, 11, 16, 28, 31]


def _real_shape(layer: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """The shape the layer really returns, or None when PyTorch refuses the input."""
    try:
        with torch.no_grad():
            return tuple(layer(torch.zeros(shape)).shape)
    except RuntimeError:
        return None


def _computed_shape(layer: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...] | None:
    try:
        return du.output_shape(layer, shape)
    except ValueError:
        return None


def test_book_formula_examples():
    # floor((n - k + 2p) / s) + 1, the numbers the chapters quote
    assert du.conv_output_size(8, 3, padding=1) == 8
    assert du.conv_output_size(8, 3, padding=1, stride=2) == 4
    assert du.conv_output_size(8, 3, padding=(0), stride=3) == 2
    assert du.conv_output_size(224, 11, padding=1, stride=4) == 54
    assert [du.conv_output_size(n, 3, stride=2) for n in (54, 26, 12)] == [26, 12, 5]
    assert du.conv_output_size(28, 5, padding=2) == 28
    assert du.conv_output_size(14, 5) == 10
    assert du.conv_output_size(28, 2, stride=2) == 14


@pytest.mark.parametrize("kernel_size, padding, stride, dilation", [
    (k, p, s, d)
    for k, p, s, d in itertools.product([1, 2, 3, 5], [0, 1, 2], [1, 2, 3], [1, 2])
])  # fmt: skip
def test_conv2d_sweep(kernel_size, padding, stride, dilation):
    conv = nn.Conv2d(2, 3, kernel_size, padding=padding, stride=stride, dilation=dilation, bias=False)
    for n in SIZES:
        shape = (1, 2, n, n + 1)
        assert _computed_shape(conv, shape) == _real_shape(conv, shape), (n, conv)


@pytest.mark.parametrize("kernel_size, stride, dilation, ceil_mode", [
    (k, s, d, c)
    for k, s, d, c in itertools.product([1, 2, 3, 4], [1, 2, 3], [1, 2], [False, True])
])  # fmt: skip
def test_maxpool2d_sweep(kernel_size, stride, dilation, ceil_mode):
    for padding in range(kernel_size // 2 + 1):  # PyTorch allows padding up to half the kernel
        pool = nn.MaxPool2d(kernel_size, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
        for n in SIZES:
            shape = (2, 3, n, n)
            assert _computed_shape(pool, shape) == _real_shape(pool, shape), (n, pool)


@pytest.mark.parametrize("kernel_size, stride, ceil_mode", [
    (k, s, c) for k, s, c in itertools.product([1, 2, 3, 4, 5], [None, 1, 2, 3], [False, True])
])  # fmt: skip
def test_avgpool2d_sweep(kernel_size, stride, ceil_mode):
    for padding in range(kernel_size // 2 + 1):
        pool = nn.AvgPool2d(kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode)
        for n in SIZES:
            shape = (1, 1, n, n)
            assert _computed_shape(pool, shape) == _real_shape(pool, shape), (n, pool)


def test_rectangular_hyper_parameters():
    conv = nn.Conv2d(1, 4, kernel_size=(3, 5), padding=(0, 1), stride=(3, 4), dilation=(1, 2))
    pool = nn.MaxPool2d(kernel_size=(2, 3), stride=(2, 1), padding=(1, 0))
    for h, w in itertools.product([8, 9, 13], [11, 16]):
        for layer in (conv, pool):
            shape = (1, 1, h, w)
            assert du.output_shape(layer, shape) == _real_shape(layer, shape)


@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv2d_string_padding(padding):
    for k, d in itertools.product([1, 2, 3, 4, 5], [1, 2]):
        conv = nn.Conv2d(1, 2, k, padding=padding, dilation=d)
        for n in SIZES:
            shape = (1, 1, n, n)
            assert _computed_shape(conv, shape) == _real_shape(conv, shape), (n, conv)


def test_unbatched_input():
    conv = nn.Conv2d(3, 8, 3, padding=1, stride=2)
    assert du.output_shape(conv, (3, 15, 15)) == tuple(conv(torch.zeros(3, 15, 15)).shape) == (8, 8, 8)


def test_flatten_linear_sequential():
    net = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10),
    )  # fmt: skip
    assert du.output_shape(net, (1, 1, 28, 28)) == (1, 10)
    shape = (4, 1, 28, 28)
    for layer in net:
        expected = _real_shape(layer, shape)
        assert du.output_shape(layer, shape) == expected
        shape = expected
    for flatten in (nn.Flatten(), nn.Flatten(0), nn.Flatten(1, 2), nn.Flatten(-2, -1)):
        assert du.output_shape(flatten, (2, 3, 4, 5)) == _real_shape(flatten, (2, 3, 4, 5))


def test_lenet_and_alexnet_match_layer_summary():
    for net, shape in ((du.lenet(), (1, 1, 28, 28)), (du.alexnet(), (1, 1, 224, 224))):
        rows = du.layer_summary(net, shape, print_fn=None)
        computed = shape
        leaves = [m for m in net.modules() if not any(True for _ in m.children())]
        assert len(leaves) == len(rows)
        for layer, row in zip(leaves, rows, strict=True):
            computed = du.output_shape(layer, computed)
            assert computed == tuple(row.output_shape), (row, computed)


def test_window_that_does_not_fit():
    with pytest.raises(ValueError, match="does not fit"):
        du.conv_output_size(4, 5)
    with pytest.raises(ValueError, match="dilation=2"):
        du.conv_output_size(4, 3, dilation=2)
    assert du.conv_output_size(4, 5, padding=1) == 2  # padding makes room
    pool = nn.MaxPool2d(3, stride=2)
    with pytest.raises(ValueError, match="does not fit"):
        du.output_shape(pool, (1, 1, 2, 2))
    assert _real_shape(pool, (1, 1, 2, 2)) is None  # PyTorch refuses it too


def test_wrong_channels_or_features():
    with pytest.raises(ValueError, match="3 input channels"):
        du.output_shape(nn.Conv2d(3, 8, 3), (1, 1, 8, 8))
    with pytest.raises(ValueError, match="in_features=400"):
        du.output_shape(nn.Linear(400, 120), (1, 256))


def test_unknown_layer():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Linear(2, 2)

    with pytest.raises(TypeError, match="Twice"):
        du.output_shape(Twice(), (1, 2))
