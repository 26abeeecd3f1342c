"""Training plans: the book's settings for each network, and a smaller plan a CPU can finish.

A chapter picks its plan with :func:`choose_plan` (the book's on a GPU, the CPU plan otherwise) and passes the
plan's fields to ``load_data_fashion_mnist`` and ``train_ch6``. Keeping every chapter's settings here gives one
place to read them, and lets tests check what a plan costs (memory, time) without opening a notebook.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import torch

from .devices import resolve_device

FASHION_MNIST_TRAIN_SIZE = 60_000
# What each CPU plan reached on real MNIST: package data, written by benchmarks/real_mnist_plans.py.
REAL_MNIST_RECORD = Path(__file__).with_name("real_mnist_plans.json")


@dataclass(frozen=True)
class TrainingPlan:
    """What one training run uses: epochs, batch, learning rate, image size and how much of the data."""

    name: str
    num_epochs: int
    batch_size: int
    lr: float
    resize: int | None = None
    max_train_examples: int | None = None
    max_test_examples: int | None = None

    @property
    def training_examples(self) -> int:
        """Training examples the whole run processes (all epochs)."""
        return (self.max_train_examples or FASHION_MNIST_TRAIN_SIZE) * self.num_epochs

    def minutes_at(self, examples_per_sec: float) -> float:
        """Minutes of training at a measured speed (evaluation not included)."""
        if examples_per_sec <= 0:
            raise ValueError(f"examples_per_sec must be positive, got {examples_per_sec}; measure it first")
        return self.training_examples / examples_per_sec / 60

    def data_kwargs(self) -> dict:
        """Keyword arguments for ``load_data_fashion_mnist`` (besides the batch size)."""
        return dict(
            resize=self.resize, max_train_examples=self.max_train_examples, max_test_examples=self.max_test_examples
        )


def _cpu_quick(book: TrainingPlan, **changes) -> TrainingPlan:
    return replace(book, name="cpu-quick", **changes)


# The book's settings: the ``train_ch6`` calls of d2l 0.17 (English) / d2l-zh 2.0 (Chinese), PyTorch tab.
_BOOK = {
    "lenet": TrainingPlan("book", num_epochs=10, batch_size=256, lr=0.9),
    "alexnet": TrainingPlan("book", num_epochs=10, batch_size=128, lr=0.01, resize=224),
    "vgg": TrainingPlan("book", num_epochs=10, batch_size=128, lr=0.05, resize=224),  # the narrowed VGG (ratio 4)
    "nin": TrainingPlan("book", num_epochs=10, batch_size=128, lr=0.1, resize=224),
    "googlenet": TrainingPlan("book", num_epochs=10, batch_size=128, lr=0.1, resize=96),
    "bn-lenet": TrainingPlan("book", num_epochs=10, batch_size=256, lr=1.0),
    "resnet18": TrainingPlan("book", num_epochs=10, batch_size=256, lr=0.05, resize=96),
    "densenet": TrainingPlan("book", num_epochs=10, batch_size=256, lr=0.1, resize=96),
}

# A CPU plan for the networks that need hours per epoch there: the first 10,000 training images, 2 epochs, the
# first 2,000 test images, the book's other settings. NiN's and GoogLeNet's plans (below) change more.
_SUBSET = dict(num_epochs=2, max_train_examples=10_000, max_test_examples=2_000)
_D2L_1_0_STEP = _SUBSET | dict(lr=0.01, batch_size=128)  # d2l 1.0's settings for ResNet-18 and DenseNet

TRAINING_PLANS: dict[str, dict[str, TrainingPlan]] = {
    "lenet": {"book": _BOOK["lenet"], "cpu-quick": _cpu_quick(_BOOK["lenet"])},
    # Batch 32, not the book's 128, keeps AlexNet's CPU run within Binder's 2 GB (tests/test_memory.py).
    "alexnet": {"book": _BOOK["alexnet"], "cpu-quick": _cpu_quick(_BOOK["alexnet"], **_SUBSET, batch_size=32)},
    "vgg": {"book": _BOOK["vgg"], "cpu-quick": _cpu_quick(_BOOK["vgg"], **_SUBSET)},
    # NiN starts on a plateau (logits near zero) and needs many steps at lr 0.1 to leave it: batches of 32 at 96x96.
    "nin": {
        "book": _BOOK["nin"],
        # On a GPU: the book's later lr 0.05 (d2l-en commit 99bf020a). At lr 0.1 (seed 1, real MNIST, one H200,
        # 2026-12-04) NiN reached test accuracy 0.675 in epoch 4, then fell to 0.10 for the last six epochs; at lr
        # 0.05 (same seed) it did not collapse (0.878 after 10 epochs).
        "gpu": replace(_BOOK["nin"], name="gpu", lr=0.05),
        "cpu-quick": _cpu_quick(_BOOK["nin"], num_epochs=2, max_test_examples=2_000, batch_size=32, resize=96),
    },
    # GoogLeNet starts on the same plateau; batches of 64 at 64x64 leave it and, unlike batches of 32, stay off it.
    "googlenet": {
        "book": _BOOK["googlenet"],
        # On a GPU: the book's later lr 0.01 (d2l-en PR #2126). At lr 0.1 (real MNIST, one H200, 2026-12-04) the
        # loss became NaN in epoch 3 (seed 0, bf16) and epoch 4 (seed 1, float32).
        "gpu": replace(_BOOK["googlenet"], name="gpu", lr=0.01),
        "cpu-quick": _cpu_quick(
            _BOOK["googlenet"], **_SUBSET | dict(max_train_examples=40_000, batch_size=64, resize=64)
        ),
    },
    # d2l 1.0's lr 0.1 and batch 128: at lr 1.0 batch norm's running statistics lag weights that move fast.
    "bn-lenet": {
        "book": _BOOK["bn-lenet"],
        "cpu-quick": _cpu_quick(_BOOK["bn-lenet"], num_epochs=3, lr=0.1, batch_size=128),
    },
    # d2l 1.0's lr 0.01 and batch 128, for the reason of BN-LeNet's.
    "resnet18": {"book": _BOOK["resnet18"], "cpu-quick": _cpu_quick(_BOOK["resnet18"], **_D2L_1_0_STEP)},
    "densenet": {"book": _BOOK["densenet"], "cpu-quick": _cpu_quick(_BOOK["densenet"], **_D2L_1_0_STEP)},
}
# Each CPU plan's measured cost, its run on real MNIST and why the plans that changed did: benchmarks/RESULTS.md
# ("Every chapter's CPU plan on real MNIST"); the runs themselves: real_mnist_plans.json.


def choose_plan(network: str, device: torch.device | str | None, name: str | None = None) -> TrainingPlan:
    """The plan for ``network``: ``name`` if given, else ``"cpu-quick"`` on a CPU and on a GPU ``"gpu"`` where the
    book's later edition changed the first edition's ``"book"`` settings (NiN, GoogLeNet), else ``"book"``.

    ``device`` is read as ``train_ch6`` reads it (:func:`~d2l_utils.devices.resolve_device`): any case
    (``"CPU"``), ``None`` for the best device here, and a device this machine lacks raises
    :class:`~d2l_utils.devices.DeviceNotAvailableError` naming the ones it has.
    """
    if network not in TRAINING_PLANS:
        raise KeyError(f"no training plan for {network!r}; known networks: {', '.join(sorted(TRAINING_PLANS))}")
    plans = TRAINING_PLANS[network]
    device = resolve_device(device)
    if name is None:
        name = "cpu-quick" if device.type == "cpu" else "gpu" if "gpu" in plans else "book"
    if name not in plans:
        raise KeyError(f"{network!r} has no plan {name!r}; choose one of: {', '.join(plans)}")
    return plans[name]


# The book's runs, with where they are stored and how they were read: see the file's header.
BOOK_RUNS_FILE = "book_runs.tsv"
BOOK_REPOSITORIES = {"en": "d2l-ai/d2l-pytorch-colab", "zh": "d2l-ai/d2l-zh-pytorch-colab"}
_BOOK_NOTEBOOKS = {
    "lenet": "chapter_convolutional-neural-networks/lenet.ipynb",
    "alexnet": "chapter_convolutional-modern/alexnet.ipynb",
    "vgg": "chapter_convolutional-modern/vgg.ipynb",
    "nin": "chapter_convolutional-modern/nin.ipynb",
    "googlenet": "chapter_convolutional-modern/googlenet.ipynb",
    "bn-lenet": "chapter_convolutional-modern/batch-norm.ipynb",
    "bn-lenet-concise": "chapter_convolutional-modern/batch-norm.ipynb",
    "resnet18": "chapter_convolutional-modern/resnet.ipynb",
    "densenet": "chapter_convolutional-modern/densenet.ipynb",
}


@dataclass(frozen=True)
class BookRun:
    """One executed run of the book: its final test accuracy, where it is stored, and its best epoch.

    ``network`` is a plan key; ``"bn-lenet"`` is the from-scratch batch-norm LeNet, ``"bn-lenet-concise"`` the one
    built from ``nn.BatchNorm2d``. ``edition`` is ``"en-<d2l version>"`` or ``"zh-<d2l-zh version>"``.
    ``variant`` is ``""`` for the network the course builds and ``"max-pooling"`` for the book's earlier one:
    BN-LeNet with max pooling (English builds to 0.16.5 and one 0.17.1 build, d2l-zh to August 2021),
    DenseNet with a global max-pooling head (both editions to January 2022).
    """

    network: str
    test_acc: float
    edition: str
    commit: str
    date: str
    best_test_acc: float | None = None
    best_epoch: int | None = None
    variant: str = ""

    @property
    def repository(self) -> str:
        """The GitHub repository of the build: the English or the Chinese edition's notebooks."""
        return BOOK_REPOSITORIES[self.edition.split("-", 1)[0]]

    @property
    def url(self) -> str:
        """The executed notebook at the commit that holds this run."""
        return f"https://github.com/{self.repository}/blob/{self.commit}/{_BOOK_NOTEBOOKS[self.network]}"

    @property
    def label(self) -> str:
        """Short citation: edition, commit and date, e.g. ``d2l-en 0.16.4, commit 0009bbc (2021-05-17)``."""
        lang, version = self.edition.split("-", 1)
        return f"d2l-{lang} {version}, commit {self.commit[:7]} ({self.date})"


