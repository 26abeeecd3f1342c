"""Checkpoints and resuming: what the file holds, atomic saves, resuming on the same curve, files that are not
checkpoints of the net, paths that cannot be written, and what a Ctrl-C says the file holds.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from torch import nn

import d2l_utils as du
from d2l_utils import training
from d2l_utils.guard_rails.training_guards import CheckpointFile
from tests.helpers import (
    CountingNet,
    FaultyBatches,
    assert_same_weights,
    make_batches,
    press_ctrl_c,
    relu_lenet,
    small_synthetic,
    state_of,
    train_on_cpu,
)


def test_checkpoint_contents_and_resume_continue_the_same_curve(tmp_path, capsys):
    train_iter, test_iter = small_synthetic()
    du.seed_everything(0)
    straight_net = du.lenet()
    straight = train_on_cpu(straight_net, train_iter, test_iter, 3, 0.9)

    checkpoint = tmp_path / "lenet.pt"
    train_iter, test_iter = small_synthetic()
    du.seed_everything(0)
    first = train_on_cpu(du.lenet(), train_iter, test_iter, 1, 0.9, checkpoint=checkpoint)
    assert first.epochs == [1]
    saved = torch.load(checkpoint, weights_only=False)
    assert {"model", "optimizer", "epoch", "history"} <= saved.keys() and saved["epoch"] == 1
    assert saved["history"]["train_loss"] == first.train_loss
    assert [p.name for p in tmp_path.iterdir()] == ["lenet.pt"], "no temporary file is left"

    train_iter, test_iter = small_synthetic()  # a new session: new loaders, a new net, another seed
    du.seed_everything(123)
    resumed_net = du.lenet()
    capsys.readouterr()
    resumed = train_on_cpu(resumed_net, train_iter, test_iter, 3, 0.9, checkpoint=checkpoint, resume=True)
    assert f"resuming from {checkpoint} after epoch 1" in capsys.readouterr().out
    assert resumed.epochs == [1, 2, 3]
    for name in ("train_loss", "train_acc", "test_acc", "examples"):
        np.testing.assert_allclose(getattr(resumed, name), getattr(straight, name), rtol=1e-5, err_msg=name)
    assert_same_weights(state_of(resumed_net), state_of(straight_net), rtol=1e-5, atol=1e-6)
    assert torch.load(checkpoint, weights_only=False)["epoch"] == 3
    assert straight.test_acc[-1] > 0.1  # the curve being compared is not a flat line at zero


def test_resume_without_checkpoint_starts_fresh(tmp_path):
    data = make_batches(2, 16)
    history = train_on_cpu(du.lenet(), data, data, 1, 0.9, checkpoint=tmp_path / "none-yet.pt", resume=True)
    assert history.epochs == [1] and (tmp_path / "none-yet.pt").exists()


def test_resuming_a_run_that_already_finished_trains_nothing(tmp_path, capsys):
    path = tmp_path / "ckpt.pt"
    first = train_on_cpu(du.lenet(), make_batches(2, 8), make_batches(1, 8), 2, 0.1, checkpoint=path)
    net = CountingNet()
    again = train_on_cpu(net, make_batches(2, 8), make_batches(1, 8), 1, 0.1, checkpoint=path, resume=True)
    assert net.train_calls == 0 and again.epochs == first.epochs == [1, 2]
    assert capsys.readouterr().out.rstrip().splitlines()[-2].startswith("loss ")


@pytest.mark.bad_input
def test_resuming_with_another_lr_uses_it_and_says_so(tmp_path, capsys):
    path = tmp_path / "ckpt.pt"
    torch.manual_seed(0)
    train_on_cpu(du.lenet(), make_batches(2, 8), make_batches(1, 8), 1, 0.9, checkpoint=path)
    saved = torch.load(path, weights_only=True)["model"]
    net = du.lenet()
    train_on_cpu(net, make_batches(2, 8), make_batches(1, 8), 2, 1e-30, checkpoint=path, resume=True)
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
        data = make_batches(1, 8)
        train_on_cpu(other, data, data, 1, 0.1, checkpoint=path)
    else:
        torch.save({"model": du.lenet().state_dict(), "epoch": 1}, path)  # no optimizer, history, random state
    torch.manual_seed(1)
    net = du.lenet()
    before = state_of(net)
    data = make_batches(1, 8)
    with pytest.raises(ValueError, match=re.escape(f"Cannot resume from {path}: it is not a checkpoint of this net")):
        train_on_cpu(net, data, data, 1, 0.1, checkpoint=path, resume=True)
    assert_same_weights(state_of(net), before, rtol=0, atol=0)


@pytest.mark.bad_input
@pytest.mark.parametrize("content", ["garbage", "state_dict", "other_net"])
def test_resume_from_a_file_that_is_not_a_checkpoint(tmp_path, content):
    path = tmp_path / "ckpt.pt"
    if content == "garbage":
        path.write_bytes(b"not a checkpoint, e.g. a half-copied file")
    elif content == "state_dict":
        torch.save(du.lenet().state_dict(), path)  # what learners save by hand
    else:
        data = make_batches(1, 16)
        train_on_cpu(relu_lenet()[:-1], data, data, 1, 0.9, checkpoint=path)  # no final Linear
    net = du.lenet()
    before = state_of(net)
    data = make_batches(1, 16)
    what = {"garbage": "a file torch.load cannot read", "state_dict": "a plain state_dict", "other_net": "a run of 1"}
    with pytest.raises(ValueError, match=rf"Cannot resume from {re.escape(str(path))}: it is not a checkpoint of "
                                         rf"this net written by train_ch6 \({what[content]}.*\)\. Pass a checkpoint "
                                         "train_ch6 wrote for this net, or a new path"):  # fmt: skip
        train_on_cpu(net, data, data, 2, 0.9, checkpoint=path, resume=True)
    assert path.exists(), "the file is left for the learner to inspect"
    if content != "other_net":  # a mismatched state dict may have copied matching layers before failing
        assert_same_weights(state_of(net), before, rtol=0, atol=0)


def test_checkpoint_is_loaded_on_the_cpu(tmp_path, monkeypatch):
    """Random-number states must stay CPU tensors (map_location=<gpu> broke resuming on CUDA); weights follow."""
    path = tmp_path / "ckpt.pt"
    data = make_batches(1, 16)
    train_on_cpu(du.lenet(), data, data, 1, 0.9, checkpoint=path)
    calls = []
    load = torch.load
    monkeypatch.setattr(torch, "load", lambda *args, **kwargs: calls.append(kwargs) or load(*args, **kwargs))
    history = train_on_cpu(du.lenet(), data, data, 2, 0.9, checkpoint=path, resume=True)
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


def test_checkpoint_save_is_atomic(monkeypatch, tmp_path):
    path = tmp_path / "sub" / "ckpt.pt"
    net = du.lenet()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    history = du.training.TrainHistory(device="cpu", epochs=[1], train_loss=[1.0], train_acc=[0.5], test_acc=[0.5],
                              seconds=[1.0], examples=[8])  # fmt: skip
    checkpoint = CheckpointFile(path)
    checkpoint.save(net, optimizer, history, make_batches(1, 8))
    saved = path.read_bytes()

    def failing_save(obj, f):
        with open(f, "wb") as out:
            out.write(b"half a checkp")
        raise OSError("disk full")

    monkeypatch.setattr(training.torch, "save", failing_save)
    history.epochs = [2]
    with pytest.raises(OSError, match="disk full"):
        checkpoint.save(net, optimizer, history, make_batches(1, 8))
    monkeypatch.undo()
    assert path.read_bytes() == saved, "the previous checkpoint is intact"
    assert checkpoint.saved_epoch == 1, "a failed save is not reported as saved"
    assert sorted(p.name for p in path.parent.iterdir()) == ["ckpt.pt"]


@pytest.mark.bad_input
def test_unwritable_checkpoint_paths_are_rejected_before_training(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    net = CountingNet()
    data = make_batches(1, 8)
    with pytest.raises(ValueError, match=re.escape(f"checkpoint={str(tmp_path)!r} is a folder; name a file in it")):
        train_on_cpu(net, data, data, 1, 0.1, checkpoint=tmp_path)
    with pytest.raises(ValueError, match=r"checkpoint=.* cannot be written \(.*\): choose a file in a folder"):
        train_on_cpu(net, data, data, 1, 0.1, checkpoint=blocker / "net.pt")
    assert net.train_calls == 0 and blocker.read_text() == "keep me"


def interrupt_at(batches, epoch, step):
    """Batches that raise KeyboardInterrupt while loading batch ``step`` of epoch ``epoch`` (both from 1)."""
    return FaultyBatches(batches, epoch, step, press_ctrl_c)


@pytest.mark.bad_input
def test_ctrl_c_never_claims_an_epoch_the_checkpoint_does_not_hold(tmp_path, capsys):
    path = tmp_path / "ckpt.pt"

    def finished_run_then_ctrl_c(num_epochs, resume):
        """One finished epoch into ``path``, then a run stopped by Ctrl-C in its first epoch; what it printed."""
        train_on_cpu(du.lenet(), make_batches(2, 8), make_batches(1, 8), 1, 0.1, checkpoint=path, resume=False)
        capsys.readouterr()
        interrupted = interrupt_at(make_batches(2, 8), epoch=1, step=2)
        train_on_cpu(du.lenet(), interrupted, make_batches(1, 8), num_epochs, 0.1, checkpoint=path, resume=resume)
        return capsys.readouterr().out

    out = finished_run_then_ctrl_c(2, resume=False)  # the finished run's file is an older run's
    assert "0 epoch(s) finished; the net keeps its current weights.\n" in out and "holds" not in out

    out = finished_run_then_ctrl_c(3, resume=True)
    assert f"1 epoch(s) finished; the net keeps its current weights and {path} holds epoch 1." in out
