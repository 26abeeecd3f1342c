"""Training plans: the CPU plan is chosen on a CPU, the book's elsewhere, each network's book plan holds the book's
settings, and bad names are explained.
"""

import pytest
import torch

import d2l_utils as du


def test_cpu_gets_the_cpu_plan_and_gpu_the_books(monkeypatch):
    assert du.choose_plan("alexnet", "cpu").name == "cpu-quick"
    monkeypatch.setattr("d2l_utils.devices.num_gpus", lambda: 1)  # a machine with one GPU
    assert du.choose_plan("alexnet", torch.device("cuda")).name == "book"
    assert du.choose_plan("alexnet", "cpu", name="book").batch_size == 128


@pytest.mark.parametrize(("network", "lr"), [("nin", 0.05), ("googlenet", 0.01)])
def test_a_gpu_trains_nin_and_googlenet_at_the_books_later_lr(monkeypatch, network, lr):
    """At the first edition's lr 0.1 NiN collapsed to chance and GoogLeNet diverged on a GPU; the book's record
    stays the "book" plan."""
    monkeypatch.setattr("d2l_utils.devices.num_gpus", lambda: 1)
    gpu, book = du.choose_plan(network, torch.device("cuda")), du.TRAINING_PLANS[network]["book"]
    assert (gpu.name, gpu.lr, book.lr) == ("gpu", lr, 0.1) and du.plans.D2L_1_0_PLANS[network].lr == lr
    assert (gpu.num_epochs, gpu.batch_size, gpu.resize) == (book.num_epochs, book.batch_size, book.resize)


def test_every_network_has_both_plans_and_the_cpu_plan_is_no_bigger():
    for network, plans in du.TRAINING_PLANS.items():
        assert set(plans) >= {"book", "cpu-quick"}, network
        book, quick = plans["book"], plans["cpu-quick"]
        assert quick.training_examples <= book.training_examples, network
        # the book's step, or d2l 1.0's where the book's failed on real digits (said in plans.py and the chapter)
        d2l_1_0 = du.plans.D2L_1_0_PLANS.get(network)
        assert quick.lr in {book.lr, d2l_1_0.lr if d2l_1_0 else book.lr}, network


def test_minutes_follow_the_measured_speed():
    plan = du.choose_plan("alexnet", "cpu")
    assert plan.minutes_at(plan.training_examples / 60) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="measure"):
        plan.minutes_at(0)


@pytest.mark.parametrize(
    ("network", "name", "match"), [("alexnett", None, "known networks"), ("lenet", "fast", "choose")]
)
def test_unknown_names_list_the_choices(network, name, match):
    with pytest.raises(KeyError, match=match):
        du.choose_plan(network, "cpu", name=name)


@pytest.mark.parametrize(("network", "lr", "resize"), [("vgg", 0.05, 224), ("nin", 0.1, 224), ("googlenet", 0.1, 96)])
def test_book_plans_hold_the_books_settings(network, lr, resize):
    book = du.choose_plan(network, "cpu", name="book")
    assert (book.lr, book.num_epochs, book.batch_size, book.resize) == (lr, 10, 128, resize)
    quick = du.choose_plan(network, "cpu")
    assert quick.name == "cpu-quick" and quick.training_examples < book.training_examples


@pytest.mark.parametrize(
    ("network", "lr", "batch", "resize"),
    [("bn-lenet", 1.0, 256, None), ("resnet18", 0.05, 256, 96), ("densenet", 0.1, 256, 96)],
)
def test_plans_hold_the_books_settings(network, lr, batch, resize):
    book = du.choose_plan(network, "cpu", name="book")
    assert (book.lr, book.batch_size, book.resize, book.num_epochs) == (lr, batch, resize, 10)
    quick = du.choose_plan(network, "cpu")
    assert quick.name == "cpu-quick" and quick.training_examples < book.training_examples


def test_bn_lenets_cpu_plan_takes_d2l_1_0s_step_so_its_running_statistics_keep_up():
    quick, d2l_1_0 = du.choose_plan("bn-lenet", "cpu"), du.plans.D2L_1_0_PLANS["bn-lenet"]
    assert (quick.lr, quick.batch_size) == (d2l_1_0.lr, d2l_1_0.batch_size) == (0.1, 128)
    assert du.choose_plan("bn-lenet", "cpu", name="book").lr == 1.0