def read_book_runs(text: str, source: str = BOOK_RUNS_FILE) -> tuple[BookRun, ...]:
    """The runs of a table in ``book_runs.tsv``'s form; a row whose best epoch is below its final one is refused."""
    runs = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith(("#", "network\t")) or not line.strip():
            continue
        network, acc, edition, commit, date, best, epoch, variant = line.split("\t")
        run = BookRun(network, float(acc), edition, commit, date, None if best == "-" else float(best),
                      None if epoch == "-" else int(epoch), "" if variant == "-" else variant)  # fmt: skip
        if run.best_test_acc is not None and run.best_test_acc < run.test_acc:
            raise ValueError(f"{source}, line {number} ({network} {edition} {commit[:7]}): best test accuracy "
                             f"{best} is below the final {acc}; the best epoch is at least the final one")  # fmt: skip
        runs.append(run)
    return tuple(runs)


BOOK_RUNS: tuple[BookRun, ...] = read_book_runs(resources.files(__package__).joinpath(BOOK_RUNS_FILE).read_text())


@dataclass(frozen=True)
class BookSpread:
    """How the book's runs of one network spread: count, range, mean ± sample standard deviation, median."""

    network: str
    count: int
    low: float
    high: float
    mean: float
    sd: float
    median: float
    editions: tuple[str, ...]

    def __str__(self) -> str:
        return (f"{self.mean:.3f} ± {self.sd:.3f} (range {self.low:.3f}–{self.high:.3f}, median {self.median:.3f}, "
                f"{self.count} runs)")  # fmt: skip

    def beyond_noise(self, other: BookSpread) -> bool:
        """Whether the two networks' ranges do not overlap: every run of one beat every run of the other."""
        return self.low > other.high or other.low > self.high


