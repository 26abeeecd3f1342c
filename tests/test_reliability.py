"""Issue 7: training fails safely. Divergence, checkpoints and resuming, Ctrl-C, shape errors, determinism.

(Data reliability, i.e. atomic downloads, checksums and unwritable folders, is tested in test_download.py.)
"""

from __future__ import annotations

import math
import random
import re

import numpy as np
import pytest
import torch

import d2l_utils as du
from tests.training_faults import FaultyBatches, press_ctrl_c


def make_batches(num_batches, batch_size=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [(torch.rand(batch_size, 1, 28, 28, generator=g), torch.randint(0, 10, (batch_size,), generator=g))
            for _ in range(num_batches)]  # fmt: skip


def state_of(net):
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def assert_same_weights(a, b, **tol):
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], **tol, msg=k)


def fit(net, train_iter, test_iter, epochs, lr=0.9, **kwargs):
    return du.train_ch6(net, train_iter, test_iter, epochs, lr, "cpu", progress=False, **kwargs)


def small_synthetic(seed=0):
    return du.load_data_fashion_mnist(128, synthetic=True, max_train_examples=1024, max_test_examples=256, seed=seed)


def poisoned(batches, epoch, step):
    """Batches of which batch ``step`` of epoch ``epoch`` (both from 1) holds NaN pixels."""
    return FaultyBatches(batches, epoch, step, lambda X, y: (torch.full_like(X, float("nan")), y))


def relu_lenet():
    """LeNet with ReLU, as learners modernise it: unlike sigmoids it blows up at a huge learning rate."""
    net = du.lenet()
    for i, layer in enumerate(net):
        if isinstance(layer, torch.nn.Sigmoid):
            net[i] = torch.nn.ReLU()
    return net


@pytest.mark.bad_input
def test_huge_learning_rate_stops_at_once():
    torch.manual_seed(0)
    net = relu_lenet()
    data = make_batches(4)
    with pytest.raises(du.TrainingDivergedError) as info:
        fit(net, data, data, 3, lr=1e4)
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
    data = poisoned(make_batches(5), epoch=2, step=3)
    checkpoint = tmp_path / "ckpt.pt"
    with pytest.raises(du.TrainingDivergedError) as info:
        fit(net, data, make_batches(1), 3, lr=0.1, checkpoint=checkpoint)
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
        fit(net, data, data, 2, lr=1e38)  # the loss of step 1 is finite (tens); lr × gradient (~10) overflows float32
    assert str(info.value).startswith("The weights became infinite or NaN in epoch 1, at or before step 1 of 1")
    assert "restored to their initial values" in str(info.value)
    assert all(torch.isfinite(p).all() for p in net.parameters())


@pytest.mark.bad_input
def test_net_that_overflows_to_inf():
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    data = [(torch.full((4, 1, 28, 28), 1e38), torch.tensor([0, 1, 2, 3]))]
    with pytest.raises(du.TrainingDivergedError, match=r"became (inf|nan) in epoch 1, at or before step 1 of 1"):
        fit(net, data, data, 1, lr=0.1)
    assert all(torch.isfinite(p).all() for p in net.parameters())


def test_checkpoint_contents_and_resume_continue_the_same_curve(tmp_path, capsys):
    train_iter, test_iter = small_synthetic()
    du.seed_everything(0)
    straight_net = du.lenet()
    straight = fit(straight_net, train_iter, test_iter, 3)

    checkpoint = tmp_path / "lenet.pt"
    train_iter, test_iter = small_synthetic()
    du.seed_everything(0)
    first = fit(du.lenet(), train_iter, test_iter, 1, checkpoint=checkpoint)
    assert first.epochs == [1]
    saved = torch.load(checkpoint, weights_only=False)
    assert {"model", "optimizer", "epoch", "history"} <= saved.keys() and saved["epoch"] == 1
    assert saved["history"]["train_loss"] == first.train_loss
    assert [p.name for p in tmp_path.iterdir()] == ["lenet.pt"], "no temporary file is left"

    train_iter, test_iter = small_synthetic()  # a new session: new loaders, a new net, another seed
    du.seed_everything(123)
    resumed_net = du.lenet()
    capsys.readouterr()
    resumed = fit(resumed_net, train_iter, test_iter, 3, checkpoint=checkpoint, resume=True)
    assert f"resuming from {checkpoint} after epoch 1" in capsys.readouterr().out
    assert resumed.epochs == [1, 2, 3]
    for name in ("train_loss", "train_acc", "test_acc", "examples"):
        np.testing.assert_allclose(getattr(resumed, name), getattr(straight, name), rtol=1e-5, err_msg=name)
    assert_same_weights(state_of(resumed_net), state_of(straight_net), rtol=1e-5, atol=1e-6)
    assert torch.load(checkpoint, weights_only=False)["epoch"] == 3
    assert straight.test_acc[-1] > 0.1  # the curve being compared is not a flat line at zero


def test_resume_without_checkpoint_starts_fresh(tmp_path):
    data = make_batches(2)
    history = fit(du.lenet(), data, data, 1, checkpoint=tmp_path / "none-yet.pt", resume=True)
    assert history.epochs == [1] and (tmp_path / "none-yet.pt").exists()


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
    data = InterruptAt(make_batches(6), net, epoch=2, step=4)  # while batch 4 loads: 3 steps done
    checkpoint = tmp_path / "ckpt.pt"
    history = fit(net, data, make_batches(1), 5, checkpoint=checkpoint)
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
    data = InterruptAt(make_batches(3), net, epoch=1, step=2)
    history = fit(net, data, make_batches(1), 2)
    assert history.interrupted and history.epochs == [] and history.examples_per_sec == 0.0
    out = capsys.readouterr().out
    assert "Interrupted during epoch 1, step 1 of 3. 0 epoch(s) finished; the net keeps its current weights." in out
    assert out.rstrip().endswith("no epoch finished")
    assert_same_weights(state_of(net), data.weights_at_interrupt, rtol=0, atol=0)


