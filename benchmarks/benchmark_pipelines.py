"""Benchmark: the book's training pipeline against the course's, same nets, same data, several seeds.

One command runs the whole comparison and prints it as Markdown, ready to paste into ``benchmarks/RESULTS.md``::

    .venv/bin/python benchmarks/benchmark_pipelines.py                 # GPU: LeNet and AlexNet; CPU: LeNet
    .venv/bin/python benchmarks/benchmark_pipelines.py --device cuda   # the same, on the GPU, full data set

For each model and each seed (``--seeds``, default 0 1 2) it trains, one after the other in one process:

* **book**: ``d2l.load_data_fashion_mnist`` + ``d2l.train_ch6`` from the ``d2l`` package (1.0.3), unchanged:
  a torchvision DataLoader turning PIL images into tensors in 4 worker processes, float32;
* **ours**: ``du.load_data_fashion_mnist`` + ``du.train_ch6`` with their defaults.

Both start from the same net definition (``du.lenet()`` / ``du.alexnet()``), the same seed and the book's
settings (``du.TRAINING_PLANS[model]["book"]``: LeNet batch 256, lr 0.9; AlexNet batch 128, lr 0.01, images
resized to 224). The table gives, per pipeline, the wall-clock seconds per epoch (the whole ``train_ch6`` call,
test evaluation included, divided by the epochs) and the test accuracy after the last epoch, as mean ± sample
standard deviation over the seeds; the speed-up (book's mean over ours); and whether ours' accuracy lies within
the seed-to-seed noise (``benchmarks/report.py`` defines it).

``--cuda-graph on`` trains ours with ``du.Speed(cuda_graph=True)`` (the training step captured once and replayed as
a CUDA graph; on a CPU the eager step); ``both`` runs ours eager and graphed after each book run, and prints how
many times faster the graphed epoch is.

Then, for LeNet, a lower bound: the same training steps over the same data with nothing around them
(``benchmarks/lower_bound.py``): a tight loop over batches already on the device and, on CUDA, the step captured
as a CUDA graph. "ours / lower bound" is how many times longer our epoch's training part takes.

Data: the course's synthetic stand-in for Fashion-MNIST (60,000 + 10,000 images, always the same), written as
IDX files into a temporary folder, so nothing is downloaded and its accuracies are not Fashion-MNIST's;
``--data-dir`` points both pipelines at a folder holding the real files instead. The book's loader reads
``../data`` relative to the working directory, so the book runs from ``<tmp>/work`` next to ``<tmp>/data``.

``--data mnist`` compares on real MNIST (``<data dir>/MNIST/raw``; default the course's data folder, downloaded
there if missing and possible, checked by ``du.data.MNIST.ensure`` before any training). The book has no MNIST loader,
so its side is built from the book's pipeline components exactly as ``d2l.load_data_fashion_mnist`` builds its
own: ``torchvision.datasets.MNIST`` + ``ToTensor`` + ``DataLoader`` with ``d2l.get_dataloader_workers()``
workers, then ``d2l.train_ch6``; ours is ``du.load_data_mnist`` + ``du.train_ch6``.

Defaults: LeNet 5 epochs (sigmoid LeNet at lr 0.9 sits at chance for about its first two epochs on the stand-in,
so 5 is the fewest at which accuracies are comparable), AlexNet 3. On a CPU, AlexNet is left out unless named
(``--models lenet alexnet``) and then uses 640 training images, the fewest the book's ``train_ch6`` accepts (it
divides by zero below 5 batches per epoch); the output flags every subset. On a 2-core CPU the default run
(LeNet, full data, 3 seeds) takes about 4 minutes on an idle machine.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import os
import platform
import re
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import matplotlib

matplotlib.use("agg")  # before d2l imports pyplot: no windows, no inline rendering
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torch.utils import data  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make d2l_utils and the benchmarks folder importable
    sys.path.insert(0, str(ROOT))

import d2l_utils as du  # noqa: E402
from benchmarks import lower_bound, report  # noqa: E402
from d2l_utils import config  # noqa: E402
from d2l_utils.devices import cpu_model_name, synchronize  # noqa: E402
from d2l_utils.synthetic import write_synthetic_fashion_mnist  # noqa: E402

NETS = {"lenet": du.lenet, "alexnet": du.alexnet}
DISPLAY_NAMES = {"lenet": "LeNet", "alexnet": "AlexNet"}
DEFAULT_EPOCHS = {"lenet": 5, "alexnet": 3}
AUTOCAST = {"auto": None, "off": False, "bf16": torch.bfloat16, "fp16": torch.float16}
FULL_SIZES = (60_000, 10_000)
_BOOK_SUMMARY = re.compile(r"loss [\d.naif]+, train acc ([\d.]+), test acc ([\d.]+)")


@dataclass(frozen=True)
class Task:
    """One model's comparison: the book's settings, the epochs and how much of the data."""

    model: str
    epochs: int
    num_train: int | None  # None: the whole split
    num_test: int | None
    device: torch.device
    data: str = "fashion-mnist"

    @property
    def plan(self) -> du.plans.TrainingPlan:
        return du.TRAINING_PLANS[self.model]["book"]

    def label(self) -> str:
        """E.g. ``"LeNet, 60,000 + 10,000 images"``; a subset says so."""
        train, test = self.num_train or FULL_SIZES[0], self.num_test or FULL_SIZES[1]
        subset = " (**subset**)" if self.num_train or self.num_test else ""
        data_name = " on MNIST" if self.data == "mnist" else ""
        return f"{DISPLAY_NAMES[self.model]}{data_name}, {train:,} + {test:,} images{subset}"


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    value = int(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"a seed must be from 0 to 2**32 - 1, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--models",
        nargs="+",
        choices=sorted(NETS),
        default=None,
        help="default: lenet and alexnet on a GPU, lenet on a CPU",
    )
    p.add_argument(
        "--seeds", nargs="+", type=_seed, default=[0, 1, 2], help="one run per seed and pipeline (default: 0 1 2)"
    )
    p.add_argument("--epochs", type=_positive, default=None, help="default: 5 for LeNet, 3 for AlexNet")
    p.add_argument(
        "--subset", type=_positive, default=None, help="training examples (default: all 60,000; AlexNet on a CPU: 640)"
    )
    p.add_argument("--test-subset", type=_positive, default=None, help="test examples (default: min(subset, 10000))")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1, ... (default: du.try_gpu())")
    p.add_argument(
        "--data",
        choices=("fashion-mnist", "mnist"),
        default="fashion-mnist",
        help="fashion-mnist (the stand-in unless --data-dir holds the real files) or real mnist",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="a folder holding the real data (FashionMNIST/raw or MNIST/raw); for mnist default: du.config.data_dir()",
    )
    p.add_argument(
        "--bound-epochs",
        type=int,
        default=3,
        help="timed epochs of LeNet's lower bound, after one untimed (0: skip it)",
    )
    p.add_argument(
        "--autocast",
        choices=sorted(AUTOCAST),
        default="auto",
        help="ours: mixed precision (auto: du.choose_speed's pick for the device)",
    )
    p.add_argument(
        "--channels-last",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="ours: channels-last memory layout (default: du.choose_speed's pick)",
    )
    p.add_argument("--compile", action="store_true", help="ours: torch.compile the net")
    p.add_argument(
        "--cuda-graph",
        choices=("off", "on", "both"),
        default="off",
        help="ours: replay the training step as a CUDA graph (both: ours eager and graphed, and their ratio)",
    )
    p.add_argument("--verbose", action="store_true", help="show both train_ch6 calls' own output")
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse and check the arguments; every error names the option and is raised before any training."""
    p = _parser()
    args = p.parse_args(argv)
    try:
        args.device = du.devices.resolve_device(args.device)
    except (RuntimeError, ValueError) as err:
        p.error(f"--device: {err}")
    if len(set(args.seeds)) != len(args.seeds):
        p.error(f"--seeds must differ from each other, got {args.seeds}: a repeated seed repeats the same run")
    for option, size, full in (
        ("--subset", args.subset, FULL_SIZES[0]),
        ("--test-subset", args.test_subset, FULL_SIZES[1]),
    ):
        if size is not None and size > full:
            p.error(f"{option} can be at most {full:,} (the split's size), got {size:,}")
    if args.bound_epochs < 0:
        p.error(f"--bound-epochs must be 0 (skip) or more, got {args.bound_epochs}")
    _check_data(p, args)
    if args.models is None:
        args.models = ["lenet"] if args.device.type == "cpu" else ["lenet", "alexnet"]
    args.models = list(dict.fromkeys(args.models))  # each model once, in the order given
    args.speed = du.choose_speed(
        args.device, autocast=AUTOCAST[args.autocast], channels_last=args.channels_last, compile=args.compile
    )
    graphed = args.speed.replace(cuda_graph=True)
    args.speeds = {"off": [args.speed], "on": [graphed], "both": [args.speed, graphed]}[args.cuda_graph]
    for model in args.models:
        _check_subset(p, args.subset or FULL_SIZES[0], du.TRAINING_PLANS[model]["book"].batch_size)
    return args


