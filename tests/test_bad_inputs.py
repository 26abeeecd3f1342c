"""Issue 10: inputs a learner (or an adversary) tries get a clear error or correct behaviour, and lose nothing.

Training arguments, data protocols, checkpoints and resuming, divergence to a huge finite loss, evaluation,
and the shape helpers. (Data-folder safety is tested in test_data_safety.py.)
"""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

import d2l_utils as du
from tests.training_faults import FaultyBatches, press_ctrl_c

CPU = torch.device("cpu")


def make_batches(num_batches, batch_size=8, side=28, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [(torch.rand(batch_size, 1, side, side, generator=g), torch.randint(0, 10, (batch_size,), generator=g))
            for _ in range(num_batches)]  # fmt: skip


def state_of(net):
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0, msg=k)


def fit(net, train_iter, test_iter, epochs=1, lr=0.1, **kwargs):
    return du.train_ch6(net, train_iter, test_iter, epochs, lr, "cpu", progress=False, **kwargs)


class CountingNet(nn.Sequential):
    """LeNet that counts its forward passes in training mode: proof that no training step ran."""

    def __init__(self):
        super().__init__(*du.lenet())
        self.train_calls = 0

    def forward(self, X):
        self.train_calls += self.training
        return super().forward(X)


class Batches:
    """A re-iterable data set with a length, yielding whatever batches it is given."""

    def __init__(self, batches):
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        return iter(self.batches)


class NoLen:
    def __init__(self, batches):
        self.batches = batches

    def __iter__(self):
        return iter(self.batches)


# --- data that train_ch6 cannot use: an error before any training step -------------------------------------


@pytest.mark.bad_input
@pytest.mark.parametrize(("train", "test", "error", "message"), [
    (Batches([{"image": torch.rand(8, 1, 28, 28), "label": torch.zeros(8, dtype=torch.long)}]), None, TypeError,
     "train_iter must yield (X, y) pairs of tensors (images, labels), as the book's data loaders do; its first "
     "batch is a dict with keys ['image', 'label']"),
    (None, Batches([(*make_batches(1)[0], torch.zeros(8))]), TypeError,
     "test_iter must yield (X, y) pairs of tensors (images, labels), as the book's data loaders do; its first "
     "batch is a tuple of 3 items"),
    (None, iter(make_batches(1)), TypeError, "test_iter is a one-shot iterator (list_iterator): it would be empty"),
    ((b for b in make_batches(2)), None, TypeError, "train_iter is a one-shot iterator (generator)"),
    (NoLen(make_batches(2)), None, TypeError, "train_iter (NoLen) has no len(): train_ch6 needs the number of "
     "batches per epoch"),
])  # fmt: skip
def test_data_that_is_not_x_y_pairs_fails_before_training(train, test, error, message):
    net = CountingNet()
    before = state_of(net)
    with pytest.raises(error, match=re.escape(message)):
        fit(net, train if train is not None else make_batches(2), test if test is not None else make_batches(1))
    assert net.train_calls == 0, "no training step was spent"
    if train is None:  # found before train_ch6 initialises the weights (a bad training batch shows at step 1)
        assert_same(state_of(net), before)


def test_a_test_set_without_len_is_fine():
    history = fit(du.lenet(), make_batches(2), NoLen(make_batches(1)))
    assert history.epochs == [1]


@pytest.mark.bad_input
def test_test_batches_that_do_not_fit_name_the_layer_before_training():
    net = CountingNet()
    with pytest.raises(du.ShapeMismatchError, match=r"layer 7 \(Linear, named '7'\) received shape \(1, 576\)"):
        fit(net, make_batches(2), make_batches(1, side=32))
    assert net.train_calls == 0


@pytest.mark.bad_input
def test_evaluation_names_the_layer_too():
    with pytest.raises(du.ShapeMismatchError, match=r"Input of shape \(8, 1, 32, 32\) does not fit the network"):
        du.evaluate_accuracy_gpu(du.lenet(), make_batches(1, side=32))


def test_train_ch6_leaves_the_callers_data_alone():
    """Data placement is the loader's job (load_data_fashion_mnist(device=...)); train_ch6 never calls .to()."""
    train_iter, test_iter = du.load_data_fashion_mnist(64, synthetic=True, max_train_examples=128,
                                                       max_test_examples=64, device="cpu")  # fmt: skip
    moved = []
    train_iter.to = test_iter.to = lambda device: moved.append(device)
    fit(du.lenet(), train_iter, test_iter)
    assert moved == []


# --- checkpoints ---------------------------------------------------------------------------------------------


