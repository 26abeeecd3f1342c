"""The fast data path (``InMemoryBatches``) against the classic DataLoader path, and the benchmark script.

The fast path must serve the same examples as torchvision's ``ToTensor``/``Resize`` pipeline, only faster:
the same labels and pixels (exactly, without resizing), a fresh reproducible shuffle each epoch, and the
DataLoader's batch sizes.
"""

from __future__ import annotations

import os

import pytest
import torch
from PIL import Image
from torchvision import transforms

import d2l_utils as du
from d2l_utils.synthetic import make_synthetic_split

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _loaders(loader: str, batch_size: int = 256, resize=None, train: int = 600, test: int = 300, seed: int = 0):
    kwargs = {"num_workers": 0} if loader == "dataloader" else {}
    return du.load_data_fashion_mnist(
        batch_size, resize, synthetic=True, loader=loader, seed=seed, max_train_examples=train,
        max_test_examples=test, **kwargs,
    )  # fmt: skip


def _epoch(batches) -> tuple[torch.Tensor, torch.Tensor]:
    Xs, ys = zip(*batches, strict=True)
    return torch.cat(Xs), torch.cat(ys)


def _as_multiset(X: torch.Tensor, y: torch.Tensor) -> list[tuple[int, bytes]]:
    return sorted(zip(y.tolist(), (x.numpy().tobytes() for x in X), strict=True))


def _on_cpu(batches):
    """The fast path keeps its batches on the training device (a GPU where there is one): compare them on the CPU."""
    return ((X.cpu(), y.cpu()) for X, y in batches)


def _epoch_order(batches) -> list[int]:
    """The order of one epoch, for data sets whose labels are example ids."""
    return torch.cat([y for _, y in batches]).tolist()


def _id_batches(n: int = 250, batch_size: int = 32, seed: int = 0) -> du.data.InMemoryBatches:
    images = torch.randint(0, 256, (n, 28, 28), generator=torch.Generator().manual_seed(1), dtype=torch.uint8)
    return du.data.InMemoryBatches(images, torch.arange(n), batch_size, shuffle=True, seed=seed)


def test_fast_path_is_the_default():
    train_iter, test_iter = du.load_data_fashion_mnist(256, synthetic=True, max_train_examples=8, max_test_examples=8)
    assert isinstance(train_iter, du.data.InMemoryBatches) and isinstance(test_iter, du.data.InMemoryBatches)


def test_same_examples_in_the_same_order_without_shuffle():
    (_, fast), (_, slow) = _loaders("fast"), _loaders("dataloader")
    assert len(fast) == len(slow) == 2
    for (Xf, yf), (Xs, ys) in zip(_on_cpu(fast), slow, strict=True):
        assert Xf.dtype == Xs.dtype == torch.float32 and yf.dtype == ys.dtype == torch.int64
        assert Xf.shape == Xs.shape and torch.equal(Xf, Xs) and torch.equal(yf, ys)


def test_same_examples_every_epoch_with_shuffle():
    (fast, _), (slow, _) = _loaders("fast"), _loaders("dataloader")
    expected = _as_multiset(*_epoch(slow))
    assert len(expected) == 600
    for _ in range(2):  # each epoch is a permutation of the same 600 examples
        assert _as_multiset(*_epoch(_on_cpu(fast))) == expected