def _check_data(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """The real data set must be there (for MNIST: verified, downloading it if it can) before any training."""
    if args.data == "mnist":
        args.data_dir = (args.data_dir or du.config.data_dir()).resolve()
        try:
            du.data.MNIST.ensure(args.data_dir)
        except du.DataUnavailableError as err:
            p.error(f"--data mnist: {err}")
    elif args.data_dir is not None and not (args.data_dir / "FashionMNIST" / "raw").is_dir():
        p.error(f"--data-dir {args.data_dir} has no FashionMNIST/raw folder holding the Fashion-MNIST files")


def _check_subset(p: argparse.ArgumentParser, num_train: int, batch_size: int) -> None:
    if num_train < 5 * batch_size:
        # d2l's train_ch6 computes (i + 1) % (num_batches // 5): fewer than 5 batches divide by zero.
        p.error(
            f"--subset must be at least {5 * batch_size} (5 batches of {batch_size}): the book's train_ch6 "
            f"divides by zero with fewer than 5 batches per epoch"
        )


def make_task(args: argparse.Namespace, model: str) -> Task:
    """The comparison to run for ``model``: the given sizes, or the defaults for this device."""
    num_train = args.subset
    if num_train is None and model == "alexnet" and args.device.type == "cpu":
        num_train = 5 * du.TRAINING_PLANS[model]["book"].batch_size  # 640: about 30 s an epoch on 2 cores
    num_test = args.test_subset or (min(num_train, FULL_SIZES[1]) if num_train else None)
    return Task(model, args.epochs or DEFAULT_EPOCHS[model], num_train, num_test, args.device, args.data)


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


def book_mnist_loaders(batch_size: int, resize=None) -> tuple[data.DataLoader, data.DataLoader]:
    """MNIST from ``../data`` through the book's pipeline: d2l's ``load_data_fashion_mnist`` with MNIST's dataset."""
    import torchvision
    from d2l import torch as d2l
    from torchvision import transforms

    trans = [transforms.ToTensor()]
    if resize:
        trans.insert(0, transforms.Resize(resize))
    trans = transforms.Compose(trans)
    # download=False: du.data.MNIST.ensure has put the checked, extracted files there (torchvision reads them).
    mnist_train = torchvision.datasets.MNIST(root="../data", train=True, transform=trans, download=False)
    mnist_test = torchvision.datasets.MNIST(root="../data", train=False, transform=trans, download=False)
    return (
        data.DataLoader(mnist_train, batch_size, shuffle=True, num_workers=d2l.get_dataloader_workers()),
        data.DataLoader(mnist_test, batch_size, shuffle=False, num_workers=d2l.get_dataloader_workers()),
    )


def book_loaders(task: Task) -> tuple[data.DataLoader, data.DataLoader]:
    """d2l's loaders from ``../data``; a subset is served by loaders built exactly as d2l builds its own."""
    from d2l import torch as d2l

    load = book_mnist_loaders if task.data == "mnist" else d2l.load_data_fashion_mnist
    train_iter, test_iter = load(task.plan.batch_size, resize=task.plan.resize)
    if task.num_train is None and task.num_test is None:
        return train_iter, test_iter
    workers = d2l.get_dataloader_workers()
    train_set = data.Subset(train_iter.dataset, range(task.num_train or FULL_SIZES[0]))
    test_set = data.Subset(test_iter.dataset, range(task.num_test or FULL_SIZES[1]))
    return (
        data.DataLoader(train_set, task.plan.batch_size, shuffle=True, num_workers=workers),
        data.DataLoader(test_set, task.plan.batch_size, shuffle=False, num_workers=workers),
    )


def run_book(task: Task, loaders, seed: int, verbose: bool) -> report.Run:
    """The book's pipeline, unchanged: d2l's train_ch6 on d2l's loaders; accuracies parsed from its output."""
    from d2l import torch as d2l

    du.seed_everything(seed)  # the net's initial weights and the DataLoader's shuffling
    net = NETS[task.model]()
    with _captured(verbose) as out:
        start = time.perf_counter()
        d2l.train_ch6(net, *loaders, task.epochs, task.plan.lr, task.device)
        synchronize(task.device)
        seconds = time.perf_counter() - start
    plt.close("all")
    found = _BOOK_SUMMARY.findall(out.getvalue())
    train_acc, test_acc = (float(found[-1][0]), float(found[-1][1])) if found else (float("nan"), float("nan"))
    return report.Run("book", seed, seconds / task.epochs, train_acc, test_acc)


def our_loaders(task: Task, data_dir: Path, seed: int, real: bool):
    """du's loaders (in-memory fast path), the seed deciding the shuffling, like the course's notebooks."""
    load = du.load_data_mnist if task.data == "mnist" else du.load_data_fashion_mnist
    return load(
        task.plan.batch_size,
        task.plan.resize,
        synthetic=not real,
        data_dir=data_dir,
        seed=seed,
        max_train_examples=task.num_train,
        max_test_examples=task.num_test,
    )


def run_ours(task: Task, loaders, seed: int, args: argparse.Namespace, speed: du.Speed) -> report.Run:
    """The course's pipeline: du.train_ch6 with the chosen speed settings (its defaults unless overridden)."""
    du.seed_everything(seed)
    net = NETS[task.model]()
    with _captured(args.verbose):
        start = time.perf_counter()
        history = du.train_ch6(net, *loaders, task.epochs, task.plan.lr, task.device, speed=speed, progress=False)
        synchronize(task.device)
        seconds = time.perf_counter() - start
    plt.close("all")
    steady = history.seconds[1:] or history.seconds  # the first epoch pays for warm-up
    return report.Run(
        "ours", seed, seconds / task.epochs, history.train_acc[-1], history.test_acc[-1], sum(steady) / len(steady)
    )


def _print_run(task: Task, run: report.Run) -> None:
    print(
        f"{task.model:<8} seed {run.seed:<3} {run.pipeline:<5} s/epoch {run.seconds_per_epoch:7.2f}   "
        f"train acc {run.train_acc:.3f}   test acc {run.test_acc:.3f}",
        flush=True,
    )


def compare(task: Task, folders: dict[str, Path], args: argparse.Namespace) -> list[report.Comparison]:
    """Both pipelines for every seed, alternating, so that a change of machine load hits both alike.

    One comparison per speed of ours (eager, and with ``--cuda-graph both`` graphed too), sharing the book's runs.
    """
    book_iters = book_loaders(task)
    book: list[report.Run] = []
    ours: list[list[report.Run]] = [[] for _ in args.speeds]
    for seed in args.seeds:
        book.append(run_book(task, book_iters, seed, args.verbose))
        _print_run(task, book[-1])
        for runs, speed in zip(ours, args.speeds, strict=True):
            with _captured(args.verbose):  # the loader's notice about the stand-in, once per seed
                ours_iters = our_loaders(task, folders["ours"], seed, real=args.data_dir is not None)
            runs.append(run_ours(task, ours_iters, seed, args, speed))
            _print_run(task, runs[-1])
    graph = " (ours: CUDA graph)" if len(args.speeds) > 1 else ""
    return [report.Comparison(task.label() + (graph if speed.cuda_graph else ""), task.epochs, tuple(book),
                              tuple(runs)) for runs, speed in zip(ours, args.speeds, strict=True)]  # fmt: skip


def graph_ratios(comparisons: list[report.Comparison]) -> list[str]:
    """For each model run eager and graphed: how many times faster the graphed epoch is."""
    eager = {c.label: c for c in comparisons}
    lines = []
    for c in comparisons:
        base = eager.get(c.label.removesuffix(" (ours: CUDA graph)"))
        if base is not c and base is not None:
            ratio = report.speed_up([r.seconds_per_epoch for r in base.ours], [r.seconds_per_epoch for r in c.ours])
            lines.append(f"{base.label}: ours with a CUDA graph is {ratio:.2f}x as fast per epoch as ours eager.")
    return lines


def measure_bound(task: Task, comparison: report.Comparison, folders: dict[str, Path], args) -> report.Bound:
    """LeNet's lower bound over the same training data, against ours' steady training seconds per epoch."""
    settings = lower_bound.StepSettings(task.plan.batch_size, task.plan.lr, args.speed.replace(compile=False))
    with _captured(args.verbose):
        train_iter, _ = our_loaders(task, folders["ours"], args.seeds[0], real=args.data_dir is not None)
    placed = lower_bound.pre_place(train_iter, task.device, settings.speed)
    methods = {"tight loop": False}
    if lower_bound.can_capture(task.device, settings.speed):
        methods["CUDA graph"] = True
    bounds = {}
    for name, graph in methods.items():
        du.seed_everything(args.seeds[0])
        net = NETS[task.model]()
        du.init_cnn_weights(net)
        seconds = lower_bound.epoch_seconds(net, placed, settings, args.bound_epochs, graph=graph)
        bounds[name] = sum(seconds) / len(seconds)
        print(f"{task.model:<8} lower bound ({name}): s/epoch {bounds[name]:.3f}", flush=True)
    return report.Bound(task.label(), [r.steady_train_seconds for r in comparison.ours], bounds)


def machine(device: torch.device) -> str:
    """The device in words: the GPU's name, or the CPU's model name, with core and thread counts."""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)}, {os.cpu_count()} CPU cores"
    cpu = cpu_model_name() or platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} CPU cores, {torch.get_num_threads()} torch threads"


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages: on a shared machine timings mean little without them."""
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _versions() -> str:
    try:
        d2l_version = metadata.version("d2l")
    except metadata.PackageNotFoundError:
        d2l_version = "not installed"
    return f"torch {torch.__version__}, d2l {d2l_version}, Python {platform.python_version()}"


def _prepare_data(tmp: Path, data_dir: Path | None) -> dict[str, Path]:
    """Folders for both pipelines: the book reads ``<tmp>/data`` as ``../data``; ours has its own data folder."""
    folders = {"book": tmp / "data", "work": tmp / "work", "ours": tmp / "ours"}
    folders["work"].mkdir()
    if data_dir is None:
        write_synthetic_fashion_mnist(folders["book"])  # the same stand-in ours writes for itself
    else:
        folders["book"].symlink_to(data_dir.resolve(), target_is_directory=True)
        folders["ours"] = data_dir
    return folders


def run_all(args: argparse.Namespace, tmp: Path) -> tuple[list[report.Comparison], list[report.Bound]]:
    """Every model's comparison, then LeNet's lower bound, from the book's working directory."""
    folders = _prepare_data(tmp, args.data_dir)
    comparisons, bounds = [], []
    old_cwd = Path.cwd()
    os.chdir(folders["work"])
    try:
        for model in args.models:
            task = make_task(args, model)
            comparisons += (mine := compare(task, folders, args))
            if model == "lenet" and args.bound_epochs:
                bounds.append(measure_bound(task, mine[0], folders, args))
    finally:
        os.chdir(old_cwd)
    return comparisons, bounds


