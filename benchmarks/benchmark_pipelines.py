"""Benchmark: the book's training pipeline against the course's fast one, same net, same data, same epochs.

Runs, in one process and on one data set, two pipelines one after the other:

* **book**: ``d2l.load_data_fashion_mnist`` + ``d2l.train_ch6`` from the ``d2l`` package (torchvision
  DataLoader with ``ToTensor``/``Resize`` transforms on PIL images in 4 worker processes, fp32);
* **ours**: ``d2l_utils.load_data_fashion_mnist`` (the in-memory fast path by default) + ``d2l_utils.train_ch6``
  (device-side metrics; channels-last memory format on CUDA and the CPU, bf16 autocast on CUDA, by default).

The data set is the course's synthetic stand-in for Fashion-MNIST (60,000 + 10,000 images, always the same),
written as real IDX files into a temporary directory; nothing is downloaded. The book's loader hard-codes
``root="../data"``, so the script works from ``<tmp>/work`` with the files in ``<tmp>/data/FashionMNIST/raw``.
Both nets come from the same definition (``d2l_utils.lenet()`` / ``alexnet()``) and the same seed, and are
trained with the book's settings (LeNet: batch 256, lr 0.9; AlexNet: batch 128, lr 0.01, resize 224).

For each pipeline it prints the wall-clock seconds per epoch (the whole ``train_ch6`` call, test evaluation
and plotting included, divided by the number of epochs), training examples per second over that wall-clock
time, the final train and test accuracy, and the ratio of the two per-epoch times. The time to build the data
loaders (once per run) is printed separately as "setup", and "CPU s/epoch" is the CPU time of the process and
its DataLoader workers: on a busy machine wall-clock figures vary a lot, CPU time much less.

Sigmoid LeNet with lr 0.9 stays at chance (accuracy about 0.1) for its first two epochs or so and then learns
the synthetic set almost perfectly, so the default of 5 epochs is the fewest at which comparing accuracies
says something; on an idle 2-core machine the default run takes about a minute and a half.

Usage (from the repository root)::

    .venv/bin/python benchmarks/benchmark_pipelines.py                    # LeNet, 5 epochs, full data set
    .venv/bin/python benchmarks/benchmark_pipelines.py --epochs 10        # the book's 10 epochs
    .venv/bin/python benchmarks/benchmark_pipelines.py --model alexnet    # GPU: full set; CPU: 640 examples
    .venv/bin/python benchmarks/benchmark_pipelines.py --epochs 1 --subset 1280  # a quick check

``--subset N`` keeps the first N training examples (and ``--test-subset``, default ``min(N, 10000)``, test
examples) in both pipelines; for the book's pipeline the DataLoaders are rebuilt as the book builds them
(same batch size, shuffling, transforms and worker count) over a ``Subset`` of its data set.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import re
import resource
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("agg")  # before d2l imports pyplot: no windows, no inline rendering
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torch.utils import data  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import d2l_utils as du  # noqa: E402
from d2l_utils.synthetic import write_synthetic_fashion_mnist  # noqa: E402

# The book's settings (COURSE_FACTS.md): batch size, learning rate, resize.
BOOK_SETTINGS = {"lenet": (256, 0.9, None), "alexnet": (128, 0.01, 224)}
NETS = {"lenet": du.lenet, "alexnet": du.alexnet}
_BOOK_SUMMARY = re.compile(r"loss ([\d.naif]+), train acc ([\d.]+), test acc ([\d.]+)")


@dataclass
class Result:
    name: str
    setup_s: float
    train_s: float
    cpu_s: float
    epochs: int
    num_train: int
    train_acc: float
    test_acc: float

    @property
    def s_per_epoch(self) -> float:
        return self.train_s / self.epochs

    @property
    def cpu_s_per_epoch(self) -> float:
        return self.cpu_s / self.epochs

    @property
    def examples_per_s(self) -> float:
        return self.num_train * self.epochs / self.train_s


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=sorted(NETS), default="lenet")
    p.add_argument("--epochs", type=int, default=None, help="default: 5 for LeNet, 1 for AlexNet")
    p.add_argument(
        "--subset", type=int, default=None, help="training examples to use (default: all 60,000; AlexNet on a CPU: 640)"
    )
    p.add_argument("--test-subset", type=int, default=None, help="test examples (default: min(subset, 10000))")
    p.add_argument("--device", default=None, help="e.g. cpu, cuda:0 (default: d2l_utils.try_gpu())")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="reuse a folder holding FashionMNIST/raw (e.g. the synthetic set written before) instead "
        "of writing the synthetic set into the temporary directory",
    )
    p.add_argument("--repeats", type=int, default=1, help="run both pipelines this many times, alternating")
    p.add_argument("--only", choices=("book", "ours"), default=None, help="run one pipeline only")
    p.add_argument(
        "--ours-loader",
        choices=("fast", "dataloader"),
        default="fast",
        help="data path for our pipeline (dataloader: isolate the training loop's share)",
    )
    p.add_argument("--amp", action=argparse.BooleanOptionalAction, default=None, help="ours: bf16 autocast")
    p.add_argument(
        "--channels-last", action=argparse.BooleanOptionalAction, default=None, help="ours: channels-last memory format"
    )
    p.add_argument("--compile", action="store_true", help="ours: torch.compile the net")
    p.add_argument("--verbose", action="store_true", help="show both train_ch6 calls' own output")
    args = p.parse_args(argv)  # fmt: skip
    args.device = du.resolve_device(args.device)
    if args.epochs is None:
        args.epochs = 5 if args.model == "lenet" else 1
    batch_size = BOOK_SETTINGS[args.model][0]
    if args.subset is None and args.model == "alexnet" and args.device.type == "cpu":
        args.subset = 5 * batch_size
    if args.test_subset is None and args.subset is not None:
        args.test_subset = min(args.subset, 10_000)
    for name in ("epochs", "subset", "test_subset", "repeats"):
        value = getattr(args, name)
        if value is not None and value < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.subset is not None and args.subset < 5 * batch_size and args.only != "ours":
        # d2l's train_ch6 computes (i + 1) % (num_batches // 5): fewer than 5 batches divide by zero.
        p.error(
            f"--subset must be at least {5 * batch_size} (5 batches of {batch_size}): the book's train_ch6 "
            f"divides by zero with fewer than 5 batches per epoch"
        )
    return args


@contextlib.contextmanager
def _captured(verbose: bool):
    """Collect what a block prints (d2l's Animator prints figure reprs outside Jupyter); echo it if verbose."""
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            yield buffer
    finally:
        if verbose:
            print(buffer.getvalue(), end="")


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the DataLoader workers, joined after each epoch)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_book(args, batch_size: int, lr: float, resize: int | None) -> Result:
    """The book's pipeline: d2l's loader (4 workers, PIL transforms) and d2l's train_ch6, unchanged."""
    from d2l import torch as d2l

    t0 = time.perf_counter()
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size, resize=resize)
    if args.subset is not None:  # the same loaders over the first examples, built exactly as d2l builds them
        workers = d2l.get_dataloader_workers()
        train_iter = data.DataLoader(
            data.Subset(train_iter.dataset, range(args.subset)), batch_size, shuffle=True, num_workers=workers
        )
        test_iter = data.DataLoader(data.Subset(test_iter.dataset, range(args.test_subset)), batch_size,
                                    shuffle=False, num_workers=workers)  # fmt: skip
    setup = time.perf_counter() - t0
    du.seed_everything(args.seed)
    net = NETS[args.model]()
    with _captured(args.verbose) as out:
        t0, c0 = time.perf_counter(), _cpu_seconds()
        d2l.train_ch6(net, train_iter, test_iter, args.epochs, lr, args.device)
        _sync(args.device)
        seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    found = _BOOK_SUMMARY.findall(out.getvalue())
    train_acc, test_acc = (float(found[-1][1]), float(found[-1][2])) if found else (float("nan"), float("nan"))
    return Result("book (d2l)", setup, seconds, cpu, args.epochs, len(train_iter.dataset), train_acc, test_acc)


