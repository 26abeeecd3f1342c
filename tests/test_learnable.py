"""The synthetic stand-in is learnable: the book's LeNet and train_ch6 beat chance clearly after a short run."""

from __future__ import annotations

import torch

import d2l_utils as du


def test_lenet_learns_the_synthetic_data(capsys):
    """The book's settings (batch 256, lr 0.9) for two epochs on the full synthetic training set."""
    train_iter, test_iter = du.load_data_fashion_mnist(256, synthetic=True, max_test_examples=2_000)
    du.seed_everything(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # pytest -n 2 runs two workers on two cores; more threads only fight
    try:
        history = du.train_ch6(du.lenet(), train_iter, test_iter, 2, 0.9, "cpu", progress=False)
    finally:
        torch.set_num_threads(threads)
    assert "synthetic" in capsys.readouterr().out.lower()
    # Chance is 0.1. The sigmoid LeNet sits near chance until it leaves its plateau, as on Fashion-MNIST; with
    # the book's batch size it always had by the end of epoch 2: measured test acc 0.67, 0.77, 0.64, 0.54, 0.60,
    # 0.51 and train loss 0.95-1.67 for seeds 0-5 (the test uses seed 0; smaller batches stalled for some seeds).
    assert history.test_acc[-1] > 0.3, history
    assert history.train_loss[-1] < 2.0, history
