"""Real MNIST through the course's loader, training loop and evaluation (skipped, with the reason, without it).

The ``real_mnist_dir`` fixture (tests/conftest.py) finds verified real MNIST in the run's data folder or
downloads it; ``.ci/run`` seeds that folder from the CI's data cache and makes a missing data set a failure.
"""

from __future__ import annotations

import time

import matplotlib.pyplot as plt
import pytest
import torch

import d2l_utils as du

pytestmark = pytest.mark.real_data

# MNIST's label counts per digit (LeCun, Cortes and Burges' files; any other count means other files).
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_real_files_load_with_mnist_sizes_labels_and_pixel_range(real_mnist_dir, capsys):
    train_iter, test_iter = du.load_data_mnist(256, data_dir=real_mnist_dir, device="cpu")
    assert "synthetic" not in capsys.readouterr().out.lower()
    assert (train_iter.num_examples, test_iter.num_examples) == (60_000, 10_000)
    assert torch.bincount(train_iter.labels).tolist() == TRAIN_COUNTS
    assert torch.bincount(test_iter.labels).tolist() == TEST_COUNTS
    assert train_iter.source == test_iter.source
    assert train_iter.source.verified_real and not train_iter.source.smoke and train_iter.source.name == "MNIST"
    low, high = 1.0, 0.0
    for X, y in test_iter:
        assert X.shape[1:] == (1, 28, 28) and X.dtype == torch.float32 and y.dtype == torch.int64
        low, high = min(low, X.min().item()), max(high, X.max().item())
    assert (low, high) == (0.0, 1.0)  # every image has black background and some full-white ink
    assert du.get_mnist_labels(test_iter.labels[:3]) == [str(int(d)) for d in test_iter.labels[:3]]


def test_book_pipeline_and_fast_path_serve_the_same_images(real_mnist_dir):
    _, book_test = du.load_data_mnist(64, data_dir=real_mnist_dir, loader="dataloader", num_workers=0)
    _, fast_test = du.load_data_mnist(64, data_dir=real_mnist_dir, device="cpu")
    (X_book, y_book), (X_fast, y_fast) = next(iter(book_test)), next(iter(fast_test))
    assert torch.equal(y_book, y_fast)
    torch.testing.assert_close(X_book, X_fast)  # ToTensor's /255 and ours agree
    assert book_test.source.verified_real and book_test.source.num_train == 60_000


def test_smoke_mode_uses_a_small_subset_of_the_real_files(real_mnist_dir, monkeypatch, capsys):
    monkeypatch.setenv("D2L_SMOKE", "1")
    train_iter, test_iter = du.load_data_mnist(64, data_dir=real_mnist_dir, device="cpu")
    out = capsys.readouterr().out
    limits = du.config.SMOKE_LIMITS
    assert (train_iter.num_examples, test_iter.num_examples) == (limits.train_examples, limits.test_examples)
    assert f"MNIST cut to {limits.train_examples} training" in out and "synthetic" not in out.lower()
    assert train_iter.source.verified_real and train_iter.source.smoke
    assert du.get_mnist_labels([3]) == ["3"]


def test_the_books_1_0_data_module_style_serves_verified_real_mnist(real_mnist_dir, monkeypatch):
    """``du.MNIST(batch_size)`` works as d2l 1.0's ``d2l.FashionMNIST(batch_size)``, on the verified real files."""
    monkeypatch.setenv("D2L_DATA_DIR", str(real_mnist_dir))
    monkeypatch.setenv("D2L_SMOKE", "1")
    data = du.MNIST(batch_size=128)
    X, y = next(iter(data.get_dataloader(True)))
    assert X.shape == (128, 1, 28, 28) and data.train_iter.source.verified_real and len(data.val_dataloader()) == 2


@pytest.fixture(scope="module")
def lenet_on_mnist(real_mnist_dir):
    """d2l's LeNet trained with the book's settings (lr 0.9, batch 256, 10 epochs) on all of real MNIST, once."""
    plan = du.TRAINING_PLANS["lenet"]["book"]
    with pytest.MonkeyPatch.context() as mp:  # set up before the per-test course_env: clear the modes here
        mp.delenv("D2L_SMOKE", raising=False)
        mp.delenv("D2L_SYNTHETIC", raising=False)
        du.seed_everything(0)
        train_iter, test_iter = du.load_data_mnist(plan.batch_size, data_dir=real_mnist_dir, device="cpu")
        net = du.lenet()
        start = time.perf_counter()
        history = du.train_ch6(net, train_iter, test_iter, 10, plan.lr, "cpu", progress=False)
        plt.close("all")
    print(f"LeNet, 10 epochs on real MNIST: {time.perf_counter() - start:.1f} s")
    return net, test_iter, history


def test_lenet_with_the_book_settings_reaches_95_percent_on_real_mnist(lenet_on_mnist):
    _, _, history = lenet_on_mnist
    assert len(history.test_acc) == 10
    assert history.test_acc[-1] >= 0.95, history.test_acc
    assert history.train_loss[-1] < history.train_loss[0]


def test_evaluation_and_confusion_matrix_agree_on_real_digits(lenet_on_mnist):
    net, test_iter, history = lenet_on_mnist
    accuracy = du.evaluate_accuracy_gpu(net, test_iter)
    matrix = du.confusion_matrix(net, test_iter)
    assert matrix.sum(dim=1).tolist() == TEST_COUNTS  # each true digit counted once, in its row
    assert matrix.diagonal().sum().item() / 10_000 == pytest.approx(accuracy, abs=1e-12)
    assert accuracy == pytest.approx(history.test_acc[-1], abs=1e-12)
    per_class = du.per_class_accuracy(matrix)
    assert per_class.min() > 0.85  # every digit is learned, not only the frequent ones