def test_scaling_to_unit_range_equals_to_tensor_exactly():
    images = torch.randint(0, 256, (64, 28, 28), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    X, _ = next(iter(du.data.InMemoryBatches(images, torch.zeros(64), 64, shuffle=False)))
    reference = torch.stack([transforms.ToTensor()(Image.fromarray(a.numpy())) for a in images])
    assert X.dtype == torch.float32 and X.shape == (64, 1, 28, 28)
    assert torch.equal(X, reference)
    assert X.min() == 0 and X.max() == 1


# Measured on these images (synthetic stand-in, 200 examples) against torchvision's Resize on PIL images:
# max |difference| = 1.000/255 and mean 0.28/255 for 224 and 96 (and for 56, 32; with antialiasing, 0.98/255 and
# 0.28/255 for 20 and 14). PIL resizes in 8-bit fixed point and rounds to whole grey levels, the fast path keeps
# float32, so one grey level (1/255, plus float slack: 1.01/255) is the largest difference to expect, and
# rounding to grey levels alone averages 0.25/255.
RESIZE_MAX_ABS = 1.01 / 255
RESIZE_MEAN_ABS = 0.4 / 255


@pytest.mark.parametrize("size", [224, 96])
def test_resize_matches_torchvision_resize(size):
    (_, fast), (_, slow) = (_loaders(loader, 32, resize=size, train=8, test=32) for loader in ("fast", "dataloader"))
    (Xf, yf), (Xs, ys) = next(_on_cpu(fast)), next(iter(slow))
    assert Xf.shape == Xs.shape == (32, 1, size, size) and torch.equal(yf, ys)
    diff = (Xf - Xs).abs()
    assert diff.max().item() <= RESIZE_MAX_ABS
    assert diff.mean().item() <= RESIZE_MEAN_ABS


@pytest.mark.parametrize("size", [14, (20, 20)])
def test_shrinking_antialiases_like_torchvision(size):
    images, labels = make_synthetic_split(32, seed=3)
    resize = transforms.Compose([transforms.Resize(size), transforms.ToTensor()])
    reference = torch.stack([resize(Image.fromarray(a)) for a in images])
    X, _ = next(iter(du.data.InMemoryBatches(torch.from_numpy(images), torch.from_numpy(labels), 32, shuffle=False,
                                        resize=size)))  # fmt: skip
    diff = (X - reference).abs()
    assert X.shape == reference.shape
    assert diff.max().item() <= RESIZE_MAX_ABS and diff.mean().item() <= RESIZE_MEAN_ABS


def test_shuffle_differs_between_epochs_and_repeats_with_the_seed():
    batches = _id_batches()
    first, second = _epoch_order(batches), _epoch_order(batches)
    assert sorted(first) == sorted(second) == list(range(250))
    assert first != second
    again = _id_batches()
    assert _epoch_order(again) == first and _epoch_order(again) == second
    assert _epoch_order(_id_batches(seed=1)) != first


def test_no_shuffle_keeps_the_stored_order():
    batches = du.data.InMemoryBatches(torch.zeros(70, 28, 28, dtype=torch.uint8), torch.arange(70), 32, shuffle=False)
    assert _epoch_order(batches) == _epoch_order(batches) == list(range(70))


def test_last_partial_batch():
    batches = _id_batches(n=250, batch_size=32)
    assert len(batches) == 8 and batches.num_examples == 250
    assert [len(y) for _, y in batches] == [32] * 7 + [26]
    fast, _ = _loaders("fast", batch_size=256, train=600)
    slow, _ = _loaders("dataloader", batch_size=256, train=600)
    assert [len(y) for _, y in fast] == [len(y) for _, y in slow] == [256, 256, 88]
    assert len(fast) == len(slow) == 3


def test_state_dict_restores_the_order():
    batches = _id_batches()
    _epoch_order(batches)
    state = batches.state_dict()
    expected = [_epoch_order(batches), _epoch_order(batches)]
    resumed = _id_batches(seed=5)  # the restored state wins over the seed
    resumed.load_state_dict(state)
    assert [_epoch_order(resumed), _epoch_order(resumed)] == expected


def test_to_moves_the_data_set():
    batches = _id_batches(n=40, batch_size=16)
    assert batches.device == torch.device("cpu")
    assert batches.to("meta") is batches  # a device without memory: shapes only
    assert batches.device.type == "meta" and batches.images.is_meta and batches.labels.is_meta
    X, y = next(iter(batches))
    assert X.is_meta and y.is_meta and X.shape == (16, 1, 28, 28)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_to_cuda_serves_batches_on_the_gpu():
    fast, _ = _loaders("fast", batch_size=64, resize=96, train=128)
    X, y = next(iter(fast.to("cuda")))
    assert X.is_cuda and y.is_cuda and X.shape == (64, 1, 96, 96)


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="uint8"):
        du.data.InMemoryBatches(torch.zeros(4, 28, 28), torch.zeros(4), 2, shuffle=False)
    with pytest.raises(ValueError, match="labels"):
        du.data.InMemoryBatches(torch.zeros(4, 28, 28, dtype=torch.uint8), torch.zeros(3), 2, shuffle=False)
    with pytest.raises(ValueError, match="batch_size"):
        du.data.InMemoryBatches(torch.zeros(4, 28, 28, dtype=torch.uint8), torch.zeros(4), 0, shuffle=False)
