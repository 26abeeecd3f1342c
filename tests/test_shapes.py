"""The shape probe (layer_summary, check_input_fits), computed output sizes, and the book's two nets; bad shape
arguments are explained.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import re

import pytest
import torch
from torch import nn

import d2l_utils as du

# The LeNet table of the course facts: output shapes for X of shape (1, 1, 28, 28).
LENET_SHAPES = [
    ("Conv2d", [1, 6, 28, 28]), ("Sigmoid", [1, 6, 28, 28]), ("AvgPool2d", [1, 6, 14, 14]),
    ("Conv2d", [1, 16, 10, 10]), ("Sigmoid", [1, 16, 10, 10]), ("AvgPool2d", [1, 16, 5, 5]),
    ("Flatten", [1, 400]), ("Linear", [1, 120]), ("Sigmoid", [1, 120]), ("Linear", [1, 84]),
    ("Sigmoid", [1, 84]), ("Linear", [1, 10]),
]  # fmt: skip


def book_printout(net, X):
    """What the book's loop prints (d2l 1.0, LeNet section), for comparison."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for layer in net:
            X = layer(X)
            print(layer.__class__.__name__, "output shape:\t", X.shape)
    return out.getvalue()


def test_lenet_summary_prints_the_books_format(capsys):
    net = du.lenet()
    X = torch.rand(1, 1, 28, 28)
    rows = du.layer_summary(net, X)
    assert capsys.readouterr().out == book_printout(net, X)
    assert [(r.layer_type, list(r.output_shape)) for r in rows] == LENET_SHAPES
    assert [r.index for r in rows] == list(range(12)) and [r.name for r in rows] == [str(i) for i in range(12)]
    assert rows[0] == du.shapes.LayerRow(0, "0", "Conv2d", torch.Size([1, 6, 28, 28]))


def test_shape_tuple_or_tensor():
    net = du.lenet()
    by_shape = du.layer_summary(net, (1, 1, 28, 28), print_fn=None)
    by_tensor = du.layer_summary(net, torch.zeros(2, 1, 28, 28), print_fn=None)
    assert by_shape == du.layer_summary(net, [1, 1, 28, 28], print_fn=None)
    assert [r.output_shape[1:] for r in by_shape] == [r.output_shape[1:] for r in by_tensor]
    assert by_tensor[-1].output_shape == (2, 10)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.inner = nn.Sequential(nn.ReLU(), nn.Sequential(nn.MaxPool2d(2)))

    def forward(self, X):
        return self.inner(self.conv(X))


def test_nested_blocks(capsys):
    net = nn.Sequential(Block(), nn.Sequential(nn.Flatten(), nn.Sequential(nn.Linear(4 * 4 * 4, 5))))
    rows = du.layer_summary(net, (3, 1, 8, 8))
    assert [(r.name, r.layer_type, tuple(r.output_shape)) for r in rows] == [
        ("0.conv", "Conv2d", (3, 4, 8, 8)),
        ("0.inner.0", "ReLU", (3, 4, 8, 8)),
        ("0.inner.1.0", "MaxPool2d", (3, 4, 4, 4)),
        ("1.0", "Flatten", (3, 64)),
        ("1.1.0", "Linear", (3, 5)),
    ]
    assert capsys.readouterr().out.splitlines() == [f"{r.layer_type} output shape:\t {r.output_shape}" for r in rows]


def test_summary_keeps_mode_and_gradients():
    net = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(4, 2))
    net.train()
    du.layer_summary(net, (1, 1, 2, 2), print_fn=None)
    assert net.training and all(p.grad is None for p in net.parameters())
    net.eval()
    with pytest.raises(du.ShapeMismatchError):
        du.layer_summary(net, (1, 1, 3, 3), print_fn=None)
    assert not net.training


@pytest.mark.bad_input
def test_32x32_into_lenet_names_the_layer():
    with pytest.raises(du.ShapeMismatchError) as info:
        du.layer_summary(du.lenet(), (1, 1, 32, 32))
    err = info.value
    assert (err.index, err.name, err.layer_type, tuple(err.input_shape)) == (7, "7", "Linear", (1, 576))
    message = str(err)
    assert message.startswith("Input of shape (1, 1, 32, 32) does not fit the network: layer 7 (Linear, named '7') "
                              "received shape (1, 576) but expects in_features=400")  # fmt: skip
    assert "LeNet wants 1×28×28" in message
    assert isinstance(err, ValueError) and isinstance(err.__cause__, RuntimeError)