def book_runs(network: str, *, edition: str | None = None, variant: str = "") -> tuple[BookRun, ...]:
    """The book's runs of ``network`` (a plan key), oldest first, of the course's variant unless ``variant``.

    ``edition`` keeps one edition (``"en"`` or ``"zh"``) or one release (``"en-0.17.1"``).
    """
    if network not in _BOOK_NOTEBOOKS:
        raise KeyError(f"no book runs for {network!r}; known networks: {', '.join(_BOOK_NOTEBOOKS)}")
    runs = tuple(
        r for r in BOOK_RUNS
        if r.network == network and r.variant == variant
        and (edition is None or r.edition == edition or r.edition.startswith(edition + "-"))
    )  # fmt: skip
    if not runs:
        raise ValueError(f"no book runs of {network!r} with edition={edition!r}, variant={variant!r}")
    return runs


def book_spread(network: str, *, edition: str | None = None, variant: str = "") -> BookSpread:
    """Count, range, mean ± sd and median of the final test accuracies of :func:`book_runs`."""
    runs = book_runs(network, edition=edition, variant=variant)
    accs = [r.test_acc for r in runs]
    sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
    editions = tuple(dict.fromkeys(r.edition for r in runs))
    return BookSpread(network, len(accs), min(accs), max(accs), statistics.fmean(accs), sd,
                      statistics.median(accs), editions)  # fmt: skip


