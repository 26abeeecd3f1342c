"""The book's networks, for code that needs "the book's LeNet" or AlexNet without building it cell by cell."""

from __future__ import annotations

import copy
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from .guard_rails.checks import check_positive_ints


def lenet() -> nn.Sequential:
    """LeNet-5 as d2l uses it: sigmoid activations and average pooling, for 1×28×28 inputs."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10),
    )  # fmt: skip


def alexnet(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """The book's AlexNet for 1×224×224 Fashion-MNIST (one input channel, 10 classes, dropout 0.5)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, 96, kernel_size=11, stride=4, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(96, 256, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Flatten(),
        nn.Linear(6400, 4096), nn.ReLU(), nn.Dropout(p=0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(p=0.5),
        nn.Linear(4096, num_classes),
    )  # fmt: skip


# --- Modern CNNs I: VGG, NiN, GoogLeNet (d2l §8.2–8.4 in 1.0, §7.2–7.4 in 0.17) ---------------------------------

VGG11_CONV_ARCH: tuple[tuple[int, int], ...] = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))
"""VGG-11's convolutional part as the book writes it: one ``(num_convs, out_channels)`` pair per block."""


def vgg_block(num_convs: int, in_channels: int, out_channels: int) -> nn.Sequential:
    """``num_convs`` 3×3 convolutions with ReLU (padding 1, keeping the size), then a 2×2 max pool that halves it."""
    check_positive_ints("vgg_block", num_convs=num_convs, in_channels=in_channels, out_channels=out_channels)
    layers: list[nn.Module] = []
    for _ in range(num_convs):
        layers += [nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1), nn.ReLU()]
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def _checked_conv_arch(conv_arch) -> tuple[tuple[int, int], ...]:
    """``conv_arch`` as a tuple of ``(num_convs, out_channels)`` pairs, or a ValueError that shows the form."""
    example = "e.g. ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))"
    pairs = tuple(conv_arch) if isinstance(conv_arch, (tuple, list)) else ()
    if not pairs:
        raise ValueError(f"conv_arch must be a non-empty sequence of (num_convs, out_channels) pairs, {example}")
    for i, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"conv_arch[{i}] is {pair!r}, not a (num_convs, out_channels) pair; write it {example}")
        check_positive_ints(f"conv_arch[{i}]", num_convs=pair[0], out_channels=pair[1])
    return tuple((int(n), int(c)) for n, c in pairs)