def run_ours(args, batch_size: int, lr: float, resize: int | None, data_root: Path) -> Result:
    """The course's pipeline: d2l_utils' loader (fast path by default) and d2l_utils' train_ch6."""
    t0 = time.perf_counter()
    train_iter, test_iter = du.load_data_fashion_mnist(
        batch_size, resize, synthetic=False, data_dir=data_root, loader=args.ours_loader, seed=args.seed,
        max_train_examples=args.subset, max_test_examples=args.test_subset,
    )  # fmt: skip
    setup = time.perf_counter() - t0
    du.seed_everything(args.seed)
    net = NETS[args.model]()
    with _captured(args.verbose):
        t0, c0 = time.perf_counter(), _cpu_seconds()
        history = du.train_ch6(net, train_iter, test_iter, args.epochs, lr, args.device, amp=args.amp,
                               channels_last=args.channels_last, compile=args.compile, progress=False)  # fmt: skip
        _sync(args.device)
        seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    if history.figure is not None:
        plt.close(history.figure)
    name = "ours (d2l_utils)" if args.ours_loader == "fast" else "ours, dataloader"
    last = -1  # the final epoch's figures
    return Result(name, setup, seconds, cpu, args.epochs, history.examples[last], history.train_acc[last],
                  history.test_acc[last])  # fmt: skip


