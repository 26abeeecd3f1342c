"""Receptive fields: the recurrence r ← r + (k_eff − 1)·J, J ← J·s, checked against gradients of real layers."""

from __future__ import annotations

import copy
import warnings

import matplotlib
import pytest
import torch
from torch import nn

import d2l_utils as du
from d2l_utils.receptive_field import UNDER_REPORT_WARNING, ReceptiveFieldError, field_box, format_receptive_fields

matplotlib.use("Agg")


def test_lenet_rows_follow_the_recurrence():
    rows = du.receptive_fields(du.lenet())
    assert [r.name for r in rows] == [
        "0: Conv2d", "1: Sigmoid", "2: AvgPool2d", "3: Conv2d", "4: Sigmoid", "5: AvgPool2d",
    ]  # fmt: skip
    # conv 5 → 5; pool 2/2 → 5 + 1·1 = 6, J = 2; conv 5 → 6 + 4·2 = 14; pool 2/2 → 14 + 1·2 = 16, J = 4
    assert [(r.kernel, r.stride, r.jump, r.size) for r in rows if r.kernel > 1] == [
        (5, 1, 1, 5), (2, 2, 2, 6), (5, 1, 2, 14), (2, 2, 4, 16),
    ]  # fmt: skip
    assert rows[-1].start == -2  # LeNet's first convolution pads 2 pixels


def test_alexnet_last_field_and_jump():
    last = du.receptive_fields(du.alexnet())[-1]
    assert (last.name, last.jump, last.size) == ("12: MaxPool2d", 32, 195)


def test_dilation_widens_the_kernel_span():
    net = nn.Sequential(nn.Conv2d(1, 1, 3, dilation=2), nn.Conv2d(1, 1, 3, dilation=4))
    assert [r.size for r in du.receptive_fields(net)] == [5, 13]
    assert du.gradient_receptive_field(net, (1, 32, 32)) == (13, 13)


def test_non_square_kernels_per_axis():
    net = nn.Sequential(nn.Conv2d(1, 1, (3, 5), stride=(1, 2)), nn.Conv2d(1, 1, 3))
    assert du.receptive_fields(net, axis=0)[-1].size == 5
    assert du.receptive_fields(net, axis=1)[-1].size == 5 + 2 * 2
    assert du.gradient_receptive_field(net, (1, 20, 30)) == (5, 9)


@pytest.mark.parametrize(
    ("make_net", "input_shape"),
    [(du.lenet, (1, 28, 28)), (du.alexnet, (1, 256, 256)), (lambda: du.alexnet(in_channels=3), (3, 256, 256))],
    ids=["lenet", "alexnet", "alexnet-rgb"],
)
def test_recurrence_matches_gradient_support(make_net, input_shape):
    net = make_net()
    size = du.receptive_fields(net)[-1].size
    assert du.gradient_receptive_field(net, input_shape) == (size, size)


def test_gradient_method_does_not_change_the_net():
    net = du.alexnet()
    before = [p.clone() for p in net.parameters()]
    du.gradient_receptive_field(net, (1, 256, 256))
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))
    assert isinstance(net[2], nn.MaxPool2d) and isinstance(net[1], nn.ReLU)


def test_field_box_reaches_the_gradient_support():
    net = du.lenet()
    top, left, h, w = field_box(du.receptive_fields(net)[-1], 2, 3)
    X = torch.zeros(1, 1, 28, 28, requires_grad=True)
    body = nn.Sequential(*list(net)[:6])
    body(X)[0, :, 2, 3].sum().backward()
    rows, cols = (X.grad[0, 0] != 0).nonzero(as_tuple=True)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (top, top + h - 1, left, left + w - 1)


def test_max_pooling_gradients_under_report_with_a_warning():
    net = nn.Sequential(nn.MaxPool2d(3, stride=1), nn.MaxPool2d(3, stride=1))
    assert du.receptive_fields(net)[-1].size == 5
    with pytest.warns(UserWarning, match="under-report"):
        measured = du.gradient_receptive_field(net, (1, 9, 9), exact=False)
    assert measured == (1, 1)  # the gradient reaches only the winning pixel
    assert UNDER_REPORT_WARNING.startswith("gradients under-report")


def test_no_warning_without_relu_or_max_pooling():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert du.gradient_receptive_field(du.lenet(), (1, 28, 28), exact=False) == (16, 16)


def test_the_walk_stops_at_the_first_global_layer():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 2))
    assert [r.name for r in du.receptive_fields(net)] == ["0: Conv2d"]


def test_nested_blocks_are_walked_in_order():
    block = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2))
    net = nn.Sequential(block, copy.deepcopy(block))
    assert [r.name for r in du.receptive_fields(net)][:3] == ["0.0: Conv2d", "0.1: ReLU", "0.2: MaxPool2d"]
    assert du.receptive_fields(net)[-1].size == 10  # 3 → 4 (J 2) → 4 + 2·2 = 8 → 8 + 1·2 = 10
    assert du.gradient_receptive_field(net, (1, 32, 32)) == (10, 10)


def test_unknown_positional_layer_is_named():
    net = nn.Sequential(nn.Conv2d(1, 1, 3), nn.ConvTranspose2d(1, 1, 3))
    with pytest.raises(TypeError, match=r"1 \(ConvTranspose2d\)"):
        du.receptive_fields(net)


def test_a_net_without_spatial_layers_is_named():
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    for call in (lambda: du.receptive_fields(mlp), lambda: du.gradient_receptive_field(mlp, (1, 28, 28))):
        with pytest.raises(ValueError, match="Sequential has no spatial layer before its first Flatten"):
            call()


def test_bad_arguments_are_reported():
    with pytest.raises(ValueError, match="axis must be 0"):
        du.receptive_fields(du.lenet(), axis=2)
    with pytest.raises(ValueError, match="input_shape must be"):
        du.gradient_receptive_field(du.lenet(), (28, 28))


def test_table_has_one_line_per_layer():
    rows = du.receptive_fields(du.lenet())
    lines = format_receptive_fields(rows).splitlines()
    assert len(lines) == len(rows) + 1
    assert lines[-1].split()[-1] == "16"


def test_overlay_draws_one_box_per_position():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    du.plot_receptive_field(ax, torch.zeros(28, 28), du.lenet(), [(0, 0), (4, 4)])
    outlines = [(p.get_x(), p.get_y(), p.get_width(), p.get_height()) for p in ax.patches if not p.get_fill()]
    assert outlines == [(-2.5, -2.5, 16, 16), (13.5, 13.5, 16, 16)]
    plt.close(fig)


class TwoConvs(nn.Module):
    """Two 3×3 convolutions with an attribute of the tensor read between them."""

    def __init__(self, attribute):
        super().__init__()
        self.a, self.b, self.attribute = nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3), attribute

    def forward(self, X):
        return self.b(getattr(self.a(X), self.attribute))


def test_x_data_is_followed_through():
    assert [r.size for r in du.receptive_fields(TwoConvs("data"))] == [3, 5]


@pytest.mark.bad_input
@pytest.mark.parametrize("attribute", ["mT", "T"])
def test_a_transpose_between_layers_is_refused_not_dropped(attribute):
    with pytest.raises(ReceptiveFieldError, match=rf"how the attribute \.{attribute} of the output of a: Conv2d"):
        du.receptive_fields(TwoConvs(attribute))
