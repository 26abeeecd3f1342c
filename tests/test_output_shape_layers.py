"""output_shape knows every layer the course uses or says it does not; the probe names the layer a shape misses."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import d2l_utils as du

COURSE_NETS = {
    "lenet": (du.lenet, 28), "alexnet": (du.alexnet, 224), "vgg": (lambda: du.vgg(du.narrow_conv_arch()), 224),
    "nin": (du.nin, 224), "googlenet": (du.googlenet, 96), "bn_lenet": (du.bn_lenet, 28),
    "bn_lenet_from_scratch": (lambda: du.bn_lenet(from_scratch=True), 28), "resnet18": (du.resnet18, 96),
    "densenet": (du.densenet, 96),
}  # fmt: skip


@pytest.mark.parametrize("name", list(COURSE_NETS))
def test_every_course_network_is_computed_like_it_runs(name):
    make, side = COURSE_NETS[name]
    net = make().eval()
    X = torch.zeros(2, 1, side, side)
    for stage in net:
        with torch.no_grad():
            expected = tuple(stage(X).shape)
        assert du.output_shape(stage, tuple(X.shape)) == expected, stage
        X = torch.zeros(expected)


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        (nn.AdaptiveAvgPool2d(1), (1, 384, 13, 13)),
        (nn.AdaptiveMaxPool2d((2, None)), (1, 3, 7, 5)),
        (nn.Flatten(2), (2, 3, 4, 5)),
        (nn.Flatten(0, 1), (2, 3, 4)),
        (nn.Dropout2d(0.3), (2, 3, 4, 4)),
        (nn.AlphaDropout(0.1), (2, 5)),
        (nn.BatchNorm1d(5), (2, 5)),
        (nn.BatchNorm1d(5), (2, 5, 7)),
        (nn.LayerNorm([4, 4]), (2, 3, 4, 4)),
        (nn.GroupNorm(2, 4), (2, 4, 3, 3)),
        (nn.LocalResponseNorm(3), (2, 4, 3, 3)),
        (nn.Identity(), (2, 3)),
        (nn.MaxPool2d(3, 2, ceil_mode=True), (1, 2, 10, 10)),
        (nn.Conv2d(2, 4, 3, padding="same", dilation=2), (1, 2, 9, 9)),
        (nn.Softmax(dim=1), (2, 10)),
        (nn.PReLU(), (2, 3)),
        (du.BatchNorm(4, num_dims=4), (2, 4, 5, 5)),
        (du.Inception(3, 2, (2, 3), (2, 3), 2), (1, 3, 9, 9)),
        (du.Residual(3, 4, True, 2), (1, 3, 9, 9)),
        (du.DenseBlock(2, 3, 4), (1, 3, 5, 5)),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else "x".join(map(str, v)),
)
def test_each_known_layer_matches_pytorch(layer, shape):
    layer.eval()
    with torch.no_grad():
        assert du.output_shape(layer, shape) == tuple(layer(torch.zeros(shape)).shape)


def test_lazy_layers_take_their_input_size():
    net = nn.Sequential(nn.LazyConv2d(6, 5, padding=2), nn.LazyBatchNorm2d(), nn.ReLU(), nn.Flatten(),
                        nn.LazyLinear(10))  # fmt: skip
    assert du.output_shape(net, (2, 3, 8, 8)) == (2, 10)


def test_numpy_sizes_are_accepted():
    assert du.output_shape(nn.Conv2d(1, 2, 3), tuple(np.int64(n) for n in (1, 1, 5, 5))) == (1, 2, 3, 3)


@pytest.mark.bad_input
@pytest.mark.parametrize(
    "layer",
    [nn.ConvTranspose2d(1, 1, 3), nn.Upsample(scale_factor=2), nn.ZeroPad2d(1), nn.Bilinear(2, 2, 2),
     nn.PixelShuffle(2), nn.MultiheadAttention(4, 2), nn.Conv1d(4, 4, 3), nn.Unflatten(1, (2, 2)),
     nn.InstanceNorm2d(4)],
    ids=lambda m: type(m).__name__,
)  # fmt: skip
def test_unknown_layers_are_named_not_passed_through(layer):
    with pytest.raises(TypeError, match=f"output_shape does not know {type(layer).__name__}; run layer_summary"):
        du.output_shape(layer, (1, 4, 8, 8))


@pytest.mark.bad_input
def test_unknown_blocks_are_named():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 1, 3)

        def forward(self, X):
            return self.conv(X)

    with pytest.raises(TypeError, match="does not know Block"):
        du.output_shape(nn.Sequential(nn.ReLU(), Block()), (1, 1, 5, 5))


@pytest.mark.bad_input
@pytest.mark.parametrize(
    ("layer", "shape", "message"),
    [
        (nn.BatchNorm2d(120), (2, 120), r"4 dimensions, got shape \(2, 120\); after a dense layer use nn\.BatchNorm1d"),
        (nn.BatchNorm1d(8), (2, 120), "expects 8 features"), (nn.LayerNorm(5), (2, 4), "ending in"),
        (nn.Flatten(4), (1, 2, 3), "uses dimension 4"),
        (nn.Conv2d(3, 4, 3), (1, 1, 8, 8), "expects 3 input channels"), (nn.Linear(4, 2), (1, 5), "in_features=4"),
        (du.BatchNorm(4, num_dims=2), (2, 4, 3, 3), "2 dimensions"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else None,
)  # fmt: skip
def test_shapes_a_layer_cannot_take_are_refused(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        du.output_shape(layer, shape)


@pytest.mark.bad_input
@pytest.mark.parametrize("shape", [(1, 0, 5), (1, 2.0, 5), "1,2,5", (1, True, 5)])
def test_bad_input_shapes_are_refused(shape):
    with pytest.raises(ValueError, match="input_shape must be a tuple of positive integers"):
        du.output_shape(nn.ReLU(), shape)


@pytest.mark.bad_input
def test_the_probe_names_batch_norm_after_a_dense_layer():
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 120), nn.BatchNorm2d(120), nn.Sigmoid(), nn.Linear(120, 10))
    with pytest.raises(du.ShapeMismatchError, match=r"layer 2 \(BatchNorm2d.*received shape \(2, 120\).*BatchNorm1d"):
        du.layer_summary(net, (2, 1, 28, 28), print_fn=None)


@pytest.mark.bad_input
def test_the_probe_names_the_course_batch_norm_in_the_wrong_place():
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 120), du.BatchNorm(120, num_dims=4))
    with pytest.raises(du.ShapeMismatchError, match=r"layer 2 \(BatchNorm.*received shape \(2, 120\)"):
        du.layer_summary(net, (2, 1, 28, 28), print_fn=None)


class Forgetful(nn.Module):
    """A leaf layer whose forward forgets ``return``."""

    def forward(self, X):
        X * 2


class ForgetfulBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3)

    def forward(self, X):
        self.conv(X)


@pytest.mark.bad_input
@pytest.mark.parametrize(
    ("net", "where"),
    [(nn.Sequential(nn.Conv2d(1, 1, 3), Forgetful(), nn.ReLU()), r"layer 1 \(Forgetful, named '1'\)"),
     (nn.Sequential(ForgetfulBlock(), nn.ReLU()), r"block '0' \(ForgetfulBlock\)")],
    ids=["layer", "block"],
)  # fmt: skip
def test_a_layer_returning_none_is_named(net, where):
    with pytest.raises(TypeError, match=where + r" returned None: its forward method is missing a `return`"):
        du.layer_summary(net, (1, 1, 8, 8), print_fn=None)


@pytest.mark.bad_input
@pytest.mark.parametrize("helper", [du.layer_summary, du.shapes.check_input_fits])
def test_a_builder_passed_to_the_probe_is_named(helper):
    with pytest.raises(TypeError, match=r"function lenet, not a network: call it .*du\.lenet\(\)"):
        helper(du.lenet, (1, 1, 28, 28))


def test_numpy_sizes_in_the_probe():
    rows = du.layer_summary(du.lenet(), tuple(np.int64(n) for n in (1, 1, 28, 28)), print_fn=None)
    assert rows[-1].output_shape == (1, 10)


@pytest.mark.bad_input
def test_output_shape_of_a_builder_is_named():
    with pytest.raises(TypeError, match=r"layer is the function lenet, not a network: call it .*du\.lenet\(\)"):
        du.output_shape(du.lenet, (1, 1, 28, 28))
    with pytest.raises(TypeError, match="must be a torch nn.Module"):
        du.output_shape("Conv2d", (1, 1, 28, 28))