@pytest.mark.bad_input
def test_wrong_channels_and_too_small_input():
    with pytest.raises(du.ShapeMismatchError, match=r"layer 0 \(Conv2d, named '0'\) received shape \(1, 3, 28, 28\) "
                                                    r"but expects in_channels=1"):  # fmt: skip
        du.shapes.check_input_fits(du.lenet(), (1, 3, 28, 28))
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(3))
    with pytest.raises(
        du.ShapeMismatchError, match=r"layer 1 \(MaxPool2d.*received shape \(1, 2, 2, 2\).*kernel_size=3"
    ):
        du.shapes.check_input_fits(net, torch.zeros(1, 1, 4, 4))


@pytest.mark.bad_input
def test_alexnet_needs_224():
    net = du.alexnet()
    with pytest.raises(du.ShapeMismatchError, match="MaxPool2d"):
        du.shapes.check_input_fits(net, (1, 1, 28, 28))
    rows = du.layer_summary(net, (1, 1, 224, 224), print_fn=None)
    assert [tuple(r.output_shape) for r in rows if r.layer_type in ("MaxPool2d", "Flatten")] == [
        (1, 96, 26, 26), (1, 256, 12, 12), (1, 256, 5, 5), (1, 6400)]  # fmt: skip
    assert rows[-1].output_shape == (1, 10)


def test_check_input_fits_is_silent_when_it_fits(capsys):
    du.shapes.check_input_fits(du.lenet(), (4, 1, 28, 28))
    assert capsys.readouterr().out == ""


@pytest.mark.bad_input
def test_errors_that_are_not_about_shapes_pass_through():
    """A layer that takes the shape it got fails for another reason (here: float64 data): PyTorch's error stays."""
    for net, X in ((nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), torch.zeros(1, 1, 2, 2, dtype=torch.float64)),
                   (du.lenet(), torch.zeros(1, 1, 28, 28, dtype=torch.float64))):  # fmt: skip
        with pytest.raises(RuntimeError) as info:
            du.layer_summary(net, X, print_fn=None)
        assert not isinstance(info.value, du.ShapeMismatchError) and "double" in str(info.value).lower()


def test_parameter_counts():
    count = lambda net: sum(p.numel() for p in net.parameters())
    assert count(du.lenet()) == 61_706
    assert count(du.alexnet()) == 46_764_746


@pytest.mark.parametrize(("n", "k", "p", "s", "d", "ceil"), [
    (28, 5, 2, 1, 1, False), (224, 11, 1, 4, 1, False), (54, 3, 0, 2, 1, False), (10, 3, 1, 2, 2, False),
    (7, 2, 0, 2, 1, True), (6, 3, 1, 2, 1, True), (5, 5, 0, 1, 1, False),
])  # fmt: skip
def test_conv_output_size_matches_pytorch(n, k, p, s, d, ceil):
    X = torch.zeros(1, 1, n, n)
    expected = nn.MaxPool2d(k, s, p, dilation=d, ceil_mode=ceil)(X).shape[-1] if p <= k // 2 else None
    if expected is not None:
        assert du.conv_output_size(n, k, p, s, d, ceil) == expected
    if not ceil:
        assert du.conv_output_size(n, k, p, s, d) == nn.Conv2d(1, 1, k, s, p, dilation=d)(X).shape[-1]


def test_conv_output_size_grid_against_pytorch():
    for n, k, p, s in itertools.product((5, 8, 13), (1, 2, 3), (0, 1), (1, 2, 3)):
        if p > k // 2:
            continue
        for ceil in (False, True):
            got = du.conv_output_size(n, k, p, s, ceil_mode=ceil)
            assert got == nn.AvgPool2d(k, s, p, ceil_mode=ceil)(torch.zeros(1, 1, n, n)).shape[-1], (n, k, p, s, ceil)


@pytest.mark.bad_input
def test_conv_output_size_window_too_big():
    with pytest.raises(ValueError, match=r"a window of size 5 \(kernel_size=5, dilation=1\) does not fit an input of "
                                         r"size 3 with padding 0"):  # fmt: skip
        du.conv_output_size(3, 5)


def test_output_shape_agrees_with_running_the_layer():
    layers = [nn.Conv2d(3, 8, (3, 5), stride=(2, 1), padding=(1, 2)), nn.MaxPool2d(3, 2), nn.AvgPool2d(2),
              nn.Flatten(), nn.ReLU(), nn.Dropout(), nn.BatchNorm2d(3)]  # fmt: skip
    for layer in layers:
        X = torch.zeros(2, 3, 17, 16)
        assert du.output_shape(layer, X.shape) == tuple(layer.eval()(X).shape), layer
    assert du.output_shape(nn.Linear(400, 120), (5, 400)) == (5, 120)
    assert du.output_shape(du.lenet(), (1, 1, 28, 28)) == (1, 10)
    assert du.output_shape(nn.Flatten(0, 1), (2, 3, 4)) == (6, 4)


