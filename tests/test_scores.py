"""Scores cannot exceed the truth: wrong output shapes refused, NaN counted as wrong, labels that cannot overflow."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

import d2l_utils as du
from d2l_utils.guard_rails.checks import NONFINITE_WARNING, check_labels
from d2l_utils.training import EpochMetrics

CPU = torch.device("cpu")


class FixedOutputs(nn.Module):
    """A 'network' that outputs the given scores whatever its input, batch after batch."""

    def __init__(self, outputs):
        super().__init__()
        self.outputs = list(outputs)
        self.calls = 0
        self.anchor = nn.Parameter(torch.zeros(()))  # a parameter, so the net has a device

    def forward(self, X):
        out = self.outputs[self.calls % len(self.outputs)]
        self.calls += 1
        return out


def half_right_logits():
    """Eight examples, labels 0…7; the scores are right for the first four."""
    y = torch.arange(8)
    logits = torch.zeros(8, 10)
    logits[torch.arange(8), torch.tensor([0, 1, 2, 3, 9, 9, 9, 9])] = 1.0
    return logits, y


@pytest.mark.bad_input
def test_singleton_dimensions_are_refused_with_the_fix():
    logits, y = half_right_logits()
    nin_like = logits[:, :, None, None]  # a NiN without its last Flatten: (8, 10, 1, 1)
    X = torch.zeros(8, 1, 4, 4)
    for score in (lambda: du.accuracy(nin_like, y),
                  lambda: du.evaluate_accuracy_gpu(FixedOutputs([nin_like]), [(X, y)]),
                  lambda: du.confusion_matrix(FixedOutputs([nin_like]), [(X, y)])):  # fmt: skip
        with pytest.raises(ValueError, match=r"shape \(8, 10, 1, 1\).*add nn\.Flatten\(\)"):
            score()
    assert du.accuracy(nin_like.flatten(1), y) == 4.0


@pytest.mark.bad_input
@pytest.mark.parametrize(
    ("shape", "fix"), [((8, 10, 3, 3), "global pooling"), ((8, 1), "one output per class")], ids=["maps", "one-score"]
)
def test_other_output_shapes_are_refused(shape, fix):
    with pytest.raises(ValueError, match=fix):
        du.accuracy(torch.zeros(shape), torch.zeros(8, dtype=torch.long))


@pytest.mark.bad_input
def test_nan_outputs_count_as_wrong_and_say_so():
    y = torch.zeros(8, dtype=torch.long)  # class 0, which argmax of an all-NaN row picks
    nan = torch.full((8, 10), float("nan"))
    X = torch.zeros(8, 1, 4, 4)
    with pytest.warns(UserWarning, match="8 of 8 outputs of the net hold NaN or infinite scores"):
        assert du.accuracy(nan, y) == 0.0
    with pytest.warns(UserWarning, match="16 of 16 outputs"):
        assert du.evaluate_accuracy_gpu(FixedOutputs([nan]), [(X, y), (X, y)]) == 0.0
    assert NONFINITE_WARNING.count("{bad}") == 1


@pytest.mark.bad_input
def test_one_warning_per_evaluation_and_partial_nan():
    logits, y = half_right_logits()
    logits[0, 0] = float("inf")  # a right answer, but not a finite one
    logits[4, 1] = float("nan")
    X = torch.zeros(8, 1, 4, 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        acc = du.evaluate_accuracy_gpu(FixedOutputs([logits]), [(X, y)] * 3)
    assert acc == 3 / 8
    assert [str(w.message)[:12] for w in caught] == ["6 of 24 outp"]


@pytest.mark.bad_input
def test_epoch_metrics_count_nan_as_wrong():
    logits, y = half_right_logits()
    logits[1] = float("nan")
    metrics = EpochMetrics(CPU)
    metrics.add(torch.tensor(1.0), logits, y)
    with pytest.warns(UserWarning, match="1 of 8 outputs"):
        assert metrics.accuracy == 3 / 8


@pytest.mark.bad_input
def test_uint8_labels_land_in_the_right_cell():
    num_classes = 30  # 29 · 30 + 29 = 899 overflows uint8 arithmetic
    y = torch.arange(num_classes, dtype=torch.uint8)
    logits = torch.eye(num_classes)
    matrix = du.confusion_matrix(
        FixedOutputs([logits]), [(torch.zeros(num_classes, 1, 2, 2), y)], num_classes=num_classes
    )
    assert torch.equal(matrix, torch.eye(num_classes, dtype=torch.long))


@pytest.mark.bad_input
def test_nan_outputs_are_left_out_of_the_confusion_matrix():
    logits, y = half_right_logits()
    logits[:2] = float("nan")
    with pytest.warns(UserWarning, match="2 of 8 outputs"):
        matrix = du.confusion_matrix(FixedOutputs([logits]), [(torch.zeros(8, 1, 2, 2), y)])
    assert int(matrix.sum()) == 6 and int(matrix.diagonal().sum()) == 2


@pytest.mark.bad_input
@pytest.mark.parametrize("dtype", [torch.uint8, torch.int8, torch.int16, torch.int32])
def test_narrow_integer_labels_are_cast(dtype):
    logits, y = half_right_logits()
    assert check_labels(logits, y.to(dtype)).dtype == torch.int64
    assert du.accuracy(logits, y.to(dtype)) == 4.0
    assert du.evaluate_accuracy_gpu(FixedOutputs([logits]), [(torch.zeros(8, 1, 2, 2), y.to(dtype))]) == 0.5


@pytest.mark.bad_input
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bool])
def test_float_and_bool_labels_are_named(dtype):
    logits, y = half_right_logits()
    name = str(dtype).removeprefix("torch.")
    with pytest.raises(ValueError, match=rf"labels are {name}, but class indices must be integers.*y\.long\(\)"):
        du.accuracy(logits, y.to(dtype))
    with pytest.raises(ValueError, match="class indices must be integers"):
        du.evaluate_accuracy_gpu(FixedOutputs([logits]), [(torch.zeros(8, 1, 2, 2), y.to(dtype))])


@pytest.mark.bad_input
@pytest.mark.parametrize(
    "call",
    [lambda net: du.evaluate_accuracy_gpu(net, []), lambda net: du.confusion_matrix(net, [])],
    ids=["evaluate_accuracy_gpu", "confusion_matrix"],
)
def test_a_builder_passed_to_evaluation_is_named(call):
    with pytest.raises(TypeError, match=r"function lenet, not a network: call it .*du\.lenet\(\)"):
        call(du.lenet)


@pytest.mark.bad_input
def test_dict_batches_in_evaluation_are_explained():
    batches = [{"image": torch.zeros(2, 1, 28, 28), "label": torch.zeros(2, dtype=torch.long)}]
    with pytest.raises(TypeError, match=r"\(X, y\) pairs.*a dict with keys \['image', 'label'\].*batch\['image'\]"):
        du.evaluate_accuracy_gpu(du.lenet(), batches)


@pytest.mark.bad_input
@pytest.mark.parametrize("num_classes", [0, 2.5, "10", True])
def test_confusion_matrix_num_classes_is_checked(num_classes):
    with pytest.raises(ValueError, match="num_classes must be a positive integer"):
        du.confusion_matrix(du.lenet(), [(torch.zeros(2, 1, 28, 28), torch.zeros(2, dtype=torch.long))], num_classes)


def test_numpy_num_classes_is_accepted():
    import numpy as np

    logits, y = half_right_logits()
    matrix = du.confusion_matrix(FixedOutputs([logits]), [(torch.zeros(8, 1, 2, 2), y)], num_classes=np.int64(10))
    assert matrix.shape == (10, 10) and int(matrix.diagonal().sum()) == 4


@pytest.mark.bad_input
def test_a_net_returning_a_tuple_is_named():
    logits, y = half_right_logits()
    with pytest.raises(TypeError, match=r"output is a tuple of 2 items, not a tensor.*return only the logits"):
        du.evaluate_accuracy_gpu(FixedOutputs([(logits, logits)]), [(torch.zeros(8, 1, 2, 2), y)])
    with pytest.raises(TypeError, match="a tuple of 2 items"):
        du.accuracy((logits, logits), y)
    with pytest.raises(TypeError, match="labels must be a tensor"):
        du.accuracy(logits, list(range(8)))


@pytest.mark.bad_input
def test_nan_outputs_never_match_a_label_of_minus_one():
    """NaN rows are no class at all: a label -1 beside them is refused, never scored as a correct -1."""
    nan, y, X = torch.full((4, 10), float("nan")), torch.full((4,), -1), torch.zeros(4, 1, 4, 4)
    for score in (lambda: du.accuracy(nan, y), lambda: du.evaluate_accuracy_gpu(FixedOutputs([nan]), [(X, y)]),
                  lambda: du.accuracy(torch.full((4,), float("nan")), y)):  # fmt: skip
        with pytest.raises(ValueError, match=r"a label is -1, but class indices run 0 .*leave out examples without"):
            score()


@pytest.mark.bad_input
@pytest.mark.parametrize("outputs", ["finite", "nan"])
def test_a_label_beyond_the_nets_outputs_is_refused_by_every_score(outputs):
    """Label 10 from a 10-class net: refused alike by accuracy, evaluate_accuracy_gpu and confusion_matrix, also
    when that example's outputs are NaN (checked before NaN rows are left out), and in a batch after the first."""
    logits, y = half_right_logits()
    if outputs == "nan":
        logits[5] = float("nan")
    bad = y.clone()
    bad[5] = 10
    X, net = torch.zeros(8, 1, 4, 4), FixedOutputs([logits])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the NaN warning is not what this test is about
        for score in (lambda: du.accuracy(logits, bad), lambda: du.evaluate_accuracy_gpu(net, [(X, y), (X, bad)])):
            with pytest.raises(ValueError, match=r"a label is 10, but class indices run 0 … 9 .*subtract 1"):
                score()
        with pytest.raises(ValueError, match=r"a label is 10, outside 0 … 9"):
            du.confusion_matrix(net, [(X, bad)])
        with pytest.raises(ValueError, match=r"a label is 12, outside 0 … 9"):
            du.confusion_matrix(FixedOutputs([torch.full((8, 10), float("nan"))]), [(X, torch.full((8,), 12))])


def test_labels_inside_the_outputs_score_as_before():
    logits, y = half_right_logits()
    assert du.accuracy(logits, y) == 4.0
    assert du.evaluate_accuracy_gpu(FixedOutputs([logits]), [(torch.zeros(8, 1, 4, 4), y)]) == 0.5