def narrow_conv_arch(conv_arch=VGG11_CONV_ARCH, ratio: int = 4) -> tuple[tuple[int, int], ...]:
    """The book's narrowed VGG: every block's channels divided by ``ratio``, so convolutions cost about
    ``ratio**2`` times less and VGG trains on Fashion-MNIST in reasonable time."""
    check_positive_ints("narrow_conv_arch", ratio=ratio)
    pairs = _checked_conv_arch(conv_arch)
    if too_narrow := [c for _, c in pairs if c // ratio < 1]:
        raise ValueError(f"ratio={ratio} leaves no channels for blocks with {too_narrow} channels; use a smaller ratio")
    return tuple((n, c // ratio) for n, c in pairs)


def vgg(conv_arch=VGG11_CONV_ARCH, in_channels: int = 1, num_classes: int = 10, input_size: int = 224) -> nn.Sequential:
    """The book's VGG: one :func:`vgg_block` per ``(num_convs, out_channels)`` pair, then AlexNet's dense part,
    its first layer sized for an ``input_size`` image halved once per block."""
    pairs = _checked_conv_arch(conv_arch)
    check_positive_ints("vgg", in_channels=in_channels, num_classes=num_classes, input_size=input_size)
    side = input_size // 2 ** len(pairs)
    if side < 1:
        raise ValueError(
            f"{len(pairs)} VGG blocks halve the image {len(pairs)} times: {input_size}×{input_size} is too small "
            f"(needs at least {2 ** len(pairs)}); use fewer blocks or a larger input_size"
        )
    blocks = []
    for num_convs, out_channels in pairs:
        blocks.append(vgg_block(num_convs, in_channels, out_channels))
        in_channels = out_channels
    return nn.Sequential(
        *blocks, nn.Flatten(),
        nn.Linear(in_channels * side * side, 4096), nn.ReLU(), nn.Dropout(p=0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(p=0.5),
        nn.Linear(4096, num_classes),
    )  # fmt: skip


def nin_block(in_channels: int, out_channels: int, kernel_size: int, stride: int, padding: int) -> nn.Sequential:
    """One convolution then two 1×1 convolutions, each with ReLU: a small dense network at every pixel."""
    check_positive_ints("nin_block", in_channels=in_channels, out_channels=out_channels, kernel_size=kernel_size,
                         stride=stride)  # fmt: skip
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
    )  # fmt: skip


def nin(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """The book's NiN for 1×224×224 inputs: the last block outputs one channel per class, averaged into a score."""
    check_positive_ints("nin", in_channels=in_channels, num_classes=num_classes)
    return nn.Sequential(
        nin_block(in_channels, 96, kernel_size=11, stride=4, padding=0),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nin_block(96, 256, kernel_size=5, stride=1, padding=2),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nin_block(256, 384, kernel_size=3, stride=1, padding=1),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Dropout(p=0.5),
        nin_block(384, num_classes, kernel_size=3, stride=1, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
    )


class Inception(nn.Module):
    """GoogLeNet's Inception block: four parallel branches (1×1; 1×1→3×3; 1×1→5×5; 3×3 max pool→1×1) with
    ReLUs as modules, concatenated along the channels: ``out_channels = c1 + c2[1] + c3[1] + c4``."""

    def __init__(self, in_channels: int, c1: int, c2: tuple[int, int], c3: tuple[int, int], c4: int):
        super().__init__()
        check_positive_ints("Inception", in_channels=in_channels, c1=c1, c4=c4)
        for name, pair in (("c2", c2), ("c3", c3)):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(
                    f"Inception: {name} must be a (reduce, out) pair of channel counts, e.g. (96, 128) for a 1×1 "
                    f"convolution to 96 channels followed by a larger one to 128; got {pair!r}"
                )
            check_positive_ints(f"Inception {name}", reduce=pair[0], out=pair[1])
        c2, c3 = tuple(map(int, c2)), tuple(map(int, c3))
        self.in_channels = in_channels
        self.out_channels = c1 + c2[1] + c3[1] + c4
        self.branch1 = nn.Sequential(nn.Conv2d(in_channels, c1, kernel_size=1), nn.ReLU())
        self.branch2 = nn.Sequential(
            nn.Conv2d(in_channels, c2[0], kernel_size=1), nn.ReLU(),
            nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1), nn.ReLU(),
        )  # fmt: skip
        self.branch3 = nn.Sequential(
            nn.Conv2d(in_channels, c3[0], kernel_size=1), nn.ReLU(),
            nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2), nn.ReLU(),
        )  # fmt: skip
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1),
            nn.Conv2d(in_channels, c4, kernel_size=1), nn.ReLU(),
        )  # fmt: skip

    @property
    def branches(self) -> tuple[nn.Sequential, nn.Sequential, nn.Sequential, nn.Sequential]:
        """The four branches, in the order their outputs are concatenated."""
        return self.branch1, self.branch2, self.branch3, self.branch4

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(X) for branch in self.branches], dim=1)

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}, out_channels={self.out_channels}"


def googlenet(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """The book's GoogLeNet (English edition's PyTorch code): five stages ``b1``…``b5`` with nine Inception
    blocks, global average pooling and one dense layer."""
    check_positive_ints("googlenet", in_channels=in_channels, num_classes=num_classes)
    b1 = nn.Sequential(nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3), nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))  # fmt: skip
    b2 = nn.Sequential(nn.Conv2d(64, 64, kernel_size=1), nn.ReLU(),
                       nn.Conv2d(64, 192, kernel_size=3, padding=1), nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))  # fmt: skip
    b3 = nn.Sequential(Inception(192, 64, (96, 128), (16, 32), 32),
                       Inception(256, 128, (128, 192), (32, 96), 64),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))  # fmt: skip
    b4 = nn.Sequential(Inception(480, 192, (96, 208), (16, 48), 64),
                       Inception(512, 160, (112, 224), (24, 64), 64),
                       Inception(512, 128, (128, 256), (24, 64), 64),
                       Inception(512, 112, (144, 288), (32, 64), 64),
                       Inception(528, 256, (160, 320), (32, 128), 128),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))  # fmt: skip
    b5 = nn.Sequential(Inception(832, 256, (160, 320), (32, 128), 128),
                       Inception(832, 384, (192, 384), (48, 128), 128),
                       nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())  # fmt: skip
    return nn.Sequential(b1, b2, b3, b4, b5, nn.Linear(1024, num_classes))