@pytest.mark.bad_input
def test_output_shape_rejects_misfits():
    with pytest.raises(ValueError, match="expects in_features=400, got 576"):
        du.output_shape(nn.Linear(400, 120), (1, 576))
    with pytest.raises(ValueError, match="expects 1 input channels, got 3"):
        du.output_shape(nn.Conv2d(1, 6, 5), (1, 3, 28, 28))
    with pytest.raises(TypeError, match="does not know Block"):
        du.output_shape(Block(), (1, 1, 8, 8))


class Reshaping(nn.Module):
    """A learner's LeNet-like net whose own forward flattens, with ``view`` or ``reshape``."""

    def __init__(self, use_view):
        super().__init__()
        self.use_view = use_view
        self.conv, self.pool, self.fc = nn.Conv2d(1, 16, 5), nn.AvgPool2d(2), nn.Linear(16 * 5 * 5, 10)

    def forward(self, X):
        X = self.pool(torch.sigmoid(self.conv(X)))
        return self.fc(X.view(-1, 400) if self.use_view else X.reshape(len(X), -1))


@pytest.mark.bad_input
def test_errors_in_a_custom_forward_are_not_blamed_on_the_last_layer():
    assert du.layer_summary(Reshaping(True), (2, 1, 14, 14), print_fn=None)[-1].output_shape == (2, 10)
    with pytest.raises(RuntimeError, match=r"shape '\[-1, 400\]' is invalid") as info:
        du.layer_summary(Reshaping(True), (2, 1, 18, 18), print_fn=None)  # the view fails, between two layers
    assert not isinstance(info.value, du.ShapeMismatchError)
    with pytest.raises(du.ShapeMismatchError, match=r"layer 2 \(Linear, named 'fc'\) received shape \(2, 784\)"):
        du.layer_summary(Reshaping(False), (2, 1, 18, 18), print_fn=None)  # reshape works, the next layer fails


def test_shape_input_follows_the_nets_dtype():
    rows = du.layer_summary(du.lenet().double(), (1, 1, 28, 28), print_fn=None)
    assert [(r.layer_type, list(r.output_shape)) for r in rows] == LENET_SHAPES


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_shape_input_on_a_gpu_net():
    net = du.lenet().cuda()
    assert [(r.layer_type, list(r.output_shape)) for r in du.layer_summary(net, (1, 1, 28, 28))] == LENET_SHAPES
    du.shapes.check_input_fits(net, torch.zeros(1, 1, 28, 28))  # a CPU tensor is moved to the net


@pytest.mark.bad_input
@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kernel_size": 0}, "kernel_size must be an integer of at least 1, got 0"),
    ({"kernel_size": -3}, "kernel_size must be an integer of at least 1, got -3"),
    ({"stride": 0}, "stride must be an integer of at least 1, got 0"),
    ({"dilation": 0}, "dilation must be an integer of at least 1, got 0"),
    ({"padding": -1}, "padding must be an integer of at least 0, got -1"),
])  # fmt: skip
def test_conv_output_size_rejects_what_pytorch_rejects(kwargs, message):
    args = {"n": 28, "kernel_size": 5, **kwargs}
    with pytest.raises(ValueError, match=re.escape(message)):
        du.conv_output_size(**args)


@pytest.mark.bad_input
@pytest.mark.parametrize("X", [(1, 28, 28), torch.rand(1, 28, 28)])
def test_layer_summary_without_batch_dimension_says_so(X):
    with pytest.raises(ValueError, match=re.escape("X has shape (1, 28, 28): one image without a batch dimension")):
        du.layer_summary(du.lenet(), X, print_fn=None)


def test_layers_with_several_outputs_show_each_shape():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2, return_indices=True))
    rows = du.layer_summary(net, (1, 1, 8, 8), print_fn=None)
    assert rows[1].output_shape == (torch.Size([1, 2, 3, 3]), torch.Size([1, 2, 3, 3]))


@pytest.mark.bad_input
@pytest.mark.parametrize("X", [28, [[0.0, 1.0], [1.0, 0.0]], (1, 1, 0, 28), "1x28x28"])
def test_layer_summary_input_that_is_neither_tensor_nor_shape(X):
    with pytest.raises(TypeError, match=r"X must be a tensor or a shape such as \(1, 1, 28, 28\)"):
        du.layer_summary(du.lenet(), X, print_fn=None)
