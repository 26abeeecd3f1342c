"""train_ch6 when something goes wrong: bad arguments and data refused before any training step, divergence
(NaN, infinity or a huge finite loss) stopped with the last good weights restored, and Ctrl-C keeping the
weights and the history of what finished.
"""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

import d2l_utils as du
from d2l_utils.training import TrainHistory
from tests.helpers import (
    CountingNet,
    FaultyBatches,
    assert_same_weights,
    make_batches,
    press_ctrl_c,
    relu_lenet,
    state_of,
    train_on_cpu,
)

# --- arguments and data that train_ch6 cannot use: an error before any training step ---------------------------


@pytest.mark.bad_input
@pytest.mark.parametrize(("epochs", "lr", "message"), [
    (0, 0.1, "num_epochs must be a positive integer, got 0"),
    (2.5, 0.1, "num_epochs must be a positive integer, got 2.5"),
    (1, 0, "lr must be a positive finite number, got 0"),
    (1, -0.1, "lr must be a positive finite number, got -0.1"),
    (1, float("nan"), "lr must be a positive finite number, got nan"),
    (1, "0.1", "lr must be a positive finite number, got '0.1'"),
    (1, True, "lr must be a positive finite number, got True"),
    (True, 0.1, "num_epochs must be a positive integer, got True"),
])  # fmt: skip
def test_bad_arguments(epochs, lr, message):
    data = make_batches(3, 8)
    with pytest.raises(ValueError, match=re.escape(message)):
        train_on_cpu(du.lenet(), data, data, epochs, lr)


@pytest.mark.bad_input
def test_empty_training_set():
    with pytest.raises(ValueError, match="train_iter has no batches"):
        du.train_ch6(du.lenet(), [], make_batches(1, 8), 1, 0.1, "cpu", progress=False)


@pytest.mark.bad_input
@pytest.mark.parametrize(("net", "test_data", "kwargs", "message"), [
    (nn.Sequential(nn.Flatten()), None, {}, "net has no trainable parameters"),
    (du.lenet().requires_grad_(False), None, {}, "net has no trainable parameters"),
    (None, [], {}, "test_iter has no batches"),
    (None, None, {"resume": True}, "resume=True needs checkpoint=<file>"),
])  # fmt: skip
def test_arguments_that_would_fail_late(net, test_data, kwargs, message):
    data = make_batches(1, 8)
    with pytest.raises(ValueError, match=re.escape(message)):
        du.train_ch6(net or du.lenet(), data, data if test_data is None else test_data, 1, 0.1, "cpu",
                     progress=False, **kwargs)  # fmt: skip


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


@pytest.mark.bad_input
@pytest.mark.parametrize(("train", "test", "error", "message"), [
    (Batches([{"image": torch.rand(8, 1, 28, 28), "label": torch.zeros(8, dtype=torch.long)}]), None, TypeError,
     "train_iter must yield (X, y) pairs of tensors (images, labels), as the book's data loaders do; its first "
     "batch is a dict with keys ['image', 'label']"),
    (None, Batches([(*make_batches(1, 8)[0], torch.zeros(8))]), TypeError,
     "test_iter must yield (X, y) pairs of tensors (images, labels), as the book's data loaders do; its first "
     "batch is a tuple of 3 items"),
    (None, iter(make_batches(1, 8)), TypeError, "test_iter is a one-shot iterator (list_iterator): it would be empty"),
    ((b for b in make_batches(2, 8)), None, TypeError, "train_iter is a one-shot iterator (generator)"),
    (NoLen(make_batches(2, 8)), None, TypeError, "train_iter (NoLen) has no len(): train_ch6 needs the number of "
     "batches per epoch"),
])  # fmt: skip
def test_data_that_is_not_x_y_pairs_fails_before_training(train, test, error, message):
    net = CountingNet()
    before = state_of(net)
    train_iter = train if train is not None else make_batches(2, 8)
    test_iter = test if test is not None else make_batches(1, 8)
    with pytest.raises(error, match=re.escape(message)):
        train_on_cpu(net, train_iter, test_iter, 1, 0.1)
    assert net.train_calls == 0, "no training step was spent"
    if train is None:  # found before train_ch6 initialises the weights (a bad training batch shows at step 1)
        assert_same_weights(state_of(net), before, rtol=0, atol=0)