@pytest.mark.bad_input
def test_unwritable_checkpoint_paths_are_rejected_before_training(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    net = CountingNet()
    with pytest.raises(ValueError, match=re.escape(f"checkpoint={str(tmp_path)!r} is a folder; name a file in it")):
        fit(net, make_batches(1), make_batches(1), checkpoint=tmp_path)
    with pytest.raises(ValueError, match=r"checkpoint=.* cannot be written \(.*\): choose a file in a folder"):
        fit(net, make_batches(1), make_batches(1), checkpoint=blocker / "net.pt")
    assert net.train_calls == 0 and blocker.read_text() == "keep me"


def interrupt_at(batches, epoch, step):
    """Batches that raise KeyboardInterrupt while loading batch ``step`` of epoch ``epoch`` (both from 1)."""
    return FaultyBatches(batches, epoch, step, press_ctrl_c)


@pytest.mark.bad_input
def test_ctrl_c_never_claims_an_epoch_the_checkpoint_does_not_hold(tmp_path, capsys):
    path = tmp_path / "ckpt.pt"
    fit(du.lenet(), make_batches(2), make_batches(1), epochs=1, checkpoint=path)  # an older run's file
    capsys.readouterr()
    fit(du.lenet(), interrupt_at(make_batches(2), epoch=1, step=2), make_batches(1), epochs=2, checkpoint=path,
        resume=False)  # fmt: skip
    out = capsys.readouterr().out
    assert "0 epoch(s) finished; the net keeps its current weights.\n" in out and "holds" not in out

    fit(du.lenet(), make_batches(2), make_batches(1), epochs=1, checkpoint=path, resume=False)
    capsys.readouterr()
    fit(du.lenet(), interrupt_at(make_batches(2), epoch=1, step=2), make_batches(1), epochs=3, checkpoint=path,
        resume=True)  # fmt: skip
    out = capsys.readouterr().out
    assert f"1 epoch(s) finished; the net keeps its current weights and {path} holds epoch 1." in out


@pytest.mark.bad_input
def test_resuming_with_another_lr_uses_it_and_says_so(tmp_path, capsys):
    path = tmp_path / "ckpt.pt"
    torch.manual_seed(0)
    fit(du.lenet(), make_batches(2), make_batches(1), epochs=1, lr=0.9, checkpoint=path)
    saved = torch.load(path, weights_only=True)["model"]
    net = du.lenet()
    fit(net, make_batches(2), make_batches(1), epochs=2, lr=1e-30, checkpoint=path, resume=True)
    assert f"resuming from {path} after epoch 1 with lr=1e-30 (the checkpoint was trained with lr=0.9)" in (
        capsys.readouterr().out
    )
    for name, value in state_of(net).items():  # an epoch at lr 1e-30 changes nothing: the new lr was used
        torch.testing.assert_close(value, saved[name], msg=name)
    assert torch.load(path, weights_only=True)["optimizer"]["param_groups"][0]["lr"] == 1e-30


@pytest.mark.bad_input
@pytest.mark.parametrize("case", ["another net", "missing entries"])
def test_a_failed_resume_leaves_the_net_exactly_as_it_was(tmp_path, case):
    path = tmp_path / "ckpt.pt"
    if case == "another net":
        other = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
        fit(other, make_batches(1), make_batches(1), checkpoint=path)
    else:
        torch.save({"model": du.lenet().state_dict(), "epoch": 1}, path)  # no optimizer, history, random state
    torch.manual_seed(1)
    net = du.lenet()
    before = state_of(net)
    with pytest.raises(ValueError, match=re.escape(f"Cannot resume from {path}: it is not a checkpoint of this net")):
        fit(net, make_batches(1), make_batches(1), checkpoint=path, resume=True)
    assert_same(state_of(net), before)


# --- divergence to a huge but finite loss ---------------------------------------------------------------------


class Amplify(nn.Module):
    def forward(self, X):
        return X * 1e5


@pytest.mark.bad_input
def test_a_huge_finite_loss_is_reported_as_divergence():
    """Logits in the hundred-thousands: the loss is finite (about 1e5) but training is lost, as at lr 1e6."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), Amplify())
    with pytest.raises(du.TrainingDivergedError) as info:
        fit(net, make_batches(2), make_batches(1), epochs=2, lr=0.1)
    message = str(info.value)
    assert re.match(r"The training loss exploded to [\d.e+]+ \(at chance level it is about 2\.3\) in epoch 1, "
                    r"at or before step 1 of 2 \(lr=0\.1\): training diverged", message), message  # fmt: skip
    assert "try lr=0.01" in message


def test_relu_lenet_at_a_huge_learning_rate_is_stopped():
    """The issue's example: ReLU LeNet at lr 1e6 (loss in the hundred-thousands, accuracy at chance)."""
    torch.manual_seed(0)
    net = du.lenet()
    for i, layer in enumerate(net):
        if isinstance(layer, nn.Sigmoid):
            net[i] = nn.ReLU()
    with pytest.raises(du.TrainingDivergedError, match="training diverged"):
        fit(net, make_batches(4), make_batches(1), epochs=3, lr=1e6)
    assert all(torch.isfinite(p).all() for p in net.parameters())


# --- evaluation ----------------------------------------------------------------------------------------------


def net_with_frozen_batch_norm():
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))
    net(torch.rand(2, 1, 28, 28))
    net.train()
    net[1].eval()  # frozen statistics, as when fine-tuning
    return net


