"""train_ch6 loses no work and refuses, before any step, what would lose it or silently mislead.

Fresh runs over an existing checkpoint, errors in the middle of an epoch, a last batch of one for
``BatchNorm1d``, speed settings of the wrong type, builder functions passed as nets, loss reductions, data that
yields nothing, and ``~`` in paths.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from torch import nn

import d2l_utils as du
from tests.helpers import CountingNet, FaultyBatches, make_batches, state_of, train_on_cpu


def run(net, train_iter, epochs=1, **kwargs):
    return train_on_cpu(net, train_iter, make_batches(1, 8), epochs, 0.1, **kwargs)


@pytest.mark.bad_input
def test_a_fresh_run_never_replaces_an_existing_checkpoint(tmp_path):
    path = tmp_path / "net.pt"
    run(du.lenet(), make_batches(2, 8), epochs=2, checkpoint=path)
    saved = path.read_bytes()
    net = CountingNet()
    with pytest.raises(FileExistsError, match=r"already exists \(a run of 2 epoch\(s\)\)") as info:
        run(net, make_batches(2, 8), checkpoint=path)
    message = str(info.value)
    assert "resume=True" in message and "new path" in message and "resume=False" in message
    assert net.train_calls == 0 and path.read_bytes() == saved


def test_resume_false_overwrites_on_purpose_and_resume_true_continues(tmp_path):
    path = tmp_path / "net.pt"
    run(du.lenet(), make_batches(2, 8), epochs=2, checkpoint=path)
    fresh = run(du.lenet(), make_batches(2, 8), epochs=1, checkpoint=path, resume=False)
    assert fresh.epochs == [1] and torch.load(path, weights_only=True)["epoch"] == 1
    resumed = run(du.lenet(), make_batches(2, 8), epochs=3, checkpoint=path, resume=True)
    assert resumed.epochs == [1, 2, 3]


def fail_with(error):
    def fault(*batch):
        raise error

    return fault


@pytest.mark.bad_input
def test_an_error_mid_epoch_keeps_the_finished_epochs_and_says_which_weights_remain(tmp_path):
    path = tmp_path / "net.pt"
    data = FaultyBatches(make_batches(3, 8), epoch=2, step=2, fault=fail_with(OSError("disk read failed")))
    net = du.lenet()
    with pytest.raises(OSError, match="disk read failed") as info:
        run(net, data, epochs=3, checkpoint=path)
    assert info.value.history.epochs == [1], "the finished epoch is reachable"
    notes = "\n".join(getattr(info.value, "__notes__", []))
    if notes:  # Python 3.11+
        assert "epoch 2, step 1 of 3" in notes and "weights of its last completed step" in notes
        assert f"{path} holds epoch 1" in notes
    assert torch.load(path, weights_only=True)["epoch"] == 1


@pytest.mark.bad_input
@pytest.mark.parametrize("kind", ["list", "DataLoader", "InMemoryBatches", "sampler"])
def test_a_last_batch_of_one_for_batchnorm1d_is_refused_before_any_step(kind):
    g = torch.Generator().manual_seed(0)
    X, y = torch.rand(17, 1, 28, 28, generator=g), torch.randint(0, 10, (17,), generator=g)
    if kind == "list":
        data = [(X[:8], y[:8]), (X[8:16], y[8:16]), (X[16:], y[16:])]
    elif kind == "DataLoader":
        data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=8)
    elif kind == "sampler":  # 9 of the 17 examples drawn: the sampler's length counts, not the dataset's
        sampler = torch.utils.data.SubsetRandomSampler(range(9))
        data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=8, sampler=sampler)
    else:
        data = du.data.InMemoryBatches((X[:, 0] * 255).to(torch.uint8), y, 8, shuffle=False)
    net = du.bn_lenet()
    before = state_of(net)
    with pytest.raises(ValueError, match="last batch holds 1 example.*BatchNorm1d.*drop_last=True"):
        run(net, data)
    assert all(torch.equal(before[k], v) for k, v in state_of(net).items()), "no step ran"


def test_batchnorm1d_with_a_last_batch_of_two_trains():
    data = [
        (torch.rand(8, 1, 28, 28), torch.randint(0, 10, (8,))),
        (torch.rand(2, 1, 28, 28), torch.randint(0, 10, (2,))),
    ]
    assert run(du.bn_lenet(), data).epochs == [1]


@pytest.mark.bad_input
@pytest.mark.parametrize("speed", ["book", du.choose_speed, None.__class__])
def test_speed_must_be_a_speed_value(speed):
    net = CountingNet()
    with pytest.raises(TypeError, match=r"speed must be a du\.Speed.*du\.BOOK_SPEED.*du\.choose_speed\(device\)"):
        run(net, make_batches(1, 8), speed=speed)
    assert net.train_calls == 0


@pytest.mark.bad_input
@pytest.mark.parametrize("field", ["compile", "channels_last"])
def test_speed_switches_must_be_booleans(field):
    with pytest.raises(TypeError, match=rf"Speed\({field}=\.\.\.\) must be True or False, got 'False'"):
        du.Speed(**{field: "False"})


@pytest.mark.bad_input
def test_a_builder_passed_without_calling_it_is_named():
    with pytest.raises(TypeError, match=re.escape("net is the function lenet, not a network: call it")):
        run(du.lenet, make_batches(1, 8))


def test_numpy_integers_are_sizes_too():
    assert run(du.lenet(), make_batches(1, 8), epochs=np.int64(2)).epochs == [1, 2]


@pytest.mark.bad_input
@pytest.mark.parametrize("epochs", [2.0, True, "2", 0])
def test_epochs_must_be_a_positive_integer(epochs):
    with pytest.raises(ValueError, match="num_epochs must be a positive integer"):
        run(du.lenet(), make_batches(1, 8), epochs=epochs)


def one_epoch(loss):
    torch.manual_seed(0)
    net = du.lenet()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    metrics = du.train_epoch_ch6(net, make_batches(2, 8), loss, optimizer, torch.device("cpu"))
    return state_of(net), metrics.mean_loss


@pytest.mark.bad_input
def test_a_per_example_loss_is_averaged_as_the_book_does():
    mean_weights, mean_loss = one_epoch(nn.CrossEntropyLoss())
    none_weights, none_loss = one_epoch(nn.CrossEntropyLoss(reduction="none"))
    assert none_loss == pytest.approx(mean_loss)
    for k, v in mean_weights.items():
        torch.testing.assert_close(none_weights[k], v)


@pytest.mark.bad_input
def test_a_summed_loss_is_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"reduction='sum'.*Use reduction='mean'"):
        one_epoch(nn.CrossEntropyLoss(reduction="sum"))


class Exhausted:
    """Claims two batches but yields them in its first pass only, like a wrapped generator."""

    def __init__(self):
        self.batches = iter(make_batches(2, 8))

    def __len__(self):
        return 2

    def __iter__(self):
        return self.batches


@pytest.mark.bad_input
def test_an_epoch_without_batches_is_not_recorded_as_zero_loss():
    with pytest.raises(ValueError, match="yielded no batches in epoch 2") as info:
        run(du.lenet(), Exhausted(), epochs=2)
    assert info.value.history.epochs == [1]


@pytest.mark.bad_input
def test_a_home_relative_checkpoint_goes_under_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    run(du.lenet(), make_batches(1, 8), checkpoint="~/nets/lenet.pt")
    assert (tmp_path / "nets" / "lenet.pt").is_file()
    assert not (tmp_path / "~").exists()


@pytest.mark.bad_input
def test_a_plain_state_dict_as_checkpoint_is_named_without_suggesting_a_resume(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save(du.lenet().state_dict(), path)  # what learners save by hand
    saved = path.read_bytes()
    net = CountingNet()
    with pytest.raises(FileExistsError) as info:
        run(net, make_batches(1, 8), checkpoint=path)
    message = str(info.value)
    assert "is a plain state_dict (10 tensors" in message and "not a checkpoint" in message
    assert "weights, optimizer, epoch and history" in message and "new path" in message
    assert "resume=True" not in message and "a run of" not in message
    with pytest.raises(ValueError, match=r"Cannot resume .*\(a plain state_dict \(10 tensors"):
        run(net, make_batches(1, 8), checkpoint=path, resume=True)
    assert net.train_calls == 0 and path.read_bytes() == saved


@pytest.mark.bad_input
def test_a_net_without_its_last_flatten_is_named_before_training():
    """A NiN whose global pooling is not flattened outputs (N, 10, 1, 1): named by the check before any step."""
    net = nn.Sequential(nn.Conv2d(1, 10, 5), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
    before = state_of(net)
    with pytest.raises(ValueError, match=r"outputs have shape \(1, 10, 1, 1\).*add nn\.Flatten\(\)"):
        run(net, make_batches(2, 8))
    assert all(torch.equal(before[k], v) for k, v in state_of(net).items()), "no step ran"


@pytest.mark.bad_input
def test_a_test_label_beyond_the_nets_outputs_is_refused_before_training():
    net, test = CountingNet(), make_batches(1, 8)
    test[0][1][3] = 10
    with pytest.raises(ValueError, match=r"a label is 10, but class indices run 0 … 9"):
        train_on_cpu(net, make_batches(2, 8), test, 1, 0.1)
    assert net.train_calls == 0


@pytest.mark.parametrize("dtype", [np.int32, np.int16])
def test_narrow_integer_labels_train(dtype):
    """Labels made with numpy (int32 is its default on Windows) train as the book's int64 ones do."""
    data = [(X, torch.from_numpy(y.numpy().astype(dtype))) for X, y in make_batches(2, 8)]
    torch.manual_seed(0)
    narrow = run(du.lenet(), data)
    torch.manual_seed(0)
    assert narrow.train_loss == run(du.lenet(), make_batches(2, 8)).train_loss


@pytest.mark.parametrize("autocast", [False, True], ids=["float32", "bf16"])
def test_one_epoch_takes_a_device_name(autocast):
    net, speed = du.lenet(), du.choose_speed("cpu", autocast=autocast)
    metrics = du.train_epoch_ch6(net, make_batches(2, 8), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), 0.1),
                                 "cpu", speed)  # fmt: skip
    assert metrics.examples == 16
