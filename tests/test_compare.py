"""Comparing the course's networks: activation memory, the comparison table, speed records, and the
per-stage costs.
"""

from __future__ import annotations

import copy
import json

import pytest
import torch
from torch import nn

import d2l_utils as du
from benchmarks.which_cnn_speeds import save_speeds
from d2l_utils import compare, profiling


def test_activation_memory_grows_with_the_batch_and_leaves_the_net_alone():
    net = du.bn_lenet()
    state = copy.deepcopy(net.state_dict())
    two, four = (profiling.activation_memory(net, (b, 1, 28, 28)) for b in (2, 4))
    assert two > 0
    assert four == pytest.approx(2 * two, rel=0.05)
    for key, value in net.state_dict().items():
        assert torch.equal(value, state[key]), key
    with pytest.raises(ValueError, match="input_shape"):
        profiling.activation_memory(net, (0, 1, 28, 28))


def test_concatenation_costs_more_activation_memory_than_the_same_convolutions_in_a_chain():
    chain = nn.Sequential(*(du.models.conv_block(16, 16) for _ in range(4)))
    dense = du.DenseBlock(4, 16, 16)
    shape = (2, 16, 12, 12)
    assert profiling.activation_memory(dense, shape) > 1.5 * profiling.activation_memory(chain, shape)


def _tiny_specs():
    return (compare.NetworkSpec("LeNet", du.lenet, 28, "lenet"),
            compare.NetworkSpec("BN-LeNet", du.bn_lenet, 28))  # fmt: skip


def test_compare_networks_measures_each_network():
    rows = compare.compare_networks(_tiny_specs(), speeds={"LeNet": 1234.0})
    lenet = rows[0]
    assert lenet.params == sum(p.numel() for p in du.lenet().parameters())
    assert lenet.flops == du.count_flops(du.lenet().eval(), torch.zeros(1, 1, 28, 28))
    assert lenet.activation_bytes > 0 and lenet.examples_per_sec == 1234.0
    assert lenet.book == du.book_spread("lenet")
    assert rows[1].examples_per_sec is None and rows[1].book is None
    table = compare.format_comparison(rows)
    assert len(table.splitlines()) == 2 + len(rows) and "1,234" in table
    assert "examples/s" not in compare.format_comparison(rows, speed=False)
    with pytest.raises(ValueError, match="unique"):
        compare.compare_networks(_tiny_specs() * 2)


def test_course_networks_cover_every_network_and_quote_sources():
    names = [spec.name for spec in compare.COURSE_NETWORKS]
    assert names == ["LeNet", "AlexNet", "VGG-11/4", "NiN", "GoogLeNet", "BN-LeNet", "ResNet-18", "DenseNet"]
    for spec in compare.COURSE_NETWORKS:
        if spec.book is not None:
            assert all(run.url.startswith("https://github.com/d2l-ai/") for run in du.plans.book_runs(spec.book))


def test_speed_record_round_trip_and_errors(tmp_path):
    path = tmp_path / "speeds.json"
    speeds = profiling.measure_speeds(_tiny_specs(), batch_size=4, seconds=0.05, device="cpu")
    assert set(speeds) == {"LeNet", "BN-LeNet"} and all(v > 0 for v in speeds.values())
    save_speeds(path, speeds, batch_size=4, seconds=0.05, device="cpu")
    record = profiling.load_speeds(path)
    assert record["examples_per_sec"] == {k: round(v, 1) for k, v in speeds.items()}
    assert record["date"] and "torch" in record["machine"]
    with pytest.raises(FileNotFoundError, match="which_cnn_speeds.py"):
        profiling.load_speeds(tmp_path / "missing.json")
    path.write_text(json.dumps({"date": "x"}))
    with pytest.raises(ValueError, match="machine"):
        profiling.load_speeds(path)
    with pytest.raises(ValueError, match="batch_size"):
        profiling.measure_speeds(_tiny_specs(), batch_size=1)
    with pytest.raises(ValueError, match="seconds"):
        profiling.measure_speeds(_tiny_specs(), seconds=0)


def test_stage_costs_add_up_to_the_whole_net_and_check_names():
    net = du.resnet18()
    rows = du.stage_costs(net, (1, 1, 96, 96), names=("stem", "s", "s", "s", "s", "pool", "flat", "fc"))
    assert [r.layer_type for r in rows][:2] == ["stem", "s"]
    assert sum(r.params for r in rows) == sum(p.numel() for p in net.parameters())
    assert sum(r.flops for r in rows) == du.count_flops(net.eval(), torch.zeros(1, 1, 96, 96))
    assert tuple(rows[5].output_shape) == (1, 512, 1, 1)
    with pytest.raises(ValueError, match="one name per stage"):
        du.stage_costs(net, (1, 1, 96, 96), names=("stem",))
    with pytest.raises(TypeError, match="nn.Sequential"):
        du.stage_costs(du.Residual(3, 3), (1, 3, 8, 8))


@pytest.mark.bad_input
def test_stage_costs_name_the_stage_an_input_does_not_fit():
    with pytest.raises(ValueError, match=r"stage 7 \(classifier\) cannot take its input of shape \(1, 144\), from "
                                         r"input_shape=\(1, 1, 20, 20\)"):  # fmt: skip
        du.stage_costs(du.lenet(), (1, 1, 20, 20), names=[*"abcdefg", "classifier", *"hijk"])


@pytest.mark.bad_input
def test_compare_networks_names_the_network_and_the_input_size_it_cannot_take():
    with pytest.raises(ValueError, match=r"AlexNet cannot take input_size=28 \(images of 1×28×28\)"):
        compare.compare_networks([compare.NetworkSpec("AlexNet", du.alexnet, 28)], real_mnist={})


def test_a_built_net_in_place_of_its_builder_is_measured_unchanged():
    net = du.lenet().train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    (built,) = compare.compare_networks([compare.NetworkSpec("LeNet", net, 28)], real_mnist={})
    (builder,) = compare.compare_networks([compare.NetworkSpec("LeNet", du.lenet, 28)], real_mnist={})
    assert (built.params, built.flops, built.activation_bytes) == (builder.params, builder.flops,
                                                                   builder.activation_bytes)  # fmt: skip
    assert net.training and all(torch.equal(v, net.state_dict()[k]) for k, v in before.items())