# --- Modern CNNs II: batch normalization, ResNet, DenseNet (d2l §8.5–8.7 in 1.0, §7.5–7.7 in 0.17) ------------


def batch_norm(
    X: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    moving_mean: torch.Tensor,
    moving_var: torch.Tensor,
    *,
    training: bool,
    eps: float = 1e-5,
    momentum: float = 0.1,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Batch normalization written out, as ``nn.BatchNorm1d/2d``: returns ``(Y, new_moving_mean, new_moving_var)``.
    The mode is an argument, not the book's ``torch.is_grad_enabled()``, so evaluating with gradients still works."""
    if X.dim() not in (2, 4):
        raise ValueError(
            f"batch_norm expects a (batch, features) or (batch, channels, height, width) tensor, got shape "
            f"{tuple(X.shape)}; flatten or reshape the input first"
        )
    if not training:
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
        return gamma * X_hat + beta, moving_mean, moving_var
    dims = (0,) if X.dim() == 2 else (0, 2, 3)
    count = X.numel() // X.shape[1]  # values per feature: batch (× height × width)
    if count < 2:
        raise ValueError(f"batch_norm in training mode needs at least 2 values per feature, got {tuple(X.shape)}")
    mean = X.mean(dim=dims, keepdim=True)
    var = ((X - mean) ** 2).mean(dim=dims, keepdim=True)
    X_hat = (X - mean) / torch.sqrt(var + eps)
    with torch.no_grad():  # the moving averages are statistics, not part of the gradient
        new_mean = (1 - momentum) * moving_mean + momentum * mean.reshape(moving_mean.shape)
        unbiased = var * count / (count - 1)
        new_var = (1 - momentum) * moving_var + momentum * unbiased.reshape(moving_var.shape)
    return gamma * X_hat + beta, new_mean, new_var


class BatchNorm(nn.Module):
    """A batch normalization layer on :func:`batch_norm` with learned ``gamma`` and ``beta``; ``num_dims`` is 2
    after a dense layer and 4 after a convolution, and the moving averages are buffers."""

    def __init__(self, num_features: int, num_dims: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        if num_dims not in (2, 4):
            raise ValueError(f"num_dims must be 2 (after a dense layer) or 4 (after a convolution), got {num_dims}")
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.num_dims, self.eps, self.momentum = num_dims, eps, momentum
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.register_buffer("moving_mean", torch.zeros(shape))
        self.register_buffer("moving_var", torch.ones(shape))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if X.dim() != self.num_dims or X.shape[1] != self.gamma.shape[1]:
            raise ValueError(
                f"BatchNorm({self.gamma.shape[1]}, num_dims={self.num_dims}) got input of shape {tuple(X.shape)}; "
                f"it needs {self.num_dims} dimensions with {self.gamma.shape[1]} features in dimension 1"
            )
        Y, mean, var = batch_norm(X, self.gamma, self.beta, self.moving_mean, self.moving_var,
                                  training=self.training, eps=self.eps, momentum=self.momentum)  # fmt: skip
        self.moving_mean.copy_(mean)
        self.moving_var.copy_(var)
        return Y

    def extra_repr(self) -> str:
        return f"{self.gamma.shape[1]}, num_dims={self.num_dims}, eps={self.eps}, momentum={self.momentum}"


def bn_lenet(from_scratch: bool = False) -> nn.Sequential:
    """The book's LeNet with batch norm after every convolution and hidden dense layer (no padding in the
    first convolution, as the book); ``from_scratch=True`` uses :class:`BatchNorm` instead of PyTorch's."""
    bn2d = (lambda n: BatchNorm(n, num_dims=4)) if from_scratch else nn.BatchNorm2d
    bn1d = (lambda n: BatchNorm(n, num_dims=2)) if from_scratch else nn.BatchNorm1d
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), bn2d(6), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), bn2d(16), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
        nn.Linear(256, 120), bn1d(120), nn.Sigmoid(),
        nn.Linear(120, 84), bn1d(84), nn.Sigmoid(),
        nn.Linear(84, 10),
    )  # fmt: skip


