"""du.layer_costs, du.format_cost_table and du.measure_training_speed.

The totals are the course's reference numbers (PyTorch's own FLOP counter, one image): the chapters quote them.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

import d2l_utils as du

LENET_INPUT = (1, 1, 28, 28)
ALEXNET_INPUT = (1, 1, 224, 224)


@pytest.fixture(scope="module")
def alexnet_costs() -> list[du.profiling.LayerCost]:
    return du.layer_costs(du.alexnet(), ALEXNET_INPUT)


def test_lenet_totals():
    rows = du.layer_costs(du.lenet(), LENET_INPUT)
    assert sum(r.params for r in rows) == 61_706
    assert sum(r.flops for r in rows) == 833_040
    assert [r.flops for r in rows if r.flops] == [235_200, 480_000, 96_000, 20_160, 1_680]


def test_alexnet_totals(alexnet_costs):
    assert sum(r.params for r in alexnet_costs) == 46_764_746
    assert sum(r.flops for r in alexnet_costs) == 1_876_292_352


def test_rows_follow_the_shape_probe(alexnet_costs):
    probe = du.layer_summary(du.alexnet(), ALEXNET_INPUT, print_fn=None)
    assert [(r.index, r.layer_type, r.output_shape) for r in alexnet_costs] == [
        (p.index, p.layer_type, p.output_shape) for p in probe
    ]
    assert alexnet_costs[0].output_shape == torch.Size([1, 96, 54, 54])


def test_alexnet_parameters_sit_in_dense_layers_compute_in_convolutions(alexnet_costs):
    dense = [r for r in alexnet_costs if r.layer_type == "Linear"]
    conv = [r for r in alexnet_costs if r.layer_type == "Conv2d"]
    total_params = sum(r.params for r in alexnet_costs)
    total_flops = sum(r.flops for r in alexnet_costs)
    assert sum(r.params for r in dense) / total_params > 0.9
    assert sum(r.flops for r in conv) / total_flops > 0.95


def test_flops_scale_with_batch_and_match_the_formula():
    layer = nn.Linear(400, 120)
    assert du.count_flops(layer, torch.zeros(1, 400)) == 2 * 400 * 120
    rows = du.layer_costs(du.lenet(), (4, 1, 28, 28))
    assert sum(r.flops for r in rows) == 4 * 833_040
    assert sum(r.params for r in rows) == 61_706


def test_layer_costs_leaves_the_net_as_it_was():
    net = du.lenet().train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    du.layer_costs(net, LENET_INPUT)
    assert net.training
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in net.modules())


def test_format_cost_table_has_every_layer_and_the_totals():
    rows = du.layer_costs(du.lenet(), LENET_INPUT)
    text = du.format_cost_table(rows)
    lines = text.splitlines()
    assert len(lines) == len(rows) + 4  # header, rule, rows, rule, total
    assert "61,706" in lines[-1] and "833,040" in lines[-1]
    assert "16×5×5" in text and "48,120" in text
    assert all(line == line.rstrip() for line in lines)


def test_measure_training_speed_trains_a_copy():
    torch.manual_seed(0)
    net = du.lenet()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    speed = du.measure_training_speed(net, (1, 28, 28), batch_size=8, steps=2, lr=0.9, device="cpu")
    assert speed > 0
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_measure_training_speed_rejects_empty_runs():
    with pytest.raises(ValueError, match="at least 1"):
        du.measure_training_speed(du.lenet(), (1, 28, 28), batch_size=8, steps=0, device="cpu")


def test_measure_training_speed_with_batch_norm():
    """Counting the classes runs one example: in training mode BatchNorm1d refuses a batch of one."""
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 10))
    assert du.measure_training_speed(net, (1, 28, 28), batch_size=8, steps=1, device="cpu") > 0
