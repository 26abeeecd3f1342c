"""LeNet-5 as the 1998 paper built it: counts, shapes, Table I, the loss, the initialisation, the training glue."""

import importlib
import math

import pytest
import torch
from torch import nn

import d2l_utils as du

# The module, not du.lenet5 the function of the same name.
L = importlib.import_module("d2l_utils.lenet5")

# Section II-B of LeCun et al. 1998: (output shape, trainable parameters, connections) per layer.
PAPER = {
    "C1": ((1, 6, 28, 28), 156, 122_304),
    "S2": ((1, 6, 14, 14), 12, 5_880),
    "C3": ((1, 16, 10, 10), 1_516, 151_600),
    "S4": ((1, 16, 5, 5), 32, 2_000),
    "C5": ((1, 120, 1, 1), 48_120, 48_120),
    "F6": ((1, 84), 10_164, 10_164),
}


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return du.lenet5()


def test_counts_and_shapes_match_the_paper(net):
    rows = {row.name: row for row in du.layer_counts(net)}
    for name, (shape, params, connections) in PAPER.items():
        assert (rows[name].output_shape, rows[name].parameters, rows[name].connections) == (shape, params, connections)
    assert rows["input"].output_shape == (1, 1, 32, 32)
    assert rows["output"].output_shape == (1, 10)


def test_parameter_count_is_honest(net):
    """The RBF codes are fixed (a buffer) and C3 stores only the kernels Table I names: 60,000 in all."""
    assert sum(p.numel() for p in net.parameters()) == 60_000
    assert not any("codes" in name for name, _ in net.named_parameters())


def test_connections_of_standard_layers():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 5, bias=False))
    rows = du.layer_counts(net, (2, 3, 8, 8))
    assert [r.connections for r in rows] == [4 * 6 * 6 * (27 + 1), 0, 5 * 144]
    assert [r.parameters for r in rows] == [4 * 28, 0, 5 * 144]


def test_layer_counts_leaves_the_net_as_it_was(net):
    net.train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    du.layer_counts(net)
    assert net.training
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert not any(m._forward_hooks for m in net.modules())


def test_table_i_structure():
    sizes = [len(inputs) for inputs in L.TABLE_I]
    assert sizes == [3] * 6 + [4] * 9 + [6]
    contiguous = [all((a + 1) % 6 == b for a, b in zip(t, t[1:], strict=False)) for t in L.TABLE_I]
    assert contiguous[:12] == [True] * 12 and contiguous[12:15] == [False] * 3
    assert len({frozenset(t) for t in L.TABLE_I}) == 16


def test_c3_sees_only_the_maps_table_i_names(net):
    c3 = net.C3[0]
    X = torch.randn(1, 6, 14, 14)
    base = c3(X)
    for inp in range(6):
        X2 = X.clone()
        X2[0, inp] += 1.0
        changed = (c3(X2) - base).abs().flatten(2).amax(2)[0] > 0
        expected = torch.tensor([inp in inputs for inputs in L.TABLE_I])
        assert torch.equal(changed, expected), f"S2 map {inp}"


def test_subsampling_is_sum_times_coefficient_plus_bias_squashed():
    layer = L.Subsampling(2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([0.5, -2.0]))
        layer.bias.copy_(torch.tensor([0.1, 0.3]))
    X = torch.arange(32.0).view(1, 2, 4, 4) / 32
    block = X[0, 1, 2:4, 0:2].sum()
    assert layer(X)[0, 1, 1, 0].item() == pytest.approx(1.7159 * math.tanh(2 / 3 * (-2.0 * block.item() + 0.3)))


def test_squash_passes_through_plus_minus_one():
    assert L.squash(torch.tensor([1.0, -1.0, 0.0])).tolist() == pytest.approx([1.0, -1.0, 0.0], abs=2e-4)


def test_rbf_outputs_minus_squared_distances():
    codes = torch.tensor([[1.0, 1.0], [-1.0, 1.0]])
    out = L.EuclideanRBF(codes)(torch.tensor([[0.5, 1.0]]))
    assert out[0].tolist() == pytest.approx([-0.25, -2.25])


def test_loss_matches_a_hand_computation():
    penalties = torch.tensor([[1.0, 4.0, 9.0], [2.0, 0.5, 3.0]])
    y = torch.tensor([0, 2])
    j = 2.0
    by_hand = [
        1.0 + math.log(math.exp(-2.0) + math.exp(-1.0) + math.exp(-4.0) + math.exp(-9.0)),
        3.0 + math.log(math.exp(-2.0) + math.exp(-2.0) + math.exp(-0.5) + math.exp(-3.0)),
    ]
    assert L.LeNet5Loss(j)(-penalties, y).item() == pytest.approx(sum(by_hand) / 2)


