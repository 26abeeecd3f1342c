"""The pipeline benchmark on real MNIST: its data check, and the book's side built as the book builds its loaders."""

from __future__ import annotations

import warnings

import pytest
import torch
import torchvision
from test_download import OFFLINE

import d2l_utils as du
from benchmarks import benchmark_pipelines as bench


@pytest.mark.bad_input
def test_missing_mnist_stops_the_benchmark_before_any_training(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [OFFLINE])
    with pytest.raises(SystemExit):
        bench.parse_args(["--data", "mnist", "--data-dir", str(tmp_path), "--device", "cpu"])
    err = capsys.readouterr().err
    assert f"--data mnist: MNIST is not available in {tmp_path.resolve() / 'MNIST' / 'raw'}" in err


@pytest.mark.real_data
def test_book_side_reads_mnist_as_the_book_reads_fashion_mnist(real_mnist_dir, monkeypatch, tmp_path):
    from d2l import torch as d2l

    (tmp_path / "work").mkdir()
    (tmp_path / "data").symlink_to(real_mnist_dir, target_is_directory=True)
    monkeypatch.chdir(tmp_path / "work")  # the book reads ../data
    with warnings.catch_warnings():
        # The book's loaders ask for 4 worker processes whatever the machine (one of its faults the README lists);
        # PyTorch says so on a 2-core machine. That is the book's pipeline as it is, which this test reproduces.
        warnings.filterwarnings("ignore", message=r"This DataLoader will create 4 worker processes")
        train_iter, test_iter = bench.book_mnist_loaders(256)
    assert isinstance(train_iter.dataset, torchvision.datasets.MNIST) and len(train_iter.dataset) == 60_000
    assert train_iter.num_workers == d2l.get_dataloader_workers() and len(test_iter.dataset) == 10_000
    # The same data set and transform read without the book's 4 workers, which a 2-core machine warns about.
    X, y = next(iter(torch.utils.data.DataLoader(test_iter.dataset, batch_size=256)))
    _, ours = du.load_data_mnist(256, data_dir=real_mnist_dir, device="cpu")
    X_ours, y_ours = next(iter(ours))
    assert torch.equal(y, y_ours)
    torch.testing.assert_close(X, X_ours)
