"""Receptive fields follow the real computation graph: branches, shortcuts, functional calls; or they refuse.

Every course network's field is checked against the gradient measurement on an input large enough to hold the
whole field, so a wrong recurrence (branches chained as one path, a shortcut counted as a layer, a functional
pooling missed) cannot pass.
"""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import d2l_utils as du
from d2l_utils.receptive_field import (
    DROPOUT_WARNING,
    STATISTICS_WARNING,
    ReceptiveFieldError,
    _window_sum,
    field_box,
)

COURSE_NETS = {
    "lenet": du.lenet,
    "alexnet": du.alexnet,
    "vgg": lambda: du.vgg(du.narrow_conv_arch()),
    "nin": du.nin,
    "googlenet": du.googlenet,
    "bn_lenet": du.bn_lenet,
    "bn_lenet_from_scratch": lambda: du.bn_lenet(from_scratch=True),
    "resnet18": du.resnet18,
    "densenet": du.densenet,
}


def measured_on_a_large_input(net, channels=1):
    """The gradient's reach on an input that holds the centre element's whole field."""
    last = du.receptive_fields(net)[-1]
    side = last.size + 2 * abs(last.start) + 8
    return last, du.gradient_receptive_field(net, (channels, side, side))


@pytest.mark.parametrize("name", list(COURSE_NETS))
def test_course_network_fields_match_the_gradient(name):
    last, measured = measured_on_a_large_input(COURSE_NETS[name]())
    assert measured == (last.size, last.size)


def test_googlenet_branches_run_side_by_side():
    # stem 27 (jump 8); b3: two blocks, widest branch 5x5 (+4·8 each), pool (+2·8); b4: five (+4·16), pool
    # (+2·16); b5: two (+4·32): 27 + 64 + 16 + 320 + 32 + 256 = 715, not the 1,355 of the four branches chained
    last = du.receptive_fields(du.googlenet())[-1]
    assert (last.size, last.jump) == (715, 32)


def test_resnet18_shortcuts_add_no_layer():
    last = du.receptive_fields(du.resnet18())[-1]
    assert (last.size, last.jump) == (435, 32)  # the published ResNet-18 field; 1,891 with the 1x1 chained in


def test_densenet_field():
    last = du.receptive_fields(du.densenet())[-1]
    assert (last.size, last.jump) == (519, 32)


def test_inception_block_is_its_widest_branch():
    block = du.Inception(1, 2, (2, 3), (2, 3), 2)
    rows = du.receptive_fields(block)
    assert rows[-1].name.endswith(": cat") and (rows[-1].size, rows[-1].jump, rows[-1].start) == (5, 1, -2)
    assert du.gradient_receptive_field(block, (1, 15, 15)) == (5, 5)


def test_strided_residual_block_counts_two_convolutions():
    block = du.Residual(1, 2, use_1x1conv=True, strides=2)
    last = du.receptive_fields(block)[-1]
    assert (last.size, last.jump, last.start) == (7, 2, -3)  # 3 → 3 + 2·2; the 1×1 shortcut lies inside
    assert du.gradient_receptive_field(block.eval(), (1, 21, 21)) == (7, 7)


def test_dense_block_field():
    block = du.DenseBlock(3, 1, 2)
    assert du.receptive_fields(block)[-1].size == 7
    assert du.gradient_receptive_field(block.eval(), (1, 21, 21)) == (7, 7)