def _edition_line(runs: tuple[BookRun, ...], lang: str) -> str | None:
    mine = [r for r in runs if r.edition.startswith(lang + "-")]
    if not mine:
        return None
    accs = [r.test_acc for r in mine]
    versions = f"{mine[0].edition.split('-', 1)[1]} to {mine[-1].edition.split('-', 1)[1]}"
    return (f"  d2l-{lang} ({versions}, {mine[0].date} to {mine[-1].date}): {len(mine)} runs, "
            f"{min(accs):.3f}–{max(accs):.3f}, median {statistics.median(accs):.3f}")  # fmt: skip


def format_book_runs(network: str, *, variant: str = "", drop: float = 0.01) -> str:
    """The spread of the book's runs of ``network``, per edition, and how often the last epoch fell below the best.

    A run's last epoch counts as fallen when its final test accuracy is at least ``drop`` below its best epoch's
    (only runs whose build stored the training plot can tell).
    """
    runs = book_runs(network, variant=variant)
    lines = [f"book's runs of {network}{' (' + variant + ')' if variant else ''}: "
             f"{book_spread(network, variant=variant)}"]  # fmt: skip
    lines += [line for lang in ("en", "zh") if (line := _edition_line(runs, lang))]
    curves = [r for r in runs if r.best_test_acc is not None]
    fallen = [r for r in curves if r.best_test_acc - r.test_acc >= drop - 1e-9]
    if curves:
        line = f"  last epoch {drop:.2f} or more below the best epoch: {len(fallen)} of {len(curves)} runs with a curve"
        if fallen:
            worst = max(fallen, key=lambda r: r.best_test_acc - r.test_acc)
            line += (f" (largest: {worst.best_test_acc:.3f} at epoch {worst.best_epoch}, then {worst.test_acc:.3f};"
                     f" {worst.label})")  # fmt: skip
        lines.append(line)
    return "\n".join(lines)


# d2l 1.0 (English, tag v1.0.3) trains with its own Trainer and these settings, PyTorch tab; every chapter gives
# them next to the ``train_ch6`` settings above, which the course trains with. Source: D2L_1_0_SOURCE.
D2L_1_0_SOURCE = "https://github.com/d2l-ai/d2l-en/blob/b2e2ae30898a9d0126a9699ae7e441de3e272715/"
D2L_1_0_PLANS: dict[str, TrainingPlan] = {
    "lenet": TrainingPlan("d2l-1.0", num_epochs=10, batch_size=128, lr=0.1),
    "alexnet": TrainingPlan("d2l-1.0", num_epochs=10, batch_size=128, lr=0.01, resize=224),
    "vgg": TrainingPlan("d2l-1.0", num_epochs=10, batch_size=128, lr=0.01, resize=224),
    "nin": TrainingPlan("d2l-1.0", num_epochs=10, batch_size=128, lr=0.05, resize=224),
    "googlenet": TrainingPlan("d2l-1.0", num_epochs=10, batch_size=128, lr=0.01, resize=96),
    "bn-lenet": TrainingPlan("d2l-1.0", num_epochs=10, batch_size=128, lr=0.1),
    "resnet18": TrainingPlan("d2l-1.0", num_epochs=10, batch_size=128, lr=0.01, resize=96),
    "densenet": TrainingPlan("d2l-1.0", num_epochs=10, batch_size=128, lr=0.01, resize=96),
    # §8.8 trains only its RegNetX32; it trains no sample of a design space, so "anynet-sample" has no entry.
    "regnetx32": TrainingPlan("d2l-1.0", num_epochs=10, batch_size=128, lr=0.05, resize=96),
}