class Residual(nn.Module):
    """ResNet's residual block ``ReLU(X + BN(conv(ReLU(BN(conv(X))))))``; ``use_1x1conv=True`` reshapes the
    input with a 1×1 convolution when the block changes the channels or the resolution."""

    def __init__(self, input_channels: int, num_channels: int, use_1x1conv: bool = False, strides: int = 1):
        super().__init__()
        check_positive_ints("Residual", input_channels=input_channels, num_channels=num_channels, strides=strides)
        if not use_1x1conv and (input_channels != num_channels or strides != 1):
            raise ValueError(
                f"Residual({input_channels}, {num_channels}, strides={strides}) changes the shape, so the input "
                "cannot be added to the output as it is; pass use_1x1conv=True"
            )
        self.conv1 = nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
        self.conv3 = nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides) if use_1x1conv else None
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.bn2 = nn.BatchNorm2d(num_channels)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3 is not None:
            X = self.conv3(X)
        return F.relu(Y + X)


def resnet_block(
    input_channels: int, num_channels: int, num_residuals: int, first_block: bool = False
) -> nn.Sequential:
    """``num_residuals`` residual blocks; the first halves height and width and changes the channels, unless
    ``first_block`` (ResNet's first stage, which follows a max pool and keeps 64 channels)."""
    check_positive_ints("resnet_block", num_residuals=num_residuals)
    if first_block:
        first = Residual(num_channels, num_channels)
    else:
        first = Residual(input_channels, num_channels, use_1x1conv=True, strides=2)
    return nn.Sequential(first, *(Residual(num_channels, num_channels) for _ in range(num_residuals - 1)))


def _stem(in_channels: int) -> nn.Sequential:
    """ResNet's and DenseNet's first stage (as GoogLeNet's, plus batch norm): 7×7 conv, stride 2, then max pool."""
    return nn.Sequential(
        nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3), nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )  # fmt: skip


def resnet18(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """The book's ResNet-18: the stem, four stages of two residual blocks (64, 128, 256, 512 channels), global
    average pooling and one dense layer. 18 layers with weights: 1 + 4 × 4 convolutions + 1 dense layer."""
    check_positive_ints("resnet18", in_channels=in_channels, num_classes=num_classes)
    return nn.Sequential(
        _stem(in_channels),
        resnet_block(64, 64, 2, first_block=True),
        resnet_block(64, 128, 2),
        resnet_block(128, 256, 2),
        resnet_block(256, 512, 2),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(512, num_classes),
    )  # fmt: skip


def conv_block(input_channels: int, num_channels: int) -> nn.Sequential:
    """DenseNet's unit in "pre-activation" order: batch norm, ReLU, then a 3×3 convolution (padding 1)."""
    return nn.Sequential(
        nn.BatchNorm2d(input_channels), nn.ReLU(),
        nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1),
    )  # fmt: skip


class DenseBlock(nn.Module):
    """``num_convs`` conv blocks, each seeing the concatenation of the input and all earlier outputs, so
    the block outputs ``input_channels + num_convs * num_channels`` channels."""

    def __init__(self, num_convs: int, input_channels: int, num_channels: int):
        super().__init__()
        check_positive_ints("DenseBlock", num_convs=num_convs, input_channels=input_channels,
                             num_channels=num_channels)  # fmt: skip
        self.out_channels = input_channels + num_convs * num_channels
        self.net = nn.Sequential(
            *(conv_block(input_channels + i * num_channels, num_channels) for i in range(num_convs))
        )

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        for block in self.net:
            X = torch.cat((X, block(X)), dim=1)  # keep everything computed so far, add the new channels
        return X


