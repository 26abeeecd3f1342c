"""Layer normalization from scratch: same as nn.LayerNorm, per example, independent of the batch."""

import pytest
import torch
from torch import nn

import d2l_utils as du


@pytest.mark.parametrize("shape", [(8, 5), (4, 3, 6, 7)])
def test_layer_norm_matches_pytorch(shape):
    torch.manual_seed(0)
    X = torch.randn(*shape) * 4 + 2
    theirs = nn.LayerNorm(shape[1:])
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.linspace(-1, 2, p.numel()).reshape(p.shape))
    ours = du.layer_norm(X, shape[1:], theirs.weight.detach(), theirs.bias.detach())
    torch.testing.assert_close(ours, theirs(X), rtol=1e-5, atol=1e-5)


def test_each_example_is_standardised_over_its_own_values():
    X = torch.randn(3, 2, 4, 4) * torch.tensor([1.0, 10.0, 100.0]).reshape(3, 1, 1, 1)
    Y = du.layer_norm(X, X.shape[1:])
    torch.testing.assert_close(Y.mean(dim=(1, 2, 3)), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(Y.var(dim=(1, 2, 3), unbiased=False), torch.ones(3), atol=1e-3, rtol=0)


def test_result_does_not_depend_on_the_rest_of_the_batch_or_the_mode():
    torch.manual_seed(0)
    X = torch.randn(6, 10)
    gamma, beta = torch.rand(10), torch.rand(10)
    alone = du.layer_norm(X[:1], (10,), gamma, beta)
    torch.testing.assert_close(du.layer_norm(X, (10,), gamma, beta)[:1], alone)  # no statistics, no mode
    bn = nn.BatchNorm1d(10).train()
    with pytest.raises(ValueError):
        bn(X[:1])  # batch norm cannot train on a batch of one dense example


def test_scale_invariance():
    X = torch.randn(2, 50)
    torch.testing.assert_close(du.layer_norm(X * 1000, (50,)), du.layer_norm(X, (50,)), atol=1e-4, rtol=0)


@pytest.mark.bad_input
def test_shape_that_is_not_the_last_axes_is_refused():
    with pytest.raises(ValueError, match="last axes"):
        du.layer_norm(torch.randn(2, 3, 4), (3,))