def read_record(path: Path) -> dict:
    """The real-MNIST record's data; a file cut off mid-write says how to get a whole one back."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(
            f"{path} is not valid JSON ({err.msg} at line {err.lineno}): the record was cut off or damaged. Restore "
            f"it with `git checkout -- {path.name}` in d2l_utils/, or rebuild it with benchmarks/real_mnist_plans.py"
        ) from err


def real_mnist_result(network: str, record: str | Path = REAL_MNIST_RECORD) -> dict:
    """What ``network``'s ``"cpu-quick"`` plan reached when trained once on real MNIST, with where and when.

    Returns the record's entry for the network (per-epoch ``train_loss``, ``train_acc``, ``test_acc``,
    ``seconds``; ``examples_per_sec``, ``minutes``, load averages, the plan, and the run's ``date``,
    ``machine`` and ``torch``), so a chapter can quote the result with its conditions. The record is written by
    ``benchmarks/real_mnist_plans.py``; a network it did not run raises a ``KeyError`` saying so.
    """
    if network not in TRAINING_PLANS:
        raise KeyError(f"no training plan for {network!r}; known networks: {', '.join(sorted(TRAINING_PLANS))}")
    path = Path(record)
    if not path.exists():
        raise FileNotFoundError(f"no real-MNIST record at {path}; run benchmarks/real_mnist_plans.py to write it")
    data = read_record(path)
    if network not in data.get("results", {}):
        raise KeyError(
            f"{path.name} has no run of {network!r} (it ran: {', '.join(data.get('results', {})) or 'none'}); "
            f"run benchmarks/real_mnist_plans.py --networks {network}"
        )
    shared = {key: data[key] for key in ("date", "machine", "torch") if key in data}
    return {**shared, **data["results"][network]}


def format_real_mnist_result(network: str, record: str | Path = REAL_MNIST_RECORD) -> str:
    """One line for a chapter: what ``network``'s CPU plan reached on real MNIST, per epoch, with its conditions.

    A different data set from the book's Fashion-MNIST, trained by the same code: quoted next to the book's
    result, never mixed with it. Without the record (an installation without the course's ``benchmarks/``) the
    line says where to find it instead.
    """
    if network not in TRAINING_PLANS:
        raise KeyError(f"no training plan for {network!r}; known networks: {', '.join(sorted(TRAINING_PLANS))}")
    try:
        e = real_mnist_result(network, record)
    except FileNotFoundError:
        return f"our {network} plan on real MNIST: no record here ({Path(record).name} is in the course repository)"
    except KeyError:
        rerun = f"python benchmarks/real_mnist_plans.py --networks {network}"
        return f"our {network} plan on real MNIST: not run yet ({rerun})"
    p = e["plan"]
    images = f"{p['max_train_examples']:,}" if p["max_train_examples"] else "60,000"
    accs = " → ".join(f"{a:.3f}" for a in e["test_acc"])
    where = f"{e['minutes']:.1f} min, {e['date']}, {e['machine']}, {e['threads']} thread(s)"
    if e.get("load_average_before"):
        where += f", load {e['load_average_before'][0]:.1f}"
    return (
        f"our {network} plan on real MNIST (one run, seed {e['seed']}): test accuracy {accs}\n"
        f"  {images} images × {p['num_epochs']} epochs at {p['resize'] or 28}×{p['resize'] or 28}, "
        f"batch {p['batch_size']}, lr {p['lr']}; {where}"
    )


def real_mnist_accuracies(record: str | Path = REAL_MNIST_RECORD) -> dict[str, float]:
    """The final test accuracy of each CPU plan the real-MNIST record holds, by network; ``{}`` without a record."""
    path = Path(record)
    if not path.exists():
        return {}
    results = read_record(path).get("results", {})
    return {network: entry["test_acc"][-1] for network, entry in results.items() if entry.get("test_acc")}


# Designing CNNs (d2l 1.0 §8.8): the book trains only its RegNetX32; "anynet-sample" is how the course trains each
# net of a design-space sample (its measured cost: benchmarks/RESULTS.md, "The design-space sample on a CPU").
TRAINING_PLANS["anynet-sample"] = {
    "cpu-quick": TrainingPlan(
        "cpu-quick", num_epochs=1, batch_size=64, lr=0.2, max_train_examples=10_000, max_test_examples=5_000
    ),
    "book": TrainingPlan("book", num_epochs=10, batch_size=64, lr=0.2, resize=96),
}
TRAINING_PLANS["regnetx32"] = {
    "book": TrainingPlan("book", num_epochs=10, batch_size=128, lr=0.05, resize=96),
    "cpu-quick": TrainingPlan(
        "cpu-quick",
        num_epochs=1,
        batch_size=128,
        lr=0.05,
        resize=96,
        max_train_examples=10_000,
        max_test_examples=2_000,
    ),
}
