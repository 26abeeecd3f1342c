"""seed_everything: every generator repeats, seeded training repeats exactly, and bad seeds are refused."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch

import d2l_utils as du
from tests.helpers import assert_same_weights, small_synthetic, state_of, train_on_cpu


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
        history = train_on_cpu(net, train_iter, test_iter, 1, 0.9)
        runs.append((history.train_loss + history.train_acc + history.test_acc, state_of(net)))
    assert runs[0][0] == runs[1][0]
    assert_same_weights(runs[0][1], runs[1][1], rtol=0, atol=0)
    assert all(math.isfinite(v) for v in runs[0][0])


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