def test_a_test_set_without_len_is_fine():
    history = train_on_cpu(du.lenet(), make_batches(2, 8), NoLen(make_batches(1, 8)), 1, 0.1)
    assert history.epochs == [1]


@pytest.mark.bad_input
def test_test_batches_that_do_not_fit_name_the_layer_before_training():
    net = CountingNet()
    with pytest.raises(du.ShapeMismatchError, match=r"layer 7 \(Linear, named '7'\) received shape \(1, 576\)"):
        train_on_cpu(net, make_batches(2, 8), make_batches(1, 8, side=32), 1, 0.1)
    assert net.train_calls == 0


@pytest.mark.bad_input
def test_first_batch_that_does_not_fit_names_the_layer():
    net = du.lenet()
    data = [(torch.rand(8, 1, 32, 32), torch.zeros(8, dtype=torch.long))]
    with pytest.raises(du.ShapeMismatchError) as info:
        train_on_cpu(net, data, data, 1, 0.9)
    # Found before training starts, on one test example: the test set goes through the same net.
    assert "layer 7 (Linear, named '7') received shape (1, 576) but expects in_features=400" in str(info.value)
    train_iter, test_iter = du.load_data_fashion_mnist(64, resize=224, synthetic=True, max_train_examples=64,
                                                       max_test_examples=64)  # fmt: skip
    with pytest.raises(du.ShapeMismatchError, match=r"Input of shape \(1, 1, 224, 224\) does not fit"):
        train_on_cpu(du.lenet(), train_iter, test_iter, 1, 0.9)