def transition_block(input_channels: int, num_channels: int) -> nn.Sequential:
    """DenseNet's transition: batch norm, ReLU, 1×1 convolution to ``num_channels``, 2×2 average pool.
    It undoes a dense block's channel growth and halves height and width."""
    return nn.Sequential(
        nn.BatchNorm2d(input_channels), nn.ReLU(),
        nn.Conv2d(input_channels, num_channels, kernel_size=1),
        nn.AvgPool2d(kernel_size=2, stride=2),
    )  # fmt: skip


def densenet(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """The book's DenseNet: the stem, four dense blocks (growth rate 32) with halving transitions, then
    batch norm, ReLU, global average pooling and one dense layer."""
    check_positive_ints("densenet", in_channels=in_channels, num_classes=num_classes)
    layers: list[nn.Module] = [_stem(in_channels)]
    num_channels, growth_rate, num_convs_in_dense_blocks = 64, 32, (4, 4, 4, 4)
    for i, num_convs in enumerate(num_convs_in_dense_blocks):
        layers.append(DenseBlock(num_convs, num_channels, growth_rate))
        num_channels += num_convs * growth_rate
        if i != len(num_convs_in_dense_blocks) - 1:
            layers.append(transition_block(num_channels, num_channels // 2))
            num_channels //= 2
    layers += [nn.BatchNorm2d(num_channels), nn.ReLU(), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
               nn.Linear(num_channels, num_classes)]  # fmt: skip
    return nn.Sequential(*layers)


# --- ResNeXt (d2l 1.0 §8.6.5), layer normalization (§8.5.2), GoogLeNet's stem, body and head (§8.4) ---------


class ResNeXtUnit(nn.Module):
    """The ResNeXt bottleneck block (input channels first): 1×1, grouped 3×3 and 1×1 convolutions with batch
    norm, added to the input; ``groups`` is the group width, as in the book."""

    def __init__(self, input_channels: int, num_channels: int, groups: int, bot_mul: float,
                 use_1x1conv: bool = False, strides: int = 1):  # fmt: skip
        super().__init__()
        name = type(self).__name__
        check_positive_ints(name, input_channels=input_channels, num_channels=num_channels, groups=groups,
                            strides=strides)  # fmt: skip
        bot_channels = int(round(num_channels * bot_mul))
        if bot_channels < 1 or bot_channels % groups:
            raise ValueError(
                f"{name}: the bottleneck has round({num_channels} × {bot_mul}) = {bot_channels} channels, "
                f"which groups of width {groups} do not divide; choose a group width that divides it"
            )
        if not use_1x1conv and (input_channels != num_channels or strides != 1):
            raise ValueError(
                f"{name}({input_channels}, {num_channels}, strides={strides}) changes the shape, so the input "
                "cannot be added to the output as it is; pass use_1x1conv=True"
            )
        self.bot_channels, self.num_groups = bot_channels, bot_channels // groups
        self.conv1 = nn.Conv2d(input_channels, bot_channels, kernel_size=1)
        self.conv2 = nn.Conv2d(bot_channels, bot_channels, kernel_size=3, stride=strides, padding=1,
                               groups=self.num_groups)  # fmt: skip
        self.conv3 = nn.Conv2d(bot_channels, num_channels, kernel_size=1)
        self.bn1, self.bn2, self.bn3 = (nn.BatchNorm2d(c) for c in (bot_channels, bot_channels, num_channels))
        if use_1x1conv:
            self.conv4 = nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides)
            self.bn4 = nn.BatchNorm2d(num_channels)
        else:
            self.conv4 = self.bn4 = None

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = F.relu(self.bn2(self.conv2(Y)))
        Y = self.bn3(self.conv3(Y))
        if self.conv4 is not None:
            X = self.bn4(self.conv4(X))
        return F.relu(Y + X)


class ResNeXtBlock(ResNeXtUnit):
    """The book's ResNeXt block with d2l 1.0's arguments; the layers that see the input are lazy, as in the book."""

    def __init__(self, num_channels: int, groups: int, bot_mul: float, use_1x1conv: bool = False, strides: int = 1):
        super().__init__(num_channels, num_channels, groups, bot_mul, use_1x1conv, strides)
        self.conv1 = nn.LazyConv2d(self.bot_channels, kernel_size=1)
        if use_1x1conv:
            self.conv4 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if self.conv4 is None and X.shape[1] != self.conv3.out_channels:
            raise ValueError(
                f"ResNeXtBlock({self.conv3.out_channels}, ...) got {X.shape[1]} input channels, so the input cannot "
                "be added to the output as it is; pass use_1x1conv=True"
            )
        return super().forward(X)


def layer_norm(
    X: torch.Tensor,
    normalized_shape: tuple[int, ...],
    gamma: torch.Tensor | None = None,
    beta: torch.Tensor | None = None,
    eps: float = 1e-5,
) -> torch.Tensor:
    """Layer normalization written out: each example standardised over its last ``len(normalized_shape)`` axes,
    so training and prediction compute the same thing; equals ``F.layer_norm`` up to rounding."""
    normalized_shape = tuple(int(s) for s in normalized_shape)
    if not normalized_shape or tuple(X.shape[-len(normalized_shape) :]) != normalized_shape:
        raise ValueError(
            f"layer_norm: normalized_shape {normalized_shape} must be the last axes of X, whose shape is "
            f"{tuple(X.shape)}; pass e.g. X.shape[1:] to normalise each example over all its values"
        )
    dims = tuple(range(-len(normalized_shape), 0))
    mean = X.mean(dim=dims, keepdim=True)
    var = ((X - mean) ** 2).mean(dim=dims, keepdim=True)
    Y = (X - mean) / torch.sqrt(var + eps)
    if gamma is not None:
        Y = Y * gamma
    if beta is not None:
        Y = Y + beta
    return Y


def googlenet_parts(net: nn.Sequential | None = None) -> nn.Sequential:
    """GoogLeNet as three parts, ``stem`` (b1, b2), ``body`` (the Inception blocks) and ``head``, sharing the
    modules of ``net`` (default a new :func:`googlenet`), which is left unchanged."""
    net = googlenet() if net is None else net
    expected = "the six stages b1, b2, b3, b4, b5 and the dense layer of du.googlenet()"
    if not isinstance(net, nn.Sequential) or len(net) != 6 or not isinstance(net[5], nn.Linear):
        raise ValueError(f"googlenet_parts needs {expected}; got {type(net).__name__} of another layout")
    b1, b2, b3, b4, b5, fc = net
    if len(b5) != 4 or not isinstance(b5[2], nn.AdaptiveAvgPool2d):
        raise ValueError(f"googlenet_parts needs {expected}; its b5 is not two Inception blocks, pooling, flatten")
    return nn.Sequential(OrderedDict(
        stem=nn.Sequential(*b1, *b2),
        body=nn.Sequential(*b3, *b4, b5[0], b5[1]),
        head=nn.Sequential(b5[2], b5[3], fc),
    ))  # fmt: skip


# --- ResNet's two measurements, each on a copy in training mode: the network passed in is left as it was ------


def branch_ratio(block: Residual, X: torch.Tensor) -> float:
    """‖g(x)‖ / ‖x‖ for a residual block with an identity shortcut: how large its branch ``g`` is next to the
    input it is added to (0 means the block starts as the identity)."""
    if block.conv3 is not None:
        raise ValueError("branch_ratio needs an identity shortcut (a block built without use_1x1conv)")
    model = copy.deepcopy(block).train()
    with torch.no_grad():
        branch = model.bn2(model.conv2(F.relu(model.bn1(model.conv1(X)))))
    return (branch.norm() / X.norm()).item()


def conv_gradient_norms(net: nn.Module, X: torch.Tensor, y: torch.Tensor) -> list[float]:
    """The gradient norm of every convolution's weight, in forward order, after one cross-entropy backward pass
    on ``(X, y)``: how strongly the loss reaches each layer at the network's current weights."""
    model = copy.deepcopy(net).train()
    loss = F.cross_entropy(model(X), y)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    grads = torch.autograd.grad(loss, [c.weight for c in convs])
    return [g.norm().item() for g in grads]