def markdown(args, comparisons, bounds, context: dict[str, str]) -> str:
    """The whole result as Markdown: where and when, the parity table, the lower-bound table."""
    data_name = "real Fashion-MNIST" if args.data_dir else "the synthetic stand-in (accuracies are not Fashion-MNIST's)"
    if args.data == "mnist":
        data_name = "real MNIST (verified by `du.data.MNIST.ensure`)"
    ours = " and ".join(f"`du.train_ch6(..., speed={speed})`" for speed in args.speeds)
    lines = [
        f"Measured {context['date']} on {machine(args.device)}; {_versions()}; device `{args.device}`.",
        f"Load average (1, 5, 15 min) before: {context['load_before']}; after: {load_average()}.",
        f"Data: {data_name}. Ours: {ours}. Seeds: {' '.join(map(str, args.seeds))}.",
        "",
        report.parity_table(comparisons),
    ]
    if len(args.speeds) > 1:
        lines += ["", *graph_ratios(comparisons)]
    if bounds:
        lines += ["", report.bound_table(bounds)]
    command = " ".join([".venv/bin/python benchmarks/benchmark_pipelines.py", *context["argv"]])
    lines += ["", f"Command: `{command}`"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> tuple[list[report.Comparison], list[report.Bound]]:
    args = parse_args(argv)
    # Mode switches would shrink our run (smoke mode caps epochs) but not the book's: the comparison needs neither.
    for var in (config.SMOKE_ENV, config.SYNTHETIC_ENV):
        os.environ.pop(var, None)
    # Known and expected: the book asks for 4 workers on small machines; a 1-epoch plot has xlim (1, 1).
    warnings.filterwarnings("ignore", message="This DataLoader will create")
    warnings.filterwarnings("ignore", message="Attempting to set identical low and high xlims")
    context = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_before": load_average(),
        "argv": sys.argv[1:] if argv is None else argv,
    }
    print(f"{', '.join(args.models)} on {args.device} ({machine(args.device)}); seeds {args.seeds}", flush=True)
    with tempfile.TemporaryDirectory(prefix="d2l-bench-") as tmp:
        comparisons, bounds = run_all(args, Path(tmp))
    print("\n" + markdown(args, comparisons, bounds, context))
    return comparisons, bounds


if __name__ == "__main__":
    main()