@pytest.mark.bad_input
def test_missing_device_names_what_is_there(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    data = make_batches(1, 16)
    with pytest.raises(du.DeviceNotAvailableError, match=r"cuda:3 was requested.*Available here: cpu"):
        du.train_ch6(du.lenet(), data, data, 1, 0.1, "cuda:3", progress=False)


# --- divergence: NaN, infinity or a huge finite loss -----------------------------------------------------------


def poisoned(batches, epoch, step):
    """Batches of which batch ``step`` of epoch ``epoch`` (both from 1) holds NaN pixels."""
    return FaultyBatches(batches, epoch, step, lambda X, y: (torch.full_like(X, float("nan")), y))


@pytest.mark.bad_input
def test_huge_learning_rate_stops_at_once():
    torch.manual_seed(0)
    net = relu_lenet()
    data = make_batches(4, 16)
    with pytest.raises(du.TrainingDivergedError) as info:
        train_on_cpu(net, data, data, 3, 1e4)
    message = str(info.value)
    pattern = (
        r"The (training loss (became (nan|inf|-inf)|exploded to \S+ \(at chance level it is about 2.3\))|weights "
        r"became infinite or NaN) in epoch (\d), at or before step"
    )
    found = re.search(pattern + r" \d of 4 \(lr=10000\)", message)
    assert found, message
    finished = info.value.history.epochs
    assert int(found.group(4)) == len(finished) + 1 <= 3, "it stops in the epoch where the loss went bad"
    restored = f"the end of epoch {finished[-1]}" if finished else "their initial values"
    assert f"weights were restored to {restored}" in message
    assert "learning rate is probably too high: try lr=1000 " in message
    assert all(torch.isfinite(p).all() for p in net.parameters())


@pytest.mark.bad_input
def test_nan_in_epoch_2_names_epoch_and_step_and_keeps_epoch_1(tmp_path):
    torch.manual_seed(0)
    net = du.lenet()
    data = poisoned(make_batches(5, 16), epoch=2, step=3)
    checkpoint = tmp_path / "ckpt.pt"
    with pytest.raises(du.TrainingDivergedError) as info:
        train_on_cpu(net, data, make_batches(1, 16), 3, 0.1, checkpoint=checkpoint)
    message = str(info.value)
    assert "The training loss became nan in epoch 2, at or before step 3 of 5 (lr=0.1)" in message
    assert "restored to the end of epoch 1" in message and "try lr=0.01" in message
    assert info.value.history.epochs == [1]
    saved = torch.load(checkpoint, weights_only=False)
    assert saved["epoch"] == 1
    assert_same_weights(state_of(net), saved["model"], rtol=0, atol=0)  # nothing lost: epoch 1's weights


@pytest.mark.bad_input
def test_update_that_overflows_at_the_end_of_an_epoch():
    """The loss of the epoch's last step is finite, but its update makes weights infinite: not kept as good."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    data = [(torch.full((4, 1, 28, 28), 10.0), torch.tensor([0, 1, 2, 3]))]
    with pytest.raises(du.TrainingDivergedError) as info:
        # the loss of step 1 is finite (tens); lr × gradient (~10) overflows float32
        train_on_cpu(net, data, data, 2, 1e38)
    assert str(info.value).startswith("The weights became infinite or NaN in epoch 1, at or before step 1 of 1")
    assert "restored to their initial values" in str(info.value)
    assert all(torch.isfinite(p).all() for p in net.parameters())


@pytest.mark.bad_input
def test_net_that_overflows_to_inf():
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    data = [(torch.full((4, 1, 28, 28), 1e38), torch.tensor([0, 1, 2, 3]))]
    with pytest.raises(du.TrainingDivergedError, match=r"became (inf|nan) in epoch 1, at or before step 1 of 1"):
        train_on_cpu(net, data, data, 1, 0.1)
    assert all(torch.isfinite(p).all() for p in net.parameters())


class Amplify(nn.Module):
    def forward(self, X):
        return X * 1e5


@pytest.mark.bad_input
def test_a_huge_finite_loss_is_reported_as_divergence():
    """Logits in the hundred-thousands: the loss is finite (about 1e5) but training is lost, as at lr 1e6."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), Amplify())
    with pytest.raises(du.TrainingDivergedError) as info:
        train_on_cpu(net, make_batches(2, 8), make_batches(1, 8), 2, 0.1)
    message = str(info.value)
    assert re.match(r"The training loss exploded to [\d.e+]+ \(at chance level it is about 2\.3\) in epoch 1, "
                    r"at or before step 1 of 2 \(lr=0\.1\): training diverged", message), message  # fmt: skip
    assert "try lr=0.01" in message


def test_relu_lenet_at_a_huge_learning_rate_is_stopped():
    """ReLU LeNet at lr 1e6, as a learner tried it (loss in the hundred-thousands, accuracy at chance)."""
    torch.manual_seed(0)
    net = relu_lenet()
    with pytest.raises(du.TrainingDivergedError, match="training diverged"):
        train_on_cpu(net, make_batches(4, 8), make_batches(1, 8), 3, 1e6)
    assert all(torch.isfinite(p).all() for p in net.parameters())


# --- Ctrl-C ----------------------------------------------------------------------------------------------------


class InterruptAt(FaultyBatches):
    """Raises KeyboardInterrupt (Ctrl-C) at batch ``step`` of epoch ``epoch``, remembering the weights then."""

    def __init__(self, batches, net, epoch, step):
        super().__init__(batches, epoch, step, self._remember_weights_and_interrupt)
        self.net, self.weights_at_interrupt = net, None

    def _remember_weights_and_interrupt(self, *batch):
        self.weights_at_interrupt = state_of(self.net)
        press_ctrl_c(*batch)


@pytest.mark.bad_input
def test_ctrl_c_keeps_weights_and_returns_history(tmp_path, capsys):
    torch.manual_seed(0)
    net = du.lenet()
    data = InterruptAt(make_batches(6, 16), net, epoch=2, step=4)  # while batch 4 loads: 3 steps done
    checkpoint = tmp_path / "ckpt.pt"
    history = train_on_cpu(net, data, make_batches(1, 16), 5, 0.9, checkpoint=checkpoint)
    assert history.interrupted is True and history.epochs == [1]
    assert_same_weights(state_of(net), data.weights_at_interrupt, rtol=0, atol=0)
    out = capsys.readouterr().out
    assert (f"Interrupted during epoch 2, step 3 of 6. 1 epoch(s) finished; the net keeps its current weights and "
            f"{checkpoint} holds epoch 1.") in out  # fmt: skip
    assert out.rstrip().splitlines()[-2].startswith("loss ")  # the usual summary of what finished
    assert torch.load(checkpoint, weights_only=False)["epoch"] == 1


@pytest.mark.bad_input
def test_ctrl_c_in_the_first_epoch(capsys):
    net = du.lenet()
    data = InterruptAt(make_batches(3, 16), net, epoch=1, step=2)
    history = train_on_cpu(net, data, make_batches(1, 16), 2, 0.9)
    assert history.interrupted and history.epochs == [] and history.examples_per_sec == 0.0
    out = capsys.readouterr().out
    assert "Interrupted during epoch 1, step 1 of 3. 0 epoch(s) finished; the net keeps its current weights." in out
    assert out.rstrip().endswith("no epoch finished")
    assert_same_weights(state_of(net), data.weights_at_interrupt, rtol=0, atol=0)


# --- training that sits at chance or collapses to it: one line, kept in the history; training goes on -----------


class ClassPrior(nn.Module):
    """A net that cannot learn from its input: the same scores for every image (only the class prior is learnt)."""

    def __init__(self) -> None:
        super().__init__()
        self.scores = nn.Parameter(torch.zeros(10))

    def forward(self, X):
        return self.scores.expand(len(X), 10)


def test_a_net_that_cannot_learn_is_said_to_sit_at_chance(capsys):
    balanced = torch.arange(20) % 10  # every class twice: the prior alone scores 1/10
    batches = [(X, balanced) for X, _ in make_batches(4, 20)]
    history = train_on_cpu(ClassPrior(), batches, batches, 3, 0.1)
    assert len(history.epochs) == 3  # not stopped
    assert len(history.warnings) == 1 and history.warnings[0].startswith("Warning: training at chance")
    assert "after epoch 2" in history.warnings[0] and "Try another seed" in history.warnings[0]
    assert history.warnings[0] in capsys.readouterr().out


def _history(test_acc: list[float], train_acc: list[float] | None = None) -> TrainHistory:
    n = len(test_acc)
    return TrainHistory("cpu", epochs=list(range(1, n + 1)), train_loss=[1.0] * n, train_acc=train_acc or test_acc,
                           test_acc=test_acc, seconds=[1.0] * n, examples=[1] * n)  # fmt: skip


def test_a_collapse_to_chance_names_the_epoch_the_books_runs_and_the_later_lr():
    from d2l_utils.guard_rails.training_guards import warn_if_at_chance

    history = _history([0.183, 0.331, 0.468, 0.675, 0.103])  # NiN at lr 0.1 on a GPU (seed 1, real MNIST)
    line = warn_if_at_chance(history, 10, du.nin(), 0.1)
    assert line.startswith("Warning: collapsed to chance: test accuracy 0.103 at epoch 5, after 0.675 at epoch 4")
    runs = du.plans.book_runs("nin")
    assert f"The book's {len(runs)} runs of nin (lr=0.1)" in line
    assert f"{sum(r.test_acc <= 0.13 for r in runs)} of them at chance" in line
    assert "lr=0.05 (d2l 1.0)" in line and history.warnings == [line]
    history.add_epoch(6, _Metrics(), 0.098, 1.0)
    assert warn_if_at_chance(history, 10, du.nin(), 0.1) is None  # said once per run


class _Metrics:
    mean_loss, accuracy, examples = 2.3, 0.1, 1


@pytest.mark.parametrize("test_acc", [
    [0.2, 0.25, 0.11],  # never well above chance: not a collapse (and training left chance)
    [0.9, 0.95, 0.97],
])  # fmt: skip
def test_learning_and_small_dips_are_not_flagged(test_acc):
    from d2l_utils.guard_rails.training_guards import warn_if_at_chance

    history = _history(test_acc, train_acc=[0.5, 0.6, 0.7])
    assert warn_if_at_chance(history, 10, du.lenet(), 0.9) is None and history.warnings == []