def test_loss_stops_pushing_penalties_far_above_j():
    """The rubbish term: a wrong class whose penalty is far above j gets (almost) no gradient."""
    scores = torch.tensor([[-1.0, -50.0]], requires_grad=True)
    L.LeNet5Loss(j=5.0)(scores, torch.tensor([0])).backward()
    assert abs(scores.grad[0, 1].item()) < 1e-15


def test_init_is_uniform_within_2_4_over_fan_in():
    torch.manual_seed(1)
    net = du.lenet5()
    c1, c3, c5, f6 = net.C1[0], net.C3[0], net.C5[0], net.F6[1]
    for layer, fan_in in ((c1, 25), (c5, 400), (f6, 120), (net.S2, 4), (net.S4, 4)):
        for p in (layer.weight, layer.bias):
            assert p.abs().max() <= 2.4 / fan_in
        if layer.weight.numel() > 100:  # fills the range, not a narrower one
            assert layer.weight.abs().max() > 0.9 * 2.4 / fan_in
    owner = c3.pair_index // 6
    for out, inputs in enumerate(L.TABLE_I):
        bound = 2.4 / (25 * len(inputs))
        kernels = c3.weight[owner == out]
        assert kernels.abs().max() <= bound and kernels.abs().max() > 0.8 * bound, f"C3 map {out}"
        assert abs(c3.bias[out]) <= bound


def test_codes_are_plus_minus_one():
    for codes in (L.bitmap_codes(), L.random_codes(3)):
        assert codes.shape == (10, 84)
        assert set(codes.unique().tolist()) == {-1.0, 1.0}
    assert len({tuple(c.tolist()) for c in L.bitmap_codes()}) == 10


def test_lenet5_scores_against_the_codes_it_is_given():
    """Random codes by default, the same for every net; other codes replace them, and the weights stay the paper's."""
    torch.manual_seed(0)
    default = du.lenet5()
    torch.manual_seed(0)
    drawn = du.lenet5(L.bitmap_codes())
    assert torch.equal(default.output.codes, L.random_codes(0))
    assert torch.equal(drawn.output.codes, L.bitmap_codes())
    assert all(torch.equal(a, b) for a, b in zip(default.parameters(), drawn.parameters(), strict=True))


def test_paper_schedule():
    steps = L.step_schedule(1.0)
    assert len(steps) == 20
    assert steps[:2] == [5e-4] * 2 and steps[2:5] == [2e-4] * 3 and steps[5:8] == [1e-4] * 3
    assert steps[8:12] == [5e-5] * 4 and steps[12:] == [1e-5] * 8
    assert L.step_schedule(10.0, 3) == pytest.approx([5e-3, 5e-3, 2e-3])


def _random_digits(n, batch_size, shuffle):
    """``n`` random 28×28 uint8 images with labels 0-9 in turn, as in-memory batches."""
    images = (torch.rand(n, 28, 28) * 255).to(torch.uint8)
    return du.data.InMemoryBatches(images, torch.arange(n) % 10, batch_size, shuffle=shuffle)


def test_train_lenet5_learns_a_tiny_set():
    torch.manual_seed(0)
    train = _random_digits(64, 16, shuffle=True)
    net = du.lenet5()
    history = L.train_lenet5(net, train, train, [0.01] * 3, device="cpu")
    assert history.epochs == [1, 2, 3]
    assert history.train_loss[-1] < history.train_loss[0]


def _exact_gauss_newton_diagonal(net, X, names):
    """2 · mean over images of Σ_outputs (∂F6-output/∂w)², from full per-image Jacobians (small nets only)."""
    features = net[:-1]
    params = {n: p.detach() for n, p in net.named_parameters()}
    h = {n: torch.zeros_like(params[n]) for n in names}
    for x in X:

        def f6(*chosen, x=x):
            return torch.func.functional_call(features, params | dict(zip(names, chosen, strict=True)), (x[None],))

        for n, jacobian in zip(
            names, torch.autograd.functional.jacobian(f6, tuple(params[n] for n in names)), strict=True
        ):
            h[n] += 2 * jacobian.square().sum(dim=(0, 1)) / len(X)
    return h


def test_curvature_is_the_exact_gauss_newton_diagonal_where_no_weight_is_shared(net):
    # C5 (1×1 maps) and F6 share no weights, so appendix C's recursion is exact there.
    torch.manual_seed(1)
    X = torch.rand(3, 1, 28, 28)
    names = ["C5.0.weight", "C5.0.bias", "F6.1.weight", "F6.1.bias"]
    exact = _exact_gauss_newton_diagonal(net, X, names)
    curvature = du.curvature_diagonal(net, X)
    for n in names:
        torch.testing.assert_close(curvature[n], exact[n], rtol=1e-4, atol=1e-9)


