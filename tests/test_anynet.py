"""The AnyNet design space: networks, exact sizes, constrained sampling, the RegNetX rule and the EDF."""

import dataclasses
import itertools
import math
import random
from collections import Counter

import matplotlib
import pytest
import torch

import d2l_utils as du
from d2l_utils import anynet as an

matplotlib.use("agg")

TINY = an.DesignSpace("tiny", 2, depths=(1, 2), widths=(8, 16, 24), group_widths=(4, 8), bottleneck_ratios=(1, 2),
                      stem_channels=8)  # fmt: skip


def _all_configs(space):
    stage = [(d, w, g, 1 / k) for d in space.depths for w in space.widths for g in space.group_widths
             for k in space.bottleneck_ratios]  # fmt: skip
    return [arch for arch in itertools.product(stage, repeat=space.num_stages) if space.contains(arch)]


@pytest.mark.parametrize("name", ["AnyNetX_A", "AnyNetX_B", "AnyNetX_C", "AnyNetX_D", "AnyNetX_E"])
def test_size_counts_exactly_the_valid_configurations(name):
    space = an.anynetx_spaces(TINY)[name]
    assert space.size() == len(_all_configs(space)) > 0


def test_each_constraint_shrinks_the_space_and_the_paper_count():
    sizes = [s.size() for s in an.anynetx_spaces(TINY).values()]
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == 5
    paper = an.DesignSpace("paper", 4, tuple(range(1, 17)), tuple(range(8, 1025, 8)), (1, 2, 4, 8, 16, 32),
                           (1, 2, 4), 32)  # fmt: skip
    assert paper.choices() == (16 * 128 * 3 * 6) ** 4
    assert paper.size() < paper.choices()


def test_samples_keep_the_constraints_and_cover_the_space_uniformly():
    space = an.anynetx_spaces(TINY)["AnyNetX_D"]
    state = random.getstate()
    sample = space.sample(4000, seed=3)
    assert random.getstate() == state, "sampling must not touch the global random state"
    assert all(space.contains(arch) for arch in sample)
    counts = Counter(sample)
    assert len(counts) == space.size()  # every configuration appears
    expected = len(sample) / space.size()
    assert max(counts.values()) < 2.5 * expected and min(counts.values()) > expected / 2.5
    assert space.sample(5, seed=1) == space.sample(5, seed=1) != space.sample(5, seed=2)


def test_anynet_shapes_and_named_parts():
    net = an.anynet_model(((1, 16, 8, 1), (2, 32, 8, 0.5), (1, 64, 16, 1)), stem_channels=8).eval()
    assert list(dict(net.named_children())) == ["stem", "stage1", "stage2", "stage3", "head"]
    X = torch.randn(2, 1, 28, 28)
    shapes = []
    for part in net:
        X = part(X)
        shapes.append(tuple(X.shape[1:]))
    assert shapes == [(8, 14, 14), (16, 7, 7), (32, 4, 4), (64, 2, 2), (10,)]
    assert len(net.stage2) == 2 and net.stage2[1].bot_channels == 16


