"""load_data_fashion_mnist on the synthetic stand-in, smoke mode, the in-memory batches and the DataLoader path."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch

import d2l_utils as du
from d2l_utils import data as du_data


def load(batch_size=256, **kwargs):
    kwargs.setdefault("synthetic", True)
    return du.load_data_fashion_mnist(batch_size, **kwargs)


def test_synthetic_banner_shapes_and_sizes(capsys, shared_data_dir):
    train_iter, test_iter = load(256)
    out = capsys.readouterr().out
    assert out.startswith("[d2l_utils] ") and "synthetic" in out.lower()
    assert str(shared_data_dir / "synthetic") in out
    assert (train_iter.num_examples, test_iter.num_examples) == (60_000, 10_000)
    assert (len(train_iter), len(test_iter)) == (235, 40)  # ceil(60000 / 256), ceil(10000 / 256)
    X, y = next(iter(train_iter))
    assert X.shape == (256, 1, 28, 28) and X.dtype == torch.float32
    assert 0.0 <= X.min() and X.max() <= 1.0 and X.max() > 0.5
    assert y.shape == (256,) and y.dtype == torch.long and set(y.tolist()) <= set(range(10))
    assert "synthetic" in repr(train_iter)


def test_synthetic_files_go_to_d2l_data_dir(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("D2L_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(du_data, "write_synthetic_fashion_mnist", _small_writer)
    load(32)
    raw = tmp_path / "synthetic" / "FashionMNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted([*du_data.IDX_FILES, "SYNTHETIC"])
    assert not list(tmp_path.rglob("*.part"))
    other = tmp_path / "elsewhere"
    load(32, data_dir=other)  # the argument wins over the environment
    assert (other / "synthetic" / "FashionMNIST" / "raw" / "SYNTHETIC").exists()


def _small_writer(root):
    from d2l_utils.synthetic import write_synthetic_fashion_mnist

    return write_synthetic_fashion_mnist(root, num_train=300, num_test=100)


def test_env_switch_selects_synthetic(monkeypatch, capsys):
    monkeypatch.setenv("D2L_SYNTHETIC", "1")
    train_iter, _ = du.load_data_fashion_mnist(64)
    assert "synthetic" in capsys.readouterr().out.lower()
    assert "synthetic" in train_iter.description


def test_synthetic_files_are_reused(shared_data_dir):
    load(64)
    raw = shared_data_dir / "synthetic" / "FashionMNIST" / "raw"
    before = {p.name: p.stat().st_mtime_ns for p in raw.iterdir()}
    load(64)
    assert {p.name: p.stat().st_mtime_ns for p in raw.iterdir()} == before


def test_smoke_mode_limits(monkeypatch, capsys):
    monkeypatch.setenv("D2L_SMOKE", "1")
    train_iter, test_iter = du.load_data_fashion_mnist(100, synthetic=False)  # smoke forces synthetic
    out = capsys.readouterr().out
    assert "synthetic" in out.lower() and "Smoke mode (D2L_SMOKE=1)" in out
    assert (train_iter.num_examples, test_iter.num_examples) == (1280, 256)
    assert len(train_iter) == 13
    small, _ = du.load_data_fashion_mnist(100, max_train_examples=50)
    assert small.num_examples == 50
    capped, _ = du.load_data_fashion_mnist(100, max_train_examples=5000, max_test_examples=5000)
    assert capped.num_examples == 1280


def test_max_examples_take_the_first_ones():
    full, full_test = load(1000)
    part, part_test = load(1000, max_train_examples=123, max_test_examples=45)
    assert (part.num_examples, part_test.num_examples) == (123, 45)
    assert torch.equal(part.images, full.images[:123]) and torch.equal(part_test.labels, full_test.labels[:45])


@pytest.mark.bad_input
@pytest.mark.parametrize("batch_size", [0, -1, 2.5, "64"])
def test_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        load(batch_size)


@pytest.mark.bad_input
def test_bad_loader_and_subset():
    with pytest.raises(ValueError, match="loader must be 'fast' or 'dataloader'"):
        load(64, loader="fancy")
    with pytest.raises(ValueError, match="max_train_examples must be a positive integer"):
        load(64, max_train_examples=0)


def test_resize_fast_path():
    train_iter, test_iter = load(8, resize=32, max_train_examples=16, max_test_examples=16)
    assert next(iter(train_iter))[0].shape == (8, 1, 32, 32)
    assert next(iter(test_iter))[0].shape == (8, 1, 32, 32)
    rect, _ = load(8, resize=(40, 20), max_train_examples=8)
    assert next(iter(rect))[0].shape == (8, 1, 40, 20)


def test_dataloader_path_gives_the_same_examples():
    fast_train, fast_test = load(50, max_train_examples=100, max_test_examples=100)
    dl_train, dl_test = load(50, loader="dataloader", num_workers=0, max_train_examples=100, max_test_examples=100)
    assert isinstance(dl_test, torch.utils.data.DataLoader) and len(dl_train) == len(fast_train) == 2
    for (Xf, yf), (Xd, yd) in zip(fast_test, dl_test, strict=True):  # test sets are not shuffled
        assert torch.equal(yf.cpu(), yd)  # the fast path serves on the training device (a GPU where there is one)
        torch.testing.assert_close(Xf.cpu(), Xd)
    X, _ = next(iter(load(4, resize=56, loader="dataloader", num_workers=0, max_train_examples=4)[0]))
    assert X.shape == (4, 1, 56, 56)


def test_default_num_workers(monkeypatch):
    """Four worker processes break on Windows and macOS (spawned workers)."""
    for platform in ("win32", "darwin"):
        monkeypatch.setattr(du_data.sys, "platform", platform)
        assert du_data.default_num_workers() == 0
    monkeypatch.setattr(du_data.sys, "platform", "linux")
    monkeypatch.setattr(du_data.os, "cpu_count", lambda: 2)
    assert du_data.default_num_workers() == 2
    monkeypatch.setattr(du_data.os, "cpu_count", lambda: 64)
    assert du_data.default_num_workers() == 4


def numbered_batches(n=10, batch_size=4, shuffle=True, seed=0):
    images = torch.arange(n, dtype=torch.uint8).repeat_interleave(4).reshape(n, 2, 2)
    return du.data.InMemoryBatches(images, torch.arange(n), batch_size, shuffle=shuffle, seed=seed)


def test_in_memory_batches_cover_every_example_once():
    batches = numbered_batches(10, 4)
    assert len(batches) == 3 and batches.num_examples == 10
    epochs = [[y for _, y in batches] for _ in range(2)]
    for epoch in epochs:
        assert [len(y) for y in epoch] == [4, 4, 2]
        assert sorted(torch.cat(epoch).tolist()) == list(range(10))
    assert torch.cat(epochs[0]).tolist() != torch.cat(epochs[1]).tolist()  # reshuffled each epoch
    X, y = next(iter(batches))
    assert X.shape == (4, 1, 2, 2)
    torch.testing.assert_close(X[:, 0, 0, 0], y.float() / 255)  # scaled to [0, 1] and matched to its label


def test_in_memory_batches_unshuffled_and_seeded():
    plain = numbered_batches(10, 4, shuffle=False)
    assert torch.cat([y for _, y in plain]).tolist() == list(range(10))
    order = lambda b: torch.cat([y for _, y in b]).tolist()
    assert order(numbered_batches(seed=3)) == order(numbered_batches(seed=3))
    assert order(numbered_batches(seed=3)) != order(numbered_batches(seed=4))


def test_in_memory_batches_state_dict_replays_order():
    batches = numbered_batches(10, 4)
    state = batches.state_dict()
    first = [y.tolist() for _, y in batches]
    batches.load_state_dict(state)
    assert [y.tolist() for _, y in batches] == first


def test_in_memory_batches_to_device():
    batches = numbered_batches()
    assert batches.to("cpu") is batches and batches.device == torch.device("cpu")


@pytest.mark.bad_input
def test_in_memory_batches_bad_input():
    with pytest.raises(ValueError, match="uint8 tensor"):
        du.data.InMemoryBatches(torch.zeros(4, 2, 2), torch.zeros(4), 2, shuffle=False)
    with pytest.raises(ValueError, match="uint8 tensor"):
        du.data.InMemoryBatches(torch.zeros(4, 1, 2, 2, dtype=torch.uint8), torch.zeros(4), 2, shuffle=False)
    with pytest.raises(ValueError, match="4 images but 3 labels"):
        du.data.InMemoryBatches(torch.zeros(4, 2, 2, dtype=torch.uint8), torch.zeros(3), 2, shuffle=False)


def test_text_labels():
    assert du.get_fashion_mnist_labels([0, 9, 5], synthetic=False) == ["t-shirt", "ankle boot", "sandal"]
    assert du.get_fashion_mnist_labels(torch.tensor([1, 8]), synthetic=False) == ["trouser", "bag"]
    assert len(du.data.TEXT_LABELS) == 10


def test_show_images_and_figsize():
    du.set_figsize((4, 3))
    assert tuple(plt.rcParams["figure.figsize"]) == (4, 3)
    imgs = [torch.rand(1, 28, 28), torch.rand(28, 28), torch.rand(3, 8, 8).numpy().transpose(1, 2, 0)]
    axes = du.show_images(imgs, 2, 2, titles=["a", "b"], scale=1.0)
    assert len(axes) == 4
    assert [ax.get_title() for ax in axes] == ["a", "b", "", ""]
    assert [len(ax.images) for ax in axes] == [1, 1, 1, 0]
    assert axes[0].images[0].get_array().shape == (28, 28)
    plt.close("all")
    du.set_figsize()


@pytest.mark.bad_input
@pytest.mark.parametrize("resize", [0, -3, 224.0, "224", True, (224,), (224, 0), (224, 224, 1)])
@pytest.mark.parametrize("loader", ["fast", "dataloader"])
def test_bad_resize(resize, loader):
    """Rejected at once, not at the first batch (fast path) or silently ignored (resize=0 on the DataLoader path)."""
    with pytest.raises(ValueError, match="resize must be a positive integer or a \\(height, width\\) pair"):
        load(8, resize=resize, loader=loader, max_train_examples=8, max_test_examples=8)


def test_resize_as_a_list():
    train_iter, _ = load(8, resize=[32, 24], max_train_examples=8, max_test_examples=8)
    assert train_iter.resize == (32, 24) and next(iter(train_iter))[0].shape == (8, 1, 32, 24)


@pytest.mark.bad_input
@pytest.mark.parametrize("smoke", ["0", "1"])
@pytest.mark.parametrize("size", [0, -5, 100.0])
def test_bad_subset_sizes_even_in_smoke_mode(monkeypatch, smoke, size):
    monkeypatch.setenv("D2L_SMOKE", smoke)
    with pytest.raises(ValueError, match="max_test_examples must be a positive integer"):
        load(8, max_test_examples=size)
