"""What a stored result says about itself (the data it ran on, machine, date), and which examples a net gets wrong."""

from __future__ import annotations

import datetime

import pytest
import torch
from torch import nn

import d2l_utils as du


class Served(list):
    """Batches with the ``source`` a course loader attaches."""

    def __init__(self, batches, source):
        super().__init__(batches)
        self.source = source


def _served(name="MNIST", verified_real=True, smoke=False):
    return Served([], du.data.DataSource(name, verified_real, smoke, 60_000, 10_000))


def test_provenance_names_real_data_its_size_machine_torch_and_date():
    line = du.provenance(_served(), "cpu")
    assert line.startswith("real MNIST (60,000 training and 10,000 test images) · on cpu · ")
    assert f"torch {torch.__version__}" in line
    assert line.endswith(datetime.date.today().isoformat())


def test_stand_in_and_smoke_subset_are_never_called_real_data():
    stand_in = du.data.MNIST.stand_in
    assert du.data_label(_served(stand_in, verified_real=False)) == stand_in
    assert not du.provenance(_served(stand_in, verified_real=False), "cpu").startswith("real")
    assert du.data_label(_served(smoke=True)) == "real MNIST, smoke-mode subset"


@pytest.mark.bad_input
def test_an_iterator_that_does_not_say_what_it_serves_is_refused():
    with pytest.raises(TypeError, match="no .source.*du.load_data_mnist"):
        du.provenance([(torch.zeros(1, 1, 28, 28), torch.zeros(1, dtype=torch.long))], "cpu")


def _always_class_zero() -> nn.Module:
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    with torch.no_grad():
        net[1].weight.zero_()
        net[1].bias.copy_(torch.tensor([1.0, 0.0, 0.0]))
    return net


def test_misclassified_returns_the_wrong_examples_in_data_order_with_both_labels():
    X = torch.arange(6 * 4, dtype=torch.float32).reshape(6, 1, 2, 2)
    y = torch.tensor([0, 2, 0, 1, 1, 0])
    net = _always_class_zero().train()
    images, predicted, true = du.misclassified(net, [(X[:3], y[:3]), (X[3:], y[3:])], max_count=10)
    assert torch.equal(images, X[[1, 3, 4]])
    assert predicted.tolist() == [0, 0, 0] and true.tolist() == [2, 1, 1]
    assert net.training  # left in the mode it was in


def test_misclassified_stops_at_max_count():
    X, y = torch.zeros(5, 1, 2, 2), torch.ones(5, dtype=torch.long)
    images, predicted, true = du.misclassified(_always_class_zero(), [(X, y)] * 3, max_count=7)
    assert len(images) == len(predicted) == len(true) == 7


@pytest.mark.bad_input
def test_misclassified_refuses_a_count_that_is_not_positive():
    with pytest.raises(ValueError, match="max_count must be a positive integer"):
        du.misclassified(_always_class_zero(), [], max_count=0)
