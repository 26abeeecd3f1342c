"""The ResNeXt block (the course's ResNeXtUnit, the book's ResNeXtBlock): shapes, the grouped 3×3 convolution,
its savings against a dense one, and bad settings."""

import pytest
import torch

import d2l_utils as du


def test_book_example_keeps_the_shape_and_stride_two_halves_it():
    blk = du.ResNeXtUnit(32, 32, groups=16, bot_mul=1).eval()
    X = torch.randn(4, 32, 96, 96)
    assert blk(X).shape == (4, 32, 96, 96)
    down = du.ResNeXtUnit(32, 64, groups=16, bot_mul=1, use_1x1conv=True, strides=2).eval()
    assert down(X).shape == (4, 64, 48, 48)


def test_groups_is_the_group_width_as_in_the_books_code():
    blk = du.ResNeXtUnit(64, 64, groups=8, bot_mul=0.5)
    assert blk.bot_channels == 32
    assert blk.conv2.groups == 32 // 8 == blk.num_groups
    # each output channel of the 3×3 convolution sees only its group's 8 input channels
    assert blk.conv2.weight.shape == (32, 8, 3, 3)


def test_grouping_cuts_the_3x3_parameters_by_the_number_of_groups():
    dense = du.ResNeXtUnit(64, 64, groups=64, bot_mul=1)  # one group: an ordinary bottleneck block
    grouped = du.ResNeXtUnit(64, 64, groups=8, bot_mul=1)  # 8 groups of 8 channels
    assert dense.conv2.weight.numel() == 8 * grouped.conv2.weight.numel()
    assert dense.conv1.weight.numel() == grouped.conv1.weight.numel()


def test_groups_do_not_mix_inside_the_grouped_convolution():
    blk = du.ResNeXtUnit(16, 16, groups=4, bot_mul=1).eval()
    X = torch.zeros(1, 16, 5, 5, requires_grad=True)
    out = blk.conv2(X)
    out[0, 0].sum().backward()  # an output channel of group 0
    touched = X.grad[0].abs().sum(dim=(1, 2)) > 0
    assert touched[:4].all() and not touched[4:].any()


def test_identity_block_adds_its_input():
    blk = du.ResNeXtUnit(8, 8, groups=4, bot_mul=1).eval()
    with torch.no_grad():
        blk.bn3.weight.zero_()
        blk.bn3.bias.zero_()  # the residual branch outputs zero, so the block is ReLU(X)
    X = torch.randn(2, 8, 6, 6)
    torch.testing.assert_close(blk(X), torch.relu(X))


@pytest.mark.bad_input
def test_group_width_that_does_not_divide_the_bottleneck_is_refused():
    with pytest.raises(ValueError, match="do not divide"):
        du.ResNeXtUnit(24, 24, groups=16, bot_mul=1)


@pytest.mark.bad_input
def test_shape_change_without_shortcut_convolution_is_refused():
    with pytest.raises(ValueError, match="use_1x1conv=True"):
        du.ResNeXtUnit(16, 32, groups=8, bot_mul=1)
    with pytest.raises(ValueError, match="use_1x1conv=True"):
        du.ResNeXtUnit(16, 16, groups=8, bot_mul=1, strides=2)


def test_the_books_block_takes_d2l_1_0s_arguments_and_reads_the_input_channels():
    blk = du.ResNeXtBlock(32, 16, 1)  # the book's example: ResNeXtBlock(num_channels, groups, bot_mul)
    X = torch.randn(4, 32, 96, 96)
    assert blk(X).shape == (4, 32, 96, 96) and blk.conv2.groups == 2
    down = du.ResNeXtBlock(64, groups=16, bot_mul=1, use_1x1conv=True, strides=2)
    assert down(X).shape == (4, 64, 48, 48)
    unit = du.ResNeXtUnit(32, 64, groups=16, bot_mul=1, use_1x1conv=True, strides=2)
    assert {k: v.shape for k, v in down.state_dict().items()} == {k: v.shape for k, v in unit.state_dict().items()}


@pytest.mark.bad_input
def test_the_books_block_names_an_input_it_cannot_add():
    with pytest.raises(ValueError, match=r"ResNeXtBlock\(64, ...\) got 32 input channels.*use_1x1conv=True"):
        du.ResNeXtBlock(64, 16, 1)(torch.randn(1, 32, 8, 8))