def _machine(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)}, {os.cpu_count()} CPU cores"
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):  # Linux: the CPU's model name
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    return f"{cpu}, {os.cpu_count()} CPU cores, {torch.get_num_threads()} threads"


def main(argv: list[str] | None = None) -> list[Result]:
    args = _parse_args(argv)
    # Mode switches would shrink our run (smoke mode caps epochs) but not the book's: the comparison needs neither.
    for var in (du.SMOKE_ENV, du.SYNTHETIC_ENV):
        os.environ.pop(var, None)
    batch_size, lr, resize = BOOK_SETTINGS[args.model]
    # Known and expected: the book asks for 4 workers on a 2-core machine; a 1-epoch plot has xlim (1, 1).
    warnings.filterwarnings("ignore", message="This DataLoader will create")
    warnings.filterwarnings("ignore", message="Attempting to set identical low and high xlims")
    with tempfile.TemporaryDirectory(prefix="d2l-bench-") as tmp:
        data_root, work = Path(tmp) / "data", Path(tmp) / "work"
        if args.data_dir is None:
            write_synthetic_fashion_mnist(data_root)  # <tmp>/data/FashionMNIST/raw: where the book's "../data" is
        else:
            data_root.symlink_to(args.data_dir.resolve(), target_is_directory=True)
        work.mkdir()
        old_cwd = Path.cwd()
        os.chdir(work)
        try:
            num_train = args.subset or 60_000
            print(
                f"{args.model}: {args.epochs} epoch(s), {num_train} training / {args.test_subset or 10_000} test "
                f"examples (synthetic stand-in), batch {batch_size}, lr {lr}, resize {resize}, seed {args.seed}"
            )
            print(f"device: {args.device} ({_machine(args.device)}); torch {torch.__version__}; the book's loader "
                  f"uses 4 DataLoader workers; load average {_load()}")  # fmt: skip
            results: list[Result] = []
            for repeat in range(args.repeats):
                if args.only in (None, "book"):
                    results.append(run_book(args, batch_size, lr, resize))
                    _report(results[-1], repeat)
                if args.only in (None, "ours"):
                    results.append(run_ours(args, batch_size, lr, resize, data_root))
                    _report(results[-1], repeat)
        finally:
            os.chdir(old_cwd)
    books = [r for r in results if r.name.startswith("book")]
    ours = [r for r in results if r.name.startswith("ours")]
    if books and ours:
        for k, (b, o) in enumerate(zip(books, ours, strict=True)):
            label = f" (run {k + 1})" if args.repeats > 1 else ""
            print(f"speed-up{label}: {b.s_per_epoch / o.s_per_epoch:.2f}x per epoch "
                  f"(book {b.s_per_epoch:.2f} s / ours {o.s_per_epoch:.2f} s); "
                  f"test acc book {b.test_acc:.3f}, ours {o.test_acc:.3f}")  # fmt: skip
    return results


def _load() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _report(r: Result, repeat: int) -> None:
    print(f"{r.name:<18} s/epoch {r.s_per_epoch:7.2f}   examples/s {r.examples_per_s:9,.0f}   "
          f"train acc {r.train_acc:.3f}   test acc {r.test_acc:.3f}   CPU s/epoch {r.cpu_s_per_epoch:6.2f}   "
          f"setup {r.setup_s:5.2f} s"
          + (f"   [run {repeat + 1}]" if repeat else ""), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
