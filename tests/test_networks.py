"""The book's modern CNNs as it builds them (VGG, NiN, GoogLeNet, ResNet, DenseNet): stage shapes, parameter
counts from independent arithmetic, the Inception and dense blocks' channel arithmetic, residual shortcuts,
and clear errors for malformed architectures.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

import d2l_utils as du
from tests.helpers import stage_shapes


def conv_params(c_in: int, c_out: int, k: int) -> int:
    """Weights and biases of a k×k convolution, counted by hand."""
    return c_in * c_out * k * k + c_out


def dense_params(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


def count(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def test_vgg_block_keeps_size_through_convs_and_halves_it_in_the_pool():
    block = du.vgg_block(2, 3, 8)
    rows = du.layer_summary(block, (1, 3, 32, 32), print_fn=None)
    assert [r.layer_type for r in rows] == ["Conv2d", "ReLU", "Conv2d", "ReLU", "MaxPool2d"]
    assert rows[2].output_shape == torch.Size([1, 8, 32, 32])
    assert rows[-1].output_shape == torch.Size([1, 8, 16, 16])
    assert count(block) == conv_params(3, 8, 3) + conv_params(8, 8, 3)


def test_vgg11_shapes_at_224_match_the_book():
    shapes = stage_shapes(du.vgg(), (1, 1, 224, 224))
    assert shapes[:6] == [(1, 64, 112, 112), (1, 128, 56, 56), (1, 256, 28, 28), (1, 512, 14, 14),
                          (1, 512, 7, 7), (1, 25088)]  # fmt: skip
    assert shapes[-1] == (1, 10)


def test_vgg11_parameters_from_the_conv_arch_by_hand():
    convs, c_in = 0, 1
    for num_convs, c_out in du.VGG11_CONV_ARCH:
        for _ in range(num_convs):
            convs += conv_params(c_in, c_out, 3)
            c_in = c_out
    dense = dense_params(512 * 7 * 7, 4096) + dense_params(4096, 4096) + dense_params(4096, 10)
    assert count(du.vgg()) == convs + dense
    assert sum(n for n, _ in du.VGG11_CONV_ARCH) + 3 == 11  # the "11" in VGG-11: weighted layers


def test_narrowed_vgg_divides_channels_and_keeps_depth_and_dense_width():
    small = du.narrow_conv_arch(du.VGG11_CONV_ARCH, 4)
    assert small == ((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))
    net = du.vgg(small)
    assert net[6].in_features == 128 * 7 * 7 and net[6].out_features == 4096
    assert du.layer_summary(net, (2, 1, 224, 224), print_fn=None)[-1].output_shape == torch.Size([2, 10])


def test_vgg_sizes_its_first_dense_layer_from_the_input_size():
    net = du.vgg(du.narrow_conv_arch(du.VGG11_CONV_ARCH, 4), input_size=96)
    assert stage_shapes(net, (1, 1, 96, 96))[4] == (1, 128, 3, 3)
    assert net[6].in_features == 128 * 3 * 3


@pytest.mark.bad_input
@pytest.mark.parametrize(
    ("conv_arch", "match"),
    [
        ((), "non-empty"),
        ((64, 128), r"conv_arch\[0\] is 64, not a \(num_convs, out_channels\) pair"),
        (((1, 64), (2, 128, 3)), r"conv_arch\[1\]"),
        (((0, 64),), "num_convs must be a positive integer"),
        (((1, 64.0),), "out_channels must be a positive integer"),
        ("vgg11", "non-empty sequence"),
    ],
)
def test_malformed_conv_arch_is_explained(conv_arch, match):
    with pytest.raises(ValueError, match=match):
        du.vgg(conv_arch)


@pytest.mark.bad_input
def test_too_small_input_and_too_large_ratio_are_explained():
    with pytest.raises(ValueError, match="too small.*at least 32"):
        du.vgg(input_size=28)
    with pytest.raises(ValueError, match="ratio=128 leaves no channels"):
        du.narrow_conv_arch(du.VGG11_CONV_ARCH, 128)
    with pytest.raises(ValueError, match="ratio must be a positive integer"):
        du.narrow_conv_arch(du.VGG11_CONV_ARCH, 0)


def test_nin_block_is_one_conv_then_two_pointwise_convs():
    block = du.nin_block(96, 256, kernel_size=5, stride=1, padding=2)
    kernels = [m.kernel_size for m in block if isinstance(m, nn.Conv2d)]
    assert kernels == [(5, 5), (1, 1), (1, 1)]
    assert count(block) == conv_params(96, 256, 5) + 2 * conv_params(256, 256, 1)


def test_nin_shapes_at_224_match_the_book():
    shapes = stage_shapes(du.nin(), (1, 1, 224, 224))
    assert shapes[7] == (1, 10, 5, 5)  # the last NiN block: one channel per class
    assert shapes[8] == (1, 10, 1, 1)  # global average pooling
    assert shapes[9] == (1, 10)


def test_nin_parameters_by_hand_and_no_dense_layer():
    blocks = [(1, 96, 11), (96, 256, 5), (256, 384, 3), (384, 10, 3)]
    expected = sum(conv_params(i, o, k) + 2 * conv_params(o, o, 1) for i, o, k in blocks)
    net = du.nin()
    assert count(net) == expected
    assert not any(isinstance(m, nn.Linear) for m in net.modules())


def test_global_average_pooling_is_the_mean_of_each_channel():
    X = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).reshape(2, 3, 4, 4)
    pooled = du.nin()[-2](X)
    torch.testing.assert_close(pooled[..., 0, 0], X.mean(dim=(2, 3)))


def test_inception_output_channels_are_the_sum_of_its_branches():
    block = du.Inception(192, 64, (96, 128), (16, 32), 32)
    assert block.out_channels == 64 + 128 + 32 + 32 == 256
    X = torch.randn(2, 192, 12, 12)
    outs = [branch(X) for branch in block.branches]
    assert [o.shape[1] for o in outs] == [64, 128, 32, 32]
    assert all(o.shape[2:] == X.shape[2:] for o in outs)  # every branch keeps height and width
    torch.testing.assert_close(block(X), torch.cat(outs, dim=1))  # concatenated in branch order


def test_inception_parameters_by_hand():
    block = du.Inception(192, 64, (96, 128), (16, 32), 32)
    expected = (conv_params(192, 64, 1)
                + conv_params(192, 96, 1) + conv_params(96, 128, 3)
                + conv_params(192, 16, 1) + conv_params(16, 32, 5)
                + conv_params(192, 32, 1))  # fmt: skip
    assert count(block) == expected


def test_every_inception_block_of_googlenet_fits_the_one_before():
    blocks = [m for m in du.googlenet().modules() if isinstance(m, du.Inception)]
    assert len(blocks) == 9
    assert [b.out_channels for b in blocks] == [256, 480, 512, 512, 512, 528, 832, 832, 1024]
    for before, after in zip(blocks, blocks[1:], strict=False):
        assert after.in_channels == before.out_channels


def test_googlenet_stage_shapes_at_96_match_the_book():
    shapes = stage_shapes(du.googlenet(), (1, 1, 96, 96))
    assert shapes == [(1, 64, 24, 24), (1, 192, 12, 12), (1, 480, 6, 6), (1, 832, 3, 3), (1, 1024), (1, 10)]


def test_googlenet_parameters_add_up_from_its_parts():
    net = du.googlenet()
    inception = sum(count(m) for m in net.modules() if isinstance(m, du.Inception))
    stems = conv_params(1, 64, 7) + conv_params(64, 64, 1) + conv_params(64, 192, 3)
    assert count(net) == stems + inception + dense_params(1024, 10)


@pytest.mark.bad_input
@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((192, 64, 96, (16, 32), 32), r"c2 must be a \(reduce, out\) pair"),
        ((192, 64, (96, 128), (16, 32, 8), 32), r"c3 must be a \(reduce, out\) pair"),
        ((192, 0, (96, 128), (16, 32), 32), "c1 must be a positive integer"),
        ((192, 64, (96, -1), (16, 32), 32), "out must be a positive integer"),
    ],
)
def test_malformed_inception_channels_are_explained(args, match):
    with pytest.raises(ValueError, match=match):
        du.Inception(*args)


@pytest.mark.bad_input
def test_wrong_input_channels_name_the_inception_layer():
    with pytest.raises(du.ShapeMismatchError, match="in_channels=192"):
        du.layer_summary(du.Inception(192, 64, (96, 128), (16, 32), 32), (1, 100, 12, 12), print_fn=None)


def test_residual_shapes_and_the_1x1_shortcut():
    X = torch.rand(4, 3, 6, 6)
    assert du.Residual(3, 3)(X).shape == (4, 3, 6, 6)
    assert du.Residual(3, 6, use_1x1conv=True, strides=2)(X).shape == (4, 6, 3, 3)
    with pytest.raises(ValueError, match="use_1x1conv=True"):
        du.Residual(3, 6)


def test_residual_block_with_a_silenced_branch_passes_its_input_through():
    block = du.Residual(3, 3).eval()
    with torch.no_grad():
        block.bn2.weight.zero_()
        block.bn2.bias.zero_()
    X = torch.rand(2, 3, 5, 5)  # non-negative, so ReLU(X) = X
    torch.testing.assert_close(block(X), X)


def test_resnet18_stages_and_output():
    net = du.resnet18().eval()
    shapes = stage_shapes(net, (1, 1, 224, 224))
    assert shapes[:6] == [(1, 64, 56, 56), (1, 64, 56, 56), (1, 128, 28, 28), (1, 256, 14, 14), (1, 512, 7, 7),
                          (1, 512, 1, 1)]  # fmt: skip
    assert net.train()(torch.rand(2, 1, 96, 96)).shape == (2, 10)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d) and m.kernel_size != (1, 1)]
    assert len(convs) + 1 == 18, "18 weighted layers: 17 convolutions (no 1×1) and one dense layer"


def test_dense_block_concatenates_and_transition_shrinks():
    X = torch.randn(4, 3, 8, 8)
    block = du.DenseBlock(2, 3, 10)
    Y = block(X)
    assert Y.shape == (4, 23, 8, 8) and block.out_channels == 23
    assert torch.equal(Y[:, :3], X), "a dense block passes its input on unchanged"
    assert du.transition_block(23, 10)(Y).shape == (4, 10, 4, 4)


def test_densenet_channels_and_output():
    net = du.densenet().eval()
    channels = [shape[1] for shape in stage_shapes(net, (1, 1, 96, 96))]
    assert channels[:7] == [64, 192, 96, 224, 112, 240, 120] and channels[7] == 248
    assert net(torch.rand(2, 1, 96, 96)).shape == (2, 10)