@pytest.mark.bad_input
@pytest.mark.parametrize("helper", ["evaluate_accuracy_gpu", "layer_summary", "confusion_matrix"])
def test_every_submodule_keeps_its_own_mode(helper):
    net = net_with_frozen_batch_norm()
    data = make_batches(1)
    if helper == "layer_summary":
        du.layer_summary(net, (1, 1, 28, 28), print_fn=None)
    else:
        getattr(du, helper)(net, data)
    assert net.training and net[0].training and not net[1].training, "the frozen BatchNorm stays frozen"


def test_eval_mode_restores_modes_even_after_an_error():
    net = net_with_frozen_batch_norm()
    with pytest.raises(RuntimeError), du.eval_mode(net):
        assert not any(m.training for m in net.modules())
        raise RuntimeError("inside")
    assert [m.training for m in net.modules()] == [True, True, False, True, True, True]


@pytest.mark.bad_input
def test_labels_of_shape_n_by_1_are_an_error_not_an_accuracy_above_1():
    X, y = make_batches(1)[0]
    with pytest.raises(ValueError, match=re.escape("labels must have shape (8,), one class index per example, got "
                                                   "(8, 1) (use y.squeeze(1) or y.flatten())")):  # fmt: skip
        du.evaluate_accuracy_gpu(du.lenet(), [(X, y[:, None])])
    with pytest.raises(ValueError, match="labels must have shape"):
        du.accuracy(torch.rand(8, 10), y[:, None])


@pytest.mark.bad_input
def test_confusion_matrix_rejects_classes_outside_num_classes():
    net = du.lenet()
    X, _ = make_batches(1)[0]
    with pytest.raises(ValueError, match=r"a label is 7, outside 0 … 4: pass num_classes="):
        du.confusion_matrix(net, [(X, torch.full((8,), 7))], num_classes=5)
    with pytest.raises(ValueError, match=r"a label is -1, outside 0 … 9"):
        du.confusion_matrix(net, [(X, torch.full((8,), -1))])


# --- shapes --------------------------------------------------------------------------------------------------


@pytest.mark.bad_input
@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kernel_size": 0}, "kernel_size must be an integer of at least 1, got 0"),
    ({"kernel_size": -3}, "kernel_size must be an integer of at least 1, got -3"),
    ({"stride": 0}, "stride must be an integer of at least 1, got 0"),
    ({"dilation": 0}, "dilation must be an integer of at least 1, got 0"),
    ({"padding": -1}, "padding must be an integer of at least 0, got -1"),
])  # fmt: skip
def test_conv_output_size_rejects_what_pytorch_rejects(kwargs, message):
    args = {"n": 28, "kernel_size": 5, **kwargs}
    with pytest.raises(ValueError, match=re.escape(message)):
        du.conv_output_size(**args)


@pytest.mark.bad_input
@pytest.mark.parametrize("X", [(1, 28, 28), torch.rand(1, 28, 28)])
def test_layer_summary_without_batch_dimension_says_so(X):
    with pytest.raises(ValueError, match=re.escape("X has shape (1, 28, 28): one image without a batch dimension")):
        du.layer_summary(du.lenet(), X, print_fn=None)


def test_layers_with_several_outputs_show_each_shape():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2, return_indices=True))
    rows = du.layer_summary(net, (1, 1, 8, 8), print_fn=None)
    assert rows[1].output_shape == (torch.Size([1, 2, 3, 3]), torch.Size([1, 2, 3, 3]))


@pytest.mark.bad_input
@pytest.mark.parametrize("X", [28, [[0.0, 1.0], [1.0, 0.0]], (1, 1, 0, 28), "1x28x28"])
def test_layer_summary_input_that_is_neither_tensor_nor_shape(X):
    with pytest.raises(TypeError, match=r"X must be a tensor or a shape such as \(1, 1, 28, 28\)"):
        du.layer_summary(du.lenet(), X, print_fn=None)


def test_resuming_a_run_that_already_finished_trains_nothing(tmp_path, capsys):
    path = tmp_path / "ckpt.pt"
    first = fit(du.lenet(), make_batches(2), make_batches(1), epochs=2, checkpoint=path)
    net = CountingNet()
    again = fit(net, make_batches(2), make_batches(1), epochs=1, checkpoint=path, resume=True)
    assert net.train_calls == 0 and again.epochs == first.epochs == [1, 2]
    assert capsys.readouterr().out.rstrip().splitlines()[-2].startswith("loss ")
