"""Batch normalization, ResNet, DenseNet and the comparison of every course network (issue: Modern CNNs II)."""

import copy
import json

import matplotlib
import pytest
import torch
from torch import nn

import d2l_utils as du
from d2l_utils import compare

matplotlib.use("agg")


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


def stage_output_shapes(net, X):
    """The output shape of each top-level stage of ``net`` for input ``X``."""
    shapes = []
    for stage in net:
        X = stage(X)
        shapes.append(tuple(X.shape))
    return shapes


def test_resnet18_stages_and_output():
    net = du.resnet18().eval()
    shapes = stage_output_shapes(net, torch.rand(1, 1, 224, 224))
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
    channels = [shape[1] for shape in stage_output_shapes(net, torch.rand(1, 1, 96, 96))]
    assert channels[:7] == [64, 192, 96, 224, 112, 240, 120] and channels[7] == 248
    assert net(torch.rand(2, 1, 96, 96)).shape == (2, 10)
    with pytest.raises(ValueError, match="growth_rate"):
        du.densenet(growth_rate=0)


def test_activation_memory_grows_with_the_batch_and_leaves_the_net_alone():
    net = du.bn_lenet()
    state = copy.deepcopy(net.state_dict())
    two, four = (compare.activation_memory(net, (b, 1, 28, 28)) for b in (2, 4))
    assert two > 0
    assert four == pytest.approx(2 * two, rel=0.05)
    for key, value in net.state_dict().items():
        assert torch.equal(value, state[key]), key
    with pytest.raises(ValueError, match="input_shape"):
        compare.activation_memory(net, (0, 1, 28, 28))


def test_concatenation_costs_more_activation_memory_than_the_same_convolutions_in_a_chain():
    chain = nn.Sequential(*(du.models.conv_block(16, 16) for _ in range(4)))
    dense = du.DenseBlock(4, 16, 16)
    shape = (2, 16, 12, 12)
    assert compare.activation_memory(dense, shape) > 1.5 * compare.activation_memory(chain, shape)


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
            assert all(run.url.startswith("https://github.com/d2l-ai/") for run in du.book_runs(spec.book))


def test_speed_record_round_trip_and_errors(tmp_path):
    path = tmp_path / "speeds.json"
    speeds = compare.measure_speeds(_tiny_specs(), batch_size=4, seconds=0.05, device="cpu")
    assert set(speeds) == {"LeNet", "BN-LeNet"} and all(v > 0 for v in speeds.values())
    compare.save_speeds(path, speeds, batch_size=4, seconds=0.05, device="cpu")
    record = compare.load_speeds(path)
    assert record["examples_per_sec"] == {k: round(v, 1) for k, v in speeds.items()}
    assert record["date"] and "torch" in record["machine"]
    with pytest.raises(FileNotFoundError, match="save_speeds"):
        compare.load_speeds(tmp_path / "missing.json")
    path.write_text(json.dumps({"date": "x"}))
    with pytest.raises(ValueError, match="machine"):
        compare.load_speeds(path)
    with pytest.raises(ValueError, match="batch_size"):
        compare.measure_speeds(_tiny_specs(), batch_size=1)
    with pytest.raises(ValueError, match="seconds"):
        compare.measure_speeds(_tiny_specs(), seconds=0)


def test_plot_comparison_has_a_speed_panel_only_when_speeds_were_measured():
    rows = compare.compare_networks(_tiny_specs())
    assert len(compare.plot_comparison(rows).axes) == 4
    rows = compare.compare_networks(_tiny_specs(), speeds={"LeNet": 10.0, "BN-LeNet": 20.0})
    assert len(compare.plot_comparison(rows).axes) == 5


@pytest.mark.parametrize(
    ("network", "lr", "batch", "resize"),
    [("bn-lenet", 1.0, 256, None), ("resnet18", 0.05, 256, 96), ("densenet", 0.1, 256, 96)],
)
def test_plans_hold_the_books_settings(network, lr, batch, resize):
    book = du.choose_plan(network, "cuda")
    assert (book.lr, book.batch_size, book.resize, book.num_epochs) == (lr, batch, resize, 10)
    quick = du.choose_plan(network, "cpu")
    assert quick.name == "cpu-quick" and quick.training_examples < book.training_examples


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
