"""The residual-branch and gradient-norm measurements leave the net untouched and measure what they say."""

import pytest
import torch
from torch import nn

import d2l_utils as du


def test_branch_ratio_is_zero_when_the_last_batch_norm_scale_is_zero():
    du.seed_everything(0)
    block = du.Residual(8, 8)
    X = torch.relu(torch.randn(4, 8, 6, 6))
    assert du.branch_ratio(block, X) > 0.5  # batch norm with scale 1: the branch is as large as its input
    nn.init.zeros_(block.bn2.weight)
    assert du.branch_ratio(block, X) == 0.0


def test_measurements_leave_the_network_as_it_was():
    du.seed_everything(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 4, 3), nn.Flatten(),
                        nn.LazyLinear(3))  # fmt: skip
    X, y = torch.randn(6, 1, 8, 8), torch.randint(0, 3, (6,))
    net(X)
    net.eval()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    norms = du.conv_gradient_norms(net, X, y)
    assert len(norms) == 2 and all(n > 0 for n in norms)
    assert not net.training and all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert all(p.grad is None for p in net.parameters())


@pytest.mark.bad_input
def test_branch_ratio_refuses_a_projection_shortcut():
    with pytest.raises(ValueError, match="identity shortcut"):
        du.branch_ratio(du.Residual(3, 6, use_1x1conv=True), torch.randn(2, 3, 4, 4))