def test_books_regnetx32_has_32_layers_with_weights_and_its_shapes():
    net = an.regnetx32().eval()
    weighted = [m for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    shortcuts = [m.conv4 for m in net.modules() if isinstance(m, du.ResNeXtUnit) and m.conv4 is not None]
    assert len(weighted) - len(shortcuts) == 32  # the stem, 10 blocks of 3 convolutions, the dense layer
    with torch.no_grad():
        assert net.stage2(net.stage1(net.stem(torch.randn(1, 1, 96, 96)))).shape == (1, 80, 12, 12)


def test_regnetx_rule_puts_widths_on_a_quantised_ramp():
    stages = an.regnetx_stages(depth=6, w0=16, wa=8, wm=2, groups=8)
    # ramp 16, 24, 32, 40, 48, 56 -> nearest power-of-2 multiple of 16: 16, 32, 32, 32, 64, 64
    assert stages == ((1, 16, 8, 1.0), (3, 32, 8, 1.0), (2, 64, 8, 1.0))
    assert sum(d for d, *_ in stages) == 6
    widths = [w for _, w, _, _ in an.regnetx_stages(20, 24, 36, 2.5, groups=8)]
    assert widths == sorted(widths) and all(w % 8 == 0 for w in widths)


def test_edf_is_the_share_of_errors_at_or_below():
    x, y = an.edf([0.3, 0.1, 0.2, 0.2])
    assert x == [0.1, 0.2, 0.2, 0.3]
    assert y == [0.25, 0.75, 0.75, 1.0]


def test_plot_edfs_draws_one_panel_per_pair():
    errors = {"A": [0.1, 0.3], "B": [0.2, 0.25], "C": [0.05, 0.4]}
    fig = an.plot_edfs(errors)
    assert len(fig.axes) == 2
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["A [10.0 | 20.0]", "B [20.0 | 22.5]"]


def test_evaluate_sample_trains_and_leaves_errors_between_0_and_1():
    g = torch.Generator().manual_seed(0)
    images, labels = (torch.rand(64, 12, 12, generator=g) * 255).to(torch.uint8), torch.arange(64) % 2
    train = du.data.InMemoryBatches(images, labels, 16, shuffle=True)
    test = du.data.InMemoryBatches(images, labels, 32, shuffle=False)
    archs = TINY.sample(2, seed=0)
    results = an.evaluate_sample(archs, 8, train, test, num_epochs=1, lr=0.1)
    assert [r.arch for r in results] == archs
    assert all(0 <= r.test_error <= 1 and r.params > 0 and r.flops > 0 for r in results)


@pytest.mark.bad_input
def test_bad_settings_are_refused_with_the_fix():
    with pytest.raises(ValueError, match="positive integer"):
        TINY.sample(0)
    with pytest.raises(ValueError, match="no valid configuration"):
        an.DesignSpace("empty", 1, (1,), (8,), (16,), (1,), 8).sample(1)
    with pytest.raises(ValueError, match="wm > 1"):
        an.regnetx_stages(4, 16, 8, 1.0, groups=8)
    with pytest.raises(ValueError, match="arch must be"):
        an.anynet_model(((1, 16, 8),), 8)


def test_regnetx_mnist_arch_is_the_rule_applied_to_28x28_digits():
    assert an.REGNETX_MNIST_ARCH == ((1, 16, 8, 1.0), (2, 32, 8, 1.0), (4, 64, 8, 1.0))
    net = an.anynet_model(an.REGNETX_MNIST_ARCH, 16).eval()
    with torch.no_grad():
        assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_design_networks_sit_next_to_the_course_networks_without_book_runs():
    names = [spec.name for spec in du.DESIGN_NETWORKS]
    assert names == ["RegNetX-32", "RegNetX-7"] and all(spec.book is None for spec in du.DESIGN_NETWORKS)
    rows = du.compare_networks(du.DESIGN_NETWORKS)
    assert [r.params for r in rows] == [179_290, 66_026]
    assert "–" in du.format_comparison(rows, speed=False)


# --- bad input is named, reasonable input is taken ---------------------------------------------------------------


@pytest.mark.bad_input
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_edf_refuses_an_error_that_is_not_a_number(bad):
    with pytest.raises(ValueError, match=r"errors\[1\] is (nan|inf)"):
        an.edf([0.2, bad, 0.1])


def test_contains_knows_a_ratio_that_is_not_a_whole_number():
    space = an.DesignSpace("k12", 1, (1,), (8, 16), (4, 8), (1, 2), 8)
    assert space.contains(((1, 16, 8, 0.5),)) and space.contains(((1, 16, 8, 1.0),))
    assert not space.contains(((1, 16, 8, 0.4),))  # k = 2.5: not a ratio of this space
    assert not space.contains(((1, 16, 8, 0.0),))


def test_numpy_integers_work_as_depths_widths_and_counts():
    np = pytest.importorskip("numpy")
    net = an.anynet_model(((np.int64(2), np.int64(16), np.int64(8), 1.0),), np.int64(8)).eval()
    assert len(net.stage1) == 2
    with torch.no_grad():
        assert net(torch.zeros(1, 1, 28, 28)).shape == (1, 10)
    assert len(TINY.sample(np.int64(3))) == 3
    assert an.regnetx_stages(np.int64(6), 16, 8, 2, groups=np.int64(8)) == an.regnetx_stages(6, 16, 8, 2, groups=8)
    space = an.DesignSpace("np", np.int64(1), (np.int64(1),), (np.int64(8),), (np.int64(4),), (np.int64(1),), 8)
    assert space.size() == 1


@pytest.mark.bad_input
def test_a_group_width_of_0_is_named():
    with pytest.raises(ValueError, match=r"group_widths must be .*\(0, 4\)"):
        an.DesignSpace("g0", 1, (1,), (8,), (0, 4), (1,), 8)
    with pytest.raises(ValueError, match="groups must be a positive integer, got 0"):
        an.regnetx_stages(4, 16, 8, 2, groups=0)
    with pytest.raises(ValueError, match="groups must be a positive integer, got 0"):
        an.anynet_model(((1, 16, 0, 1),), 8)


@pytest.mark.bad_input
@pytest.mark.parametrize("depth", [0, 1.5])
def test_a_stage_depth_that_is_not_a_positive_integer_is_named(depth):
    with pytest.raises(ValueError, match="depth must be a positive integer"):
        an.anynet_model(((depth, 16, 8, 1),), 8)


@pytest.mark.bad_input
def test_constraints_must_be_true_or_false():
    with pytest.raises(ValueError, match="increasing_widths must be True or False, got 'False'"):
        dataclasses.replace(TINY, increasing_widths="False")


def _tiny_data(batch_size=16, n=32):
    g = torch.Generator().manual_seed(0)
    images, labels = (torch.rand(n, 12, 12, generator=g) * 255).to(torch.uint8), torch.arange(n) % 2
    return du.data.InMemoryBatches(images, labels, batch_size, shuffle=False)


@pytest.mark.bad_input
@pytest.mark.parametrize(
    ("change", "error", "message"),
    [({"num_epochs": 0}, ValueError, "num_epochs must be a positive integer, got 0"),
     ({"lr": -0.1}, ValueError, "lr must be a positive"),
     ({"test_iter": []}, ValueError, "test_iter"),
     ({"train_iter": [(torch.zeros(2, 1, 12, 12), torch.zeros(2, dtype=torch.long), 0)]}, TypeError, r"\(X, y\) pairs"),
     ({"test_iter": [(torch.zeros(2, 1, 12, 12), torch.zeros(2, dtype=torch.long), 0)]}, TypeError, r"\(X, y\) pairs")],
)  # fmt: skip
def test_evaluate_sample_checks_its_arguments_before_training(change, error, message, capsys):
    arguments = dict(train_iter=_tiny_data(), test_iter=_tiny_data(), num_epochs=1, lr=0.1) | change
    with pytest.raises(error, match=message):
        an.evaluate_sample(TINY.sample(1), 8, **arguments)
    assert capsys.readouterr().out == ""  # no network was trained