def test_curvature_covers_every_parameter_is_positive_and_leaves_the_net_as_it_was():
    torch.manual_seed(0)
    net = du.lenet5()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    curvature = du.curvature_diagonal(net, torch.rand(4, 1, 28, 28))
    assert {n: tuple(p.shape) for n, p in net.named_parameters()} == {n: tuple(h.shape) for n, h in curvature.items()}
    assert all(bool((h >= 0).all()) and float(h.sum()) > 0 for h in curvature.values())
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in before.items())
    assert all(p.grad is None for p in net.parameters())


def test_sdlm_steps_each_weight_by_lr_over_mu_plus_its_curvature():
    weight = nn.Parameter(torch.tensor([1.0, 1.0]))
    optimizer = L.SDLM([weight], lr=0.1, mu=0.02)
    optimizer.set_curvature({weight: torch.tensor([0.0, 0.98])})
    weight.grad = torch.tensor([1.0, 1.0])
    optimizer.step()
    torch.testing.assert_close(weight.detach(), torch.tensor([1 - 0.1 / 0.02, 1 - 0.1 / 1.0]))


@pytest.mark.bad_input
def test_sdlm_refuses_a_missing_curvature_or_mu():
    weight = nn.Parameter(torch.ones(2))
    with pytest.raises(ValueError, match="mu must be positive"):
        L.SDLM([weight], lr=0.1, mu=0.0)
    optimizer = L.SDLM([weight], lr=0.1)
    weight.grad = torch.ones(2)
    with pytest.raises(RuntimeError, match="before set_curvature"):
        optimizer.step()
    assert torch.equal(weight.detach(), torch.ones(2))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        optimizer.set_curvature({weight: torch.ones(3)})


@pytest.mark.bad_input
def test_sdlm_on_a_net_that_is_not_lenet5_is_refused_before_training():
    torch.manual_seed(0)
    net = du.lenet()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    train = _random_digits(16, 8, shuffle=False)
    with pytest.raises(TypeError, match=r"du.lenet5\(\).*mu=None"):
        L.train_lenet5(net, train, train, [0.01], mu=0.02, device="cpu")
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in before.items())


@pytest.mark.bad_input
def test_sdlm_with_momentum_is_refused_rather_than_ignored():
    net = du.lenet5()
    train = _random_digits(16, 8, shuffle=False)
    with pytest.raises(ValueError, match="no momentum"):
        L.train_lenet5(net, train, train, [0.01], mu=0.02, momentum=0.9, device="cpu")


def test_train_lenet5_with_sdlm_learns_a_tiny_set():
    torch.manual_seed(0)
    train = _random_digits(64, 16, shuffle=True)
    history = L.train_lenet5(du.lenet5(), train, train, [2e-4] * 3, mu=0.02, curvature_images=32, device="cpu")
    assert history.train_loss[-1] < history.train_loss[0]


@pytest.mark.bad_input
def test_wrong_image_size_is_named():
    with pytest.raises(ValueError, match="28×28"):
        du.lenet5()(torch.zeros(1, 1, 32, 32))


@pytest.mark.bad_input
def test_bad_connection_table_is_refused():
    with pytest.raises(ValueError, match="outside 0..5"):
        L.PartialConv2d([(0, 6)], 6, 5)


def test_run_seeds_times_each_run_and_reports_error_in_percent():
    runs = du.run_seeds(lambda seed: [0.99, 0.98][seed], [0, 1])
    assert [r.seed for r in runs] == [0, 1]
    assert [r.test_error for r in runs] == pytest.approx([1.0, 2.0])
    assert all(r.cpu_minutes >= 0 and r.wall_minutes >= 0 for r in runs)
    table = du.format_ablation({"LeNet-5": runs, "one seed": runs[:1]}).splitlines()
    assert table[1].split()[:5] == ["LeNet-5", "1.50%", "±", "0.71%", "2"]
    assert table[2].split()[2:6] == ["1.00%", "±", "0.00%", "1"]


@pytest.mark.bad_input
def test_run_seeds_wants_an_accuracy():
    with pytest.raises(ValueError, match=r"accuracy in \[0, 1\]"):
        du.run_seeds(lambda seed: 98.5, [0])


# --- every argument is checked before the first training step ------------------------------------------------------


def _state(net):
    return {k: v.clone() for k, v in net.state_dict().items()}