@pytest.mark.bad_input
def test_first_batch_that_does_not_fit_names_the_layer():
    net = du.lenet()
    data = [(torch.rand(8, 1, 32, 32), torch.zeros(8, dtype=torch.long))]
    with pytest.raises(du.ShapeMismatchError) as info:
        fit(net, data, data, 1)
    # Found before training starts, on one test example: the test set goes through the same net.
    assert "layer 7 (Linear, named '7') received shape (1, 576) but expects in_features=400" in str(info.value)
    train_iter, test_iter = du.load_data_fashion_mnist(64, resize=224, synthetic=True, max_train_examples=64,
                                                       max_test_examples=64)  # fmt: skip
    with pytest.raises(du.ShapeMismatchError, match=r"Input of shape \(1, 1, 224, 224\) does not fit"):
        fit(du.lenet(), train_iter, test_iter, 1)


@pytest.mark.bad_input
def test_missing_device_names_what_is_there(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    data = make_batches(1)
    with pytest.raises(du.DeviceNotAvailableError, match=r"cuda:3 was requested.*Available here: cpu"):
        du.train_ch6(du.lenet(), data, data, 1, 0.1, "cuda:3", progress=False)


def test_seed_everything_repeats_every_generator():
    def draw():
        return random.random(), float(np.random.rand()), torch.rand(3).tolist(), torch.randn(2, generator=g).tolist()

    g = du.seed_everything(7)
    first = draw()
    g = du.seed_everything(7)
    assert draw() == first
    g = du.seed_everything(8)
    assert draw() != first


def test_seeded_training_repeats_exactly():
    runs = []
    for _ in range(2):
        train_iter, test_iter = small_synthetic()
        du.seed_everything(0)
        net = du.lenet()
        history = fit(net, train_iter, test_iter, 1)
        runs.append((history.train_loss + history.train_acc + history.test_acc, state_of(net)))
    assert runs[0][0] == runs[1][0]
    assert_same_weights(runs[0][1], runs[1][1], rtol=0, atol=0)
    assert all(math.isfinite(v) for v in runs[0][0])


@pytest.mark.bad_input
@pytest.mark.parametrize("content", ["garbage", "state_dict", "other_net"])
def test_resume_from_a_file_that_is_not_a_checkpoint(tmp_path, content):
    path = tmp_path / "ckpt.pt"
    if content == "garbage":
        path.write_bytes(b"not a checkpoint, e.g. a half-copied file")
    elif content == "state_dict":
        torch.save(du.lenet().state_dict(), path)  # what learners save by hand
    else:
        fit(relu_lenet()[:-1], make_batches(1), make_batches(1), 1, checkpoint=path)  # no final Linear
    net = du.lenet()
    before = state_of(net)
    with pytest.raises(ValueError, match=rf"Cannot resume from {re.escape(str(path))}: it is not a checkpoint of "
                                         r"this net written by train_ch6 \(.*\)\. Delete the file"):  # fmt: skip
        fit(net, make_batches(1), make_batches(1), 2, checkpoint=path, resume=True)
    assert path.exists(), "the file is left for the learner to inspect"
    if content != "other_net":  # a mismatched state dict may have copied matching layers before failing
        assert_same_weights(state_of(net), before, rtol=0, atol=0)


def test_checkpoint_is_loaded_on_the_cpu(tmp_path, monkeypatch):
    """Random-number states must stay CPU tensors (map_location=<gpu> broke resuming on CUDA); weights follow."""
    path = tmp_path / "ckpt.pt"
    fit(du.lenet(), make_batches(1), make_batches(1), 1, checkpoint=path)
    calls = []
    load = torch.load
    monkeypatch.setattr(torch, "load", lambda *args, **kwargs: calls.append(kwargs) or load(*args, **kwargs))
    history = fit(du.lenet(), make_batches(1), make_batches(1), 2, checkpoint=path, resume=True)
    assert history.epochs == [1, 2] and calls[0]["map_location"] == "cpu" and calls[0]["weights_only"] is True


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_resume_on_cuda(tmp_path):
    path = tmp_path / "ckpt.pt"
    train_iter, test_iter = small_synthetic()
    du.train_ch6(du.lenet(), train_iter, test_iter, 1, 0.9, "cuda", progress=False, checkpoint=path)
    train_iter, test_iter = small_synthetic()
    net = du.lenet()
    history = du.train_ch6(net, train_iter, test_iter, 2, 0.9, "cuda", progress=False,
                           checkpoint=path, resume=True)  # fmt: skip
    assert history.epochs == [1, 2] and next(net.parameters()).is_cuda


@pytest.mark.bad_input
@pytest.mark.parametrize("seed", [-1, 2**32, 0.5, "0", True])
def test_seed_everything_rejects_bad_seeds_before_seeding_anything(seed):
    random.seed(1)
    expected = random.random()
    random.seed(1)
    with pytest.raises(ValueError, match="seed must be an integer from 0 to 2\\*\\*32 - 1"):
        du.seed_everything(seed)
    assert random.random() == expected, "Python's generator was left alone"


def test_seed_everything_takes_numpy_integers():
    du.seed_everything(np.int64(3))
    first = torch.rand(2)
    du.seed_everything(3)
    assert torch.equal(torch.rand(2), first)
