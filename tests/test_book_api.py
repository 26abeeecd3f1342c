"""d2l 1.0's API (the edition at d2l.ai): its sections' code runs unchanged on ``import d2l_utils as d2l``.

The classes below are written for these tests the way the book's 1.0 sections write theirs (``class
LeNet(d2l.Classifier)``, ``@d2l.add_to_class``, ``d2l.Trainer(...).fit(model, data)``), on the smoke-mode stand-in.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

import d2l_utils as d2l


class LeNet(d2l.Classifier):
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
            nn.LazyLinear(120), nn.Sigmoid(), nn.LazyLinear(84), nn.Sigmoid(), nn.LazyLinear(num_classes),
        )  # fmt: skip


@pytest.fixture
def smoke(monkeypatch):
    monkeypatch.setenv("D2L_SMOKE", "1")
    yield
    plt.close("all")


def test_lenet_section_the_1_0_way(smoke, capsys):
    plt.close("all")  # figures other tests left open
    trainer = d2l.Trainer(max_epochs=10, num_gpus=1)
    data = d2l.FashionMNIST(batch_size=128)
    model = LeNet(lr=0.1)
    model.apply_init([next(iter(data.get_dataloader(True)))[0]], d2l.init_cnn)
    before = model.net[0].weight.detach().clone()
    trainer.fit(model, data)
    assert "training 1 of 10 epochs" in capsys.readouterr().out  # smoke mode's cap, said
    assert model.hparams == {"lr": 0.1, "num_classes": 10} and trainer.num_train_batches == 10
    assert not torch.equal(before, model.net[0].weight.detach().cpu())
    # The book's curves: two training points per epoch, one validation point each for loss and accuracy.
    assert list(model.board.data) == ["train_loss", "val_loss", "val_acc"]
    assert [len(points) for points in model.board.data.values()] == [2, 1, 1]
    assert 0 <= model.board.data["val_acc"][0][1] <= 1 and model.board.data["val_loss"][0][0] == 1
    assert len(plt.get_fignums()) == 1, "one figure for the whole run"


def test_layer_summary_prints_the_books_lines(capsys):
    model = LeNet()
    model.layer_summary((1, 1, 28, 28))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Conv2d output shape:\t torch.Size([1, 6, 28, 28])"
    assert lines[-1] == "Linear output shape:\t torch.Size([1, 10])" and len(lines) == 12


def test_hyperparameters_add_to_class_and_the_classifier_metrics():
    class Board(d2l.HyperParameters):
        def __init__(self, a, b=2, _hidden=3):
            self.save_hyperparameters(ignore=["b"])

    board = Board(1)
    assert board.hparams == {"a": 1} and board.a == 1 and not hasattr(board, "b")

    @d2l.add_to_class(Board)
    def double(self):
        return 2 * self.a

    assert board.double() == 2
    Y_hat, Y = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), torch.tensor([1, 1, 1])
    model = d2l.Classifier()
    assert float(model.accuracy(Y_hat, Y)) == pytest.approx(2 / 3) and model.accuracy(Y_hat, Y, False).tolist() == [
        1,
        0,
        1,
    ]
    assert float(model.loss(Y_hat, Y)) == pytest.approx(float(nn.functional.cross_entropy(Y_hat, Y)))


def test_the_board_averages_every_n_points_and_draws_one_figure(smoke):
    board = d2l.ProgressBoard("x")
    for x in range(6):
        board.draw(x, torch.tensor(float(x)), "sin", every_n=2)
    assert board.data["sin"] == [(0.5, 0.5), (2.5, 2.5), (4.5, 4.5)]
    assert len(plt.get_fignums()) == 1


def test_a_nan_loss_stops_training_with_the_courses_error(smoke):
    class Broken(LeNet):
        def loss(self, y_hat, y):
            return super().loss(y_hat, y) * torch.tensor(float("nan"))

    with pytest.raises(d2l.TrainingDivergedError, match="became nan in epoch 1, step 1"):
        d2l.Trainer(max_epochs=1).fit(Broken(), d2l.FashionMNIST(batch_size=256))


def test_the_scratch_sgd_and_gradient_clipping_on_a_tensor_data_module():
    class Data(d2l.DataModule):
        def __init__(self, batch_size=4):
            super().__init__()
            self.save_hyperparameters()
            self.X, self.y = torch.randn(20, 3), torch.randn(20, 1)

        def get_dataloader(self, train):
            return self.get_tensorloader((self.X, self.y), train, slice(0, 16) if train else slice(16, None))

    class Regression(d2l.Module):
        def __init__(self, lr):
            super().__init__()
            self.save_hyperparameters()
            self.net = nn.Linear(3, 1)

        def loss(self, y_hat, y):
            return ((y_hat - y) ** 2).mean()

        def configure_optimizers(self):
            return d2l.SGD(self.parameters(), self.lr)

    model, trainer = Regression(lr=0.03), d2l.Trainer(max_epochs=2, gradient_clip_val=0.01)
    start = model.net.weight.detach().clone()
    trainer.fit(model, Data())
    assert trainer.num_train_batches == 4 and trainer.num_val_batches == 1 and trainer.train_batch_idx == 8
    # 8 steps of lr 0.03 on gradients clipped to norm 0.01 move the weights by at most 8 × 0.03 × 0.01.
    assert 0 < (model.net.weight.detach() - start).norm() <= 8 * 0.03 * 0.01 + 1e-7
    plt.close("all")


def test_mnist_data_module_in_the_same_style(smoke):
    data = d2l.MNIST(batch_size=32)
    X, y = next(iter(data.train_dataloader()))
    assert X.shape == (32, 1, 28, 28) and X.device.type == "cpu" and len(data.val_dataloader()) >= 1
    assert not data.train_iter.source.verified_real  # no real MNIST in this test's data folder: the stand-in


@pytest.mark.bad_input
def test_bad_trainer_arguments_and_a_model_without_net_are_named():
    with pytest.raises(ValueError, match="max_epochs >= 1"):
        d2l.Trainer(max_epochs=0)
    with pytest.raises(AttributeError, match="has no self.net"):
        d2l.Classifier()(torch.zeros(1, 1, 28, 28))

    class Empty(d2l.DataModule):
        def get_dataloader(self, train):
            return []

    with pytest.raises(ValueError, match=r"Empty.train_dataloader\(\) yields no batches"):
        d2l.Trainer(max_epochs=1).fit(LeNet(), Empty())