def _same_state(net, before):
    return all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_layer_counts_gives_every_submodule_its_mode_and_buffers_back():
    class Counter(nn.Module):
        def __init__(self, in_place):
            super().__init__()
            self.in_place = in_place
            self.register_buffer("calls", torch.zeros(()))

        def forward(self, X):
            if self.in_place:
                self.calls += 1
            else:
                self.calls = self.calls + 1  # a new tensor in place of the buffer
            return X

    torch.manual_seed(0)
    net = du.lenet5()
    net.C5.add_module("counter", Counter(in_place=True))
    net.F6.add_module("replacer", Counter(in_place=False))
    buffers = dict(net.named_buffers())
    net.train()
    net.C3.eval()
    before = _state(net)
    du.layer_counts(net)
    assert net.training and net.C1.training and not net.C3.training and not net.C3[0].training
    assert _same_state(net, before)
    assert all(b is buffers[n] for n, b in net.named_buffers())


@pytest.mark.bad_input
def test_layer_counts_wants_the_batch_dimension():
    with pytest.raises(ValueError, match=r"batch of images \(N, C, H, W\).*\(1, 28, 28\)"):
        du.layer_counts(du.lenet5(), (1, 28, 28))


@pytest.mark.bad_input
def test_lenet5_refuses_codes_of_the_wrong_shape_when_built():
    with pytest.raises(ValueError, match=r"codes must have shape \(10, 84\).*\(10, 83\)"):
        du.lenet5(torch.ones(10, 83))


@pytest.mark.bad_input
def test_lenet5_refuses_an_image_without_its_batch():
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        du.lenet5()(torch.zeros(1, 28, 28))


@pytest.mark.bad_input
@pytest.mark.parametrize(
    ("lrs", "message"),
    [(0.01, "lrs must be a non-empty list of step sizes"), ([0.01, math.nan], r"lrs\[1\] must be .*, got nan"),
     ([-0.01], r"lrs\[0\] must be a positive finite number, got -0.01"), ([], r"non-empty list .*got \[\]")],
)  # fmt: skip
def test_train_lenet5_refuses_bad_step_sizes_before_training(lrs, message):
    net = du.lenet5()
    before = _state(net)
    train = _random_digits(16, 8, shuffle=False)
    with pytest.raises(ValueError, match=message):
        L.train_lenet5(net, train, train, lrs, device="cpu")
    assert _same_state(net, before)


def test_train_lenet5_takes_numpy_step_sizes():
    np = pytest.importorskip("numpy")
    train = _random_digits(16, 8, shuffle=False)
    history = L.train_lenet5(du.lenet5(), train, train, np.array([0.01]), device="cpu")
    assert history.epochs == [1]


@pytest.mark.bad_input
@pytest.mark.parametrize("mu", [None, 0.02])
def test_an_empty_test_set_is_refused_before_training(mu):
    net = du.lenet5()
    before = _state(net)
    empty = du.data.InMemoryBatches(
        torch.zeros(0, 28, 28, dtype=torch.uint8), torch.zeros(0, dtype=torch.long), 8, shuffle=False
    )
    with pytest.raises(ValueError, match="test_iter"):
        L.train_lenet5(net, _random_digits(16, 8, shuffle=False), empty, [0.01], mu=mu, device="cpu")
    assert _same_state(net, before)


class _BatchesForAWhile:
    """Batches of random digits for the first ``passes`` iterations, then nothing (a loader that ran dry)."""

    def __init__(self, passes):
        self.batches, self.passes = list(_random_digits(16, 8, shuffle=False)), passes

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        self.passes -= 1
        return iter(self.batches if self.passes >= 0 else [])


@pytest.mark.bad_input
def test_a_training_set_that_runs_dry_is_not_recorded_as_loss_0():
    # One pass for the up-front check of the first batch, one for pass 1; pass 2 finds nothing.
    with pytest.raises(ValueError, match="no batches in epoch 2"):
        L.train_lenet5(du.lenet5(), _BatchesForAWhile(2), _random_digits(8, 8, False), [0.01, 0.01], device="cpu")


@pytest.mark.bad_input
@pytest.mark.parametrize("mu", [None, 0.02])
def test_batches_of_three_items_are_named_before_training(mu):
    net = du.lenet5()
    before = _state(net)
    triples = [(X, y, y) for X, y in _random_digits(16, 8, shuffle=False)]
    with pytest.raises(TypeError, match=r"\(X, y\) pairs.*tuple of 3 items"):
        L.train_lenet5(net, triples, _random_digits(8, 8, False), [0.01], mu=mu, device="cpu")
    assert _same_state(net, before)


@pytest.mark.bad_input
@pytest.mark.parametrize("lr", [-0.01, 0.0, math.nan])
def test_sdlm_refuses_a_step_size_that_is_not_positive(lr):
    with pytest.raises(ValueError, match="lr must be positive"):
        du.SDLM([nn.Parameter(torch.ones(2))], lr=lr)
