"""Batch normalization from scratch (du.batch_norm, du.BatchNorm, the from-scratch BN-LeNet) against PyTorch's."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import d2l_utils as du


def _bn_args(layer: nn.Module, shape) -> tuple:
    """gamma, beta, moving mean and variance of a PyTorch batch-norm layer, reshaped for du.batch_norm."""
    return (layer.weight.detach().reshape(shape), layer.bias.detach().reshape(shape),
            layer.running_mean.clone().reshape(shape), layer.running_var.clone().reshape(shape))  # fmt: skip


@pytest.mark.parametrize(("layer", "X", "shape"), [
    (nn.BatchNorm2d(5), torch.randn(8, 5, 6, 7) * 3 + 1, (1, 5, 1, 1)),
    (nn.BatchNorm1d(5), torch.randn(16, 5) * 3 + 1, (1, 5)),
])  # fmt: skip
def test_batch_norm_from_scratch_matches_pytorch_in_both_modes(layer, X, shape):
    torch.manual_seed(0)
    with torch.no_grad():
        layer.weight.uniform_(0.5, 2)
        layer.bias.uniform_(-1, 1)
    gamma, beta, mean, var = _bn_args(layer, shape)
    Y, new_mean, new_var = du.batch_norm(X, gamma, beta, mean, var, training=True)
    expected = layer.train()(X)
    torch.testing.assert_close(Y, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(new_mean.reshape(-1), layer.running_mean, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(new_var.reshape(-1), layer.running_var, rtol=1e-5, atol=1e-6)
    Y_eval, same_mean, _ = du.batch_norm(X, gamma, beta, new_mean, new_var, training=False)
    torch.testing.assert_close(Y_eval, layer.eval()(X), rtol=1e-5, atol=1e-5)
    assert torch.equal(same_mean, new_mean), "prediction mode must not move the averages"


def test_batch_norm_training_output_is_standardised_per_channel():
    X = torch.randn(4, 3, 5, 5) * 10 + 7
    Y, _, _ = du.batch_norm(X, torch.ones(1, 3, 1, 1), torch.zeros(1, 3, 1, 1), torch.zeros(1, 3, 1, 1),
                            torch.ones(1, 3, 1, 1), training=True)  # fmt: skip
    torch.testing.assert_close(Y.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(Y.var(dim=(0, 2, 3), unbiased=False), torch.ones(3), atol=1e-3, rtol=0)


def test_batch_norm_rejects_bad_inputs_with_a_fix():
    ones = torch.ones(1, 3)
    with pytest.raises(ValueError, match="reshape"):
        du.batch_norm(torch.randn(2, 3, 4), ones, ones, ones, ones, training=True)
    with pytest.raises(ValueError, match="at least 2"):
        du.batch_norm(torch.randn(1, 3), ones, ones, ones, ones, training=True)


def test_batchnorm_module_follows_train_and_eval_and_updates_buffers():
    layer = du.BatchNorm(4, num_dims=4)
    reference = nn.BatchNorm2d(4)
    X = torch.randn(6, 4, 3, 3) + 2
    for _ in range(3):
        torch.testing.assert_close(layer(X), reference(X), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(layer.moving_mean.reshape(-1), reference.running_mean)
    layer.eval(), reference.eval()
    torch.testing.assert_close(layer(X), reference(X), rtol=1e-5, atol=1e-5)
    with torch.enable_grad():  # the mode decides, not whether gradients are on (the book's fault)
        before = layer.moving_mean.clone()
        layer(X)
        assert torch.equal(before, layer.moving_mean)
    assert {name for name, _ in layer.named_buffers()} == {"moving_mean", "moving_var"}


def test_batchnorm_module_explains_wrong_configuration():
    with pytest.raises(ValueError, match="num_dims"):
        du.BatchNorm(4, num_dims=3)
    with pytest.raises(ValueError, match="4 features"):
        du.BatchNorm(4, num_dims=2)(torch.randn(2, 5))


def test_bn_lenet_from_scratch_computes_what_the_pytorch_version_computes():
    torch.manual_seed(0)
    concise, scratch = du.bn_lenet(), du.bn_lenet(from_scratch=True)
    for a, b in zip(concise, scratch, strict=True):
        if isinstance(a, (nn.Conv2d, nn.Linear)):
            b.load_state_dict(a.state_dict())
    X = torch.randn(8, 1, 28, 28)
    torch.testing.assert_close(scratch.train()(X), concise.train()(X), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(scratch.eval()(X), concise.eval()(X), rtol=1e-4, atol=1e-5)
    assert concise(X).shape == (8, 10)
    assert sum(p.numel() for p in concise.parameters()) == sum(p.numel() for p in scratch.parameters())