class TutorialLeNet(nn.Module):
    """The PyTorch tutorial's LeNet: pooling and activations as functions in forward."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc1(torch.flatten(x, 1))


def test_functional_pooling_in_forward_is_seen():
    rows = du.receptive_fields(TutorialLeNet())
    assert [r.name for r in rows] == [
        "conv1: Conv2d", "relu: relu", "max_pool2d: max_pool2d", "conv2: Conv2d", "relu_1: relu",
        "max_pool2d_1: max_pool2d",
    ]  # fmt: skip
    assert (rows[-1].size, rows[-1].jump) == (16, 4)
    assert du.gradient_receptive_field(TutorialLeNet(), (1, 32, 32)) == (16, 16)


@pytest.mark.parametrize("functional", [False, True], ids=["layer", "functional"])
def test_max_pool_dilation_counts_in_both_measures(functional):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.pool = nn.Conv2d(1, 1, 3), nn.MaxPool2d(3, stride=1, dilation=2)

        def forward(self, x):
            x = self.conv(x)
            return F.max_pool2d(x, 3, 1, 0, 2) if functional else self.pool(x)

    assert du.receptive_fields(Net())[-1].size == 3 + 4
    assert du.gradient_receptive_field(Net(), (1, 21, 21)) == (7, 7)


@pytest.mark.parametrize("side", [9, 10, 11])
def test_ceil_mode_and_padding_agree_with_the_gradient(side):
    net = nn.Sequential(
        nn.Conv2d(1, 1, 3, padding=1), nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), nn.Conv2d(1, 1, 3),
        nn.AvgPool2d(2, ceil_mode=True), nn.Conv2d(1, 1, 1),
    )  # fmt: skip
    rows = du.receptive_fields(net)
    with torch.no_grad():
        out_side = net(torch.zeros(1, 1, side, side)).shape[-1]
    for i in range(out_side):
        top, _, size, _ = field_box(rows[-1], i, i)
        inside = min(top + size, side) - max(top, 0)  # the gradient only sees pixels inside the image
        assert du.gradient_receptive_field(net, (1, side, side), position=(i, i)) == (inside, inside)


@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "dilation", "ceil"),
    [(3, 2, 1, 1, True), (2, 2, 0, 1, True), (3, 1, 1, 2, False), (3, 2, 1, 2, True), (2, 3, 1, 1, True)],
)
def test_the_linearised_max_pool_has_the_real_output_shape(kernel, stride, padding, dilation, ceil):
    for side in range(7, 13):
        X = torch.ones(1, 2, side, side)
        real = F.max_pool2d(X, kernel, stride, padding, dilation, ceil)
        assert _window_sum(X, kernel, stride, padding, dilation, ceil).shape == real.shape


def test_field_start_of_a_branching_block_matches_the_gradient_support():
    block = du.Residual(1, 1, use_1x1conv=True, strides=2).eval()
    last = du.receptive_fields(block)[-1]
    X = torch.randn(1, 1, 23, 23, requires_grad=True)
    for m in block.modules():  # every path counts: no zero weights, no ReLU sign cancellation on this input
        if isinstance(m, nn.Conv2d):
            nn.init.constant_(m.weight, 1.0)
    Y = block.conv2(block.bn1(block.conv1(X))) + block.conv3(X)
    Y[0, 0, 5, 5].backward()
    rows = (X.grad[0, 0] != 0).any(1).nonzero().flatten()
    top, _, size, _ = field_box(last, 5, 5)
    assert (int(rows[0]), int(rows[-1])) == (top, top + size - 1)


def test_batch_statistics_are_warned_about():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    with pytest.warns(UserWarning, match="normalisation statistics mix pixels: 1 \\(BatchNorm2d, training mode\\)"):
        measured = du.gradient_receptive_field(net, (1, 11, 11), exact=False)
    assert measured == (11, 11)  # every pixel: why the warning is needed
    assert STATISTICS_WARNING.startswith("normalisation statistics")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert du.gradient_receptive_field(net.eval(), (1, 11, 11), exact=False) == (3, 3)
        assert du.gradient_receptive_field(net.train(), (1, 11, 11), exact=True) == (3, 3)
    assert net.training


def test_dropout_in_training_mode_is_warned_about():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Dropout(0.5))
    with pytest.warns(UserWarning, match="1 \\(Dropout\\) in training mode zero random paths"):
        du.gradient_receptive_field(net, (1, 11, 11), exact=False)
    assert "{names}" in DROPOUT_WARNING


class Upsampling(nn.Module):
    def forward(self, x):
        return F.interpolate(x, scale_factor=2)


class DataDependent(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3)

    def forward(self, x):
        return self.conv(x) if x.sum() > 0 else x


@pytest.mark.bad_input
def test_an_unknown_functional_step_is_refused_with_its_block():
    net = nn.Sequential(nn.Conv2d(1, 1, 3), Upsampling(), nn.Conv2d(1, 1, 3))
    with pytest.raises(ReceptiveFieldError, match=r"interpolate in block '1' \(Upsampling\).*net\[:k\]"):
        du.receptive_fields(net)
    with pytest.raises(ReceptiveFieldError, match="interpolate"):
        du.gradient_receptive_field(net, (1, 20, 20))


@pytest.mark.bad_input
def test_a_block_that_cannot_be_traced_is_named():
    net = nn.Sequential(nn.Conv2d(1, 1, 3), DataDependent())
    with pytest.raises(ReceptiveFieldError, match=r"cannot follow block '1' \(DataDependent\).*branches"):
        du.receptive_fields(net)


@pytest.mark.bad_input
def test_concatenating_along_width_is_refused():
    class SideBySide(nn.Module):
        def forward(self, x):
            return torch.cat([x, x], dim=3)

    with pytest.raises(ReceptiveFieldError, match="cat"):
        du.receptive_fields(nn.Sequential(nn.Conv2d(1, 1, 3), SideBySide()))


@pytest.mark.bad_input
def test_merging_paths_of_different_strides_is_refused():
    class Mixed(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Conv2d(1, 1, 1, stride=2), nn.Conv2d(1, 1, 2)  # both 1×1 on a 2×2 input

        def forward(self, x):
            return self.a(x) + self.b(x)

    with pytest.raises(ReceptiveFieldError, match=r"merges paths whose elements are \[1, 2\] input pixels apart"):
        du.receptive_fields(Mixed())


@pytest.mark.bad_input
@pytest.mark.parametrize(
    "call",
    [du.receptive_fields, lambda net: du.gradient_receptive_field(net, (1, 28, 28)),
     lambda net: du.plot_receptive_field(None, torch.zeros(28, 28), net, [(0, 0)])],
    ids=["receptive_fields", "gradient_receptive_field", "plot_receptive_field"],
)  # fmt: skip
def test_a_builder_passed_uncalled_is_named(call):
    with pytest.raises(TypeError, match=r"the function lenet, not a network: call it .*du\.lenet\(\)"):
        call(du.lenet)


@pytest.mark.bad_input
@pytest.mark.parametrize("shape", [(28, 28), (1, 0, 28), (1, 28.0, 28), "1x28x28"])
def test_bad_input_shapes_are_named(shape):
    with pytest.raises(ValueError, match="input_shape must be"):
        du.gradient_receptive_field(du.lenet(), shape)


def test_numpy_sizes_are_accepted():
    import numpy as np

    assert du.gradient_receptive_field(du.lenet(), tuple(np.int64(s) for s in (1, 28, 28))) == (16, 16)
