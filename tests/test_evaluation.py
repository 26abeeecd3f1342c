"""evaluate_accuracy_gpu, confusion_matrix, per_class_accuracy, plot_confusion_matrix: what they count, and
that they refuse labels of the wrong shape, name the layer input does not fit, and leave every layer's mode as it was.
"""

from __future__ import annotations

import math
import re

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

import d2l_utils as du
from tests.helpers import make_batches


class Fixed(nn.Module):
    """Predicts a fixed class for every example and records the conditions it was called under."""

    def __init__(self, cls=0, num_classes=3):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))
        self.cls, self.num_classes = cls, num_classes
        self.calls = []

    def forward(self, X):
        self.calls.append((torch.is_grad_enabled(), self.training, len(X)))
        logits = torch.zeros(len(X), self.num_classes)
        logits[:, self.cls] = 1
        return logits * self.scale


def batches(labels_per_batch):
    return [(torch.zeros(len(labels), 1, 2, 2), torch.tensor(labels)) for labels in labels_per_batch]


def test_every_batch_counts():
    """A `return` inside the loop scored only the first batch."""
    data = batches([[0, 0, 0, 0], [1, 1, 1, 1], [0, 1]])
    net = Fixed(cls=0)
    assert du.evaluate_accuracy_gpu(net, data) == pytest.approx(5 / 10)
    assert [n for _, _, n in net.calls] == [4, 4, 2]


def test_no_grad_eval_mode_and_mode_restored():
    """Evaluation without no_grad; and dropout must be off while scoring."""
    data = batches([[0, 1], [2]])
    net = Fixed()
    net.train()
    du.evaluate_accuracy_gpu(net, data)
    assert net.calls == [(False, False, 2), (False, False, 1)]
    assert net.training is True and torch.is_grad_enabled()
    net.eval()
    du.evaluate_accuracy_gpu(net, data)
    assert net.training is False


def test_mode_restored_when_data_fails():
    def broken():
        yield torch.zeros(1, 1, 2, 2), torch.tensor([0])
        raise RuntimeError("disk gone")

    net = Fixed()
    with pytest.raises(RuntimeError, match="disk gone"):
        du.evaluate_accuracy_gpu(net, broken())
    assert net.training is True


def test_dropout_is_off():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Dropout(0.9), nn.Linear(4, 3))
    data = [(torch.randn(64, 1, 2, 2), torch.randint(0, 3, (64,))) for _ in range(3)]
    assert du.evaluate_accuracy_gpu(net, data) == du.evaluate_accuracy_gpu(net, data)
    expected = sum((net[2](X.flatten(1)).argmax(1) == y).sum().item() for X, y in data) / 192
    assert du.evaluate_accuracy_gpu(net, data, "cpu") == pytest.approx(expected)


@pytest.mark.bad_input
def test_empty_data_is_an_error():
    with pytest.raises(ValueError, match="yielded no examples"):
        du.evaluate_accuracy_gpu(Fixed(), [])
    with pytest.raises(ValueError, match="yielded no examples"):
        du.confusion_matrix(Fixed(), [], 3)


def test_confusion_matrix_and_per_class_accuracy():
    data = batches([[0, 0, 1], [2, 2, 0]])
    net = Fixed(cls=0)
    matrix = du.confusion_matrix(net, data, 4)
    expected = torch.zeros(4, 4, dtype=torch.long)
    expected[0, 0], expected[1, 0], expected[2, 0] = 3, 1, 2
    assert torch.equal(matrix, expected)
    rates = du.per_class_accuracy(matrix)
    assert rates[:3].tolist() == [1.0, 0.0, 0.0] and math.isnan(rates[3])
    assert matrix.trace().item() / matrix.sum().item() == du.evaluate_accuracy_gpu(Fixed(cls=0, num_classes=4), data)


def test_confusion_matrix_of_a_real_net():
    torch.manual_seed(1)
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 10))
    data = [(torch.randn(50, 1, 2, 2), torch.randint(0, 10, (50,))) for _ in range(4)]
    matrix = du.confusion_matrix(net, data)
    assert matrix.shape == (10, 10) and matrix.sum() == 200
    assert matrix.sum(dim=1).tolist() == torch.bincount(torch.cat([y for _, y in data]), minlength=10).tolist()
    assert matrix.trace().item() / 200 == pytest.approx(du.evaluate_accuracy_gpu(net, data))


def test_plot_confusion_matrix_normalises_rows():
    matrix = torch.tensor([[3, 1], [0, 0]])
    ax = du.plot_confusion_matrix(matrix, ["a", "b"])
    shown = ax.images[0].get_array()
    assert shown.tolist() == [[0.75, 0.25], [0.0, 0.0]]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    plt.close("all")


@pytest.mark.bad_input
def test_evaluation_names_the_layer_too():
    with pytest.raises(du.ShapeMismatchError, match=r"Input of shape \(8, 1, 32, 32\) does not fit the network"):
        du.evaluate_accuracy_gpu(du.lenet(), make_batches(1, 8, side=32))


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
    data = make_batches(1, 8)
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
    X, y = make_batches(1, 8)[0]
    with pytest.raises(ValueError, match=re.escape("labels must have shape (8,), one class index per example, got "
                                                   "(8, 1) (use y.squeeze(1) or y.flatten())")):  # fmt: skip
        du.evaluate_accuracy_gpu(du.lenet(), [(X, y[:, None])])
    with pytest.raises(ValueError, match="labels must have shape"):
        du.accuracy(torch.rand(8, 10), y[:, None])


@pytest.mark.bad_input
def test_confusion_matrix_rejects_classes_outside_num_classes():
    net = du.lenet()
    X, _ = make_batches(1, 8)[0]
    with pytest.raises(ValueError, match=r"a label is 7, outside 0 … 4: pass num_classes="):
        du.confusion_matrix(net, [(X, torch.full((8,), 7))], num_classes=5)
    with pytest.raises(ValueError, match=r"a label is -1, outside 0 … 9"):
        du.confusion_matrix(net, [(X, torch.full((8,), -1))])
