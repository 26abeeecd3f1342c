"""Probes leave the net as they found it: weights, buffers (batch-norm statistics), gradients, each part's mode."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import d2l_utils as du
from d2l_utils.shapes import unchanged
from tests.helpers import state_of
from tools.figures.architecture import plot_architecture


def bn_net():
    """A small BatchNorm net in training mode, with gradients from a real step and its batch norm frozen in eval."""
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.5),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10),
    )  # fmt: skip
    net(torch.randn(4, 1, 16, 16)).sum().backward()
    net[5].eval()  # a frozen batch norm, as in fine-tuning
    net[0].weight.requires_grad_(False)  # a frozen weight
    return net


def snapshot(net):
    return {
        "state": state_of(net),
        "grads": {n: (None if p.grad is None else p.grad.clone()) for n, p in net.named_parameters()},
        "grad_ids": {n: id(p.grad) for n, p in net.named_parameters()},
        "requires_grad": {n: p.requires_grad for n, p in net.named_parameters()},
        "modes": {n: m.training for n, m in net.named_modules()},
    }


def assert_unchanged(net, before):
    after = snapshot(net)
    assert after["modes"] == before["modes"]
    assert after["requires_grad"] == before["requires_grad"]
    assert after["grad_ids"] == before["grad_ids"]
    for k, v in before["state"].items():
        assert torch.equal(after["state"][k], v), k
    for k, v in before["grads"].items():
        assert (after["grads"][k] is None) == (v is None) and (v is None or torch.equal(after["grads"][k], v)), k


PROBES = {
    "layer_summary": lambda net: du.layer_summary(net, (2, 1, 16, 16), print_fn=None),
    "check_input_fits": lambda net: du.shapes.check_input_fits(net, (2, 1, 16, 16)),
    "count_flops": lambda net: du.count_flops(net, torch.randn(2, 1, 16, 16)),
    "layer_costs": lambda net: du.layer_costs(net, (2, 1, 16, 16)),
    "stage_costs": lambda net: du.stage_costs(net, (2, 1, 16, 16)),
    "activation_memory": lambda net: du.activation_memory(net, (2, 1, 16, 16)),
    "measure_training_speed": lambda net: du.measure_training_speed(net, (1, 16, 16), 4, 1, device="cpu"),
    "gradient_receptive_field": lambda net: du.gradient_receptive_field(net, (1, 16, 16), exact=False),
    "gradient_receptive_field_exact": lambda net: du.gradient_receptive_field(net, (1, 16, 16)),
    "receptive_fields": du.receptive_fields,
    "plot_architecture": lambda net: plot_architecture(net, (1, 1, 16, 16)),
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", list(PROBES))
def test_probe_leaves_the_net_as_it_found_it(name):
    net = bn_net()
    before = snapshot(net)
    PROBES[name](net)
    assert_unchanged(net, before)
    if name == "plot_architecture":
        import matplotlib.pyplot as plt

        plt.close("all")


def test_unchanged_restores_what_a_careless_probe_does():
    net = bn_net()
    before = snapshot(net)
    with unchanged(net):
        net.train()  # un-freezes the batch norm
        net(torch.randn(4, 1, 16, 16)).sum().backward()  # updates running stats, adds gradients
        with torch.no_grad():
            net[4].weight.add_(1.0)  # and even changes a weight
        net[0].weight.requires_grad_(True)
    assert_unchanged(net, before)


def test_unchanged_restores_after_an_error():
    net = bn_net()
    before = snapshot(net)
    with pytest.raises(RuntimeError, match="boom"), unchanged(net):
        net.eval()
        net(torch.randn(2, 1, 16, 16))
        raise RuntimeError("boom")
    assert_unchanged(net, before)


def test_an_untouched_net_is_not_written():
    net = bn_net()
    versions = [p._version for p in net.parameters()]
    with unchanged(net):
        pass
    assert [p._version for p in net.parameters()] == versions  # an autograd graph on the net stays valid


def test_lazy_layers_keep_the_shapes_a_probe_gives_them():
    net = nn.Sequential(nn.Flatten(), nn.LazyLinear(10))
    du.shapes.check_input_fits(net, (2, 1, 4, 4))
    assert net[1].weight.shape == (10, 16)


def test_nested_probes_give_back_what_the_outer_one_found():
    net = bn_net()
    with unchanged(net):
        du.layer_summary(net, (2, 1, 16, 16), print_fn=None)
        net.train()
    assert not net[5].training


@pytest.mark.bad_input
def test_unchanged_needs_a_module():
    with pytest.raises(TypeError, match=r"function lenet, not a network: call it .*du\.lenet\(\)"), unchanged(du.lenet):
        pass


class CallCounting(nn.Sequential):
    """``bn_net`` that counts its forward passes in two buffers: one replaced, one changed in place."""

    def __init__(self):
        super().__init__(*bn_net())
        self.register_buffer("calls", torch.zeros(()))
        self.register_buffer("seen", torch.zeros(()))

    def forward(self, X):
        self.calls = self.calls + 1  # a new tensor: the module's buffer is replaced
        self.seen.add_(X.shape[0])
        return super().forward(X)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", list(PROBES))
def test_probe_gives_back_buffers_that_forward_replaces(name):
    net = CallCounting()
    calls, before = net.calls, snapshot(net)
    PROBES[name](net)
    assert net.calls is calls and net.calls.item() == 0 and net.seen.item() == 0
    assert_unchanged(net, before)
    if name == "plot_architecture":
        import matplotlib.pyplot as plt

        plt.close("all")


def test_a_net_on_the_meta_device_is_probed_and_left_on_it():
    """A meta net holds shapes but no values: the probe runs, and there is nothing to restore but its modes."""
    with torch.device("meta"):
        net = du.lenet()
    net.train()
    rows = du.layer_summary(net, (1, 1, 28, 28), print_fn=None)
    assert rows[-1].output_shape == (1, 10) and net.training and net[0].weight.is_meta


def test_a_buffer_registered_during_a_probe_is_removed():
    class Caching(nn.Sequential):
        def forward(self, X):
            self.register_buffer("cache", X.detach())
            return super().forward(X)

    net = Caching(nn.Flatten(), nn.Linear(16, 2))
    du.layer_summary(net, (1, 1, 4, 4), print_fn=None)
    assert "cache" not in dict(net.named_buffers())
