"""Training plans (``plans.tsv``): the book's settings for each network and a smaller one a CPU can finish, chosen
by :func:`choose_plan`; the book's own runs (``book_runs.tsv``) and our real-MNIST record, to quote beside results;
and where a learner's run falls among them."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import torch

from . import config
from .data import DataSource, data_used
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
        """Keyword arguments for ``load_data_fashion_mnist`` besides the batch size; smoke mode keeps an
        upsampled plan to 128 training images: ~60 s less CPU in the notebooks' run (1 thread, 2 cores, 2026-12-04)."""
        limit = config.SMOKE_LIMITS.resized_examples if config.smoke_mode() and self.resize else None
        return dict(resize=self.resize, max_train_examples=limit or self.max_train_examples,
                    max_test_examples=self.max_test_examples)  # fmt: skip


def _read_plans(text: str) -> dict[str, dict[str, TrainingPlan]]:
    """``plans.tsv``'s rows as ``{network: {plan name: TrainingPlan}}``, in the file's order."""
    plans: dict[str, dict[str, TrainingPlan]] = {}
    for line in text.splitlines():
        if line.startswith(("#", "network\t")) or not line.strip():
            continue
        network, name, *values = line.split("\t")
        numbers = (None if v == "-" else float(v) if "." in v else int(v) for v in values)
        plans.setdefault(network, {})[name] = TrainingPlan(name, *numbers)
    return plans


# Every plan and why it is what it is: plans.tsv's header.
_PLANS = _read_plans(resources.files(__package__).joinpath("plans.tsv").read_text(encoding="utf-8"))
TRAINING_PLANS = {network: {k: p for k, p in plans.items() if k != "d2l-1.0"} for network, plans in _PLANS.items()}
D2L_1_0_PLANS = {network: plans["d2l-1.0"] for network, plans in _PLANS.items() if "d2l-1.0" in plans}


def _plans_of(network: str) -> dict[str, TrainingPlan]:
    if network not in TRAINING_PLANS:
        raise KeyError(f"no training plan for {network!r}; known networks: {', '.join(sorted(TRAINING_PLANS))}")
    return TRAINING_PLANS[network]


def choose_plan(network: str, device: torch.device | str | None, name: str | None = None) -> TrainingPlan:
    """The plan for ``network``: ``name`` if given, else ``"cpu-quick"`` on a CPU and ``"gpu"`` (where the book's later
    edition changed it) or ``"book"`` on a GPU; ``device`` is read as ``train_ch6`` reads it."""
    plans = _plans_of(network)
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
    """One executed run of the book: its final test accuracy, where it is stored (``edition`` as ``"en-0.17.1"``), its
    best epoch; ``variant`` is ``"max-pooling"`` for the book's earlier BN-LeNet and DenseNet, else ``""``."""

    network: str
    test_acc: float
    edition: str
    commit: str
    date: str
    best_test_acc: float | None = None
    best_epoch: int | None = None
    variant: str = ""

    @property
    def url(self) -> str:
        """The executed notebook at the commit that holds this run, in the English or the Chinese build repository."""
        repository = BOOK_REPOSITORIES[self.edition.split("-", 1)[0]]
        return f"https://github.com/{repository}/blob/{self.commit}/{_BOOK_NOTEBOOKS[self.network]}"

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

    def __str__(self) -> str:
        return (f"{self.mean:.3f} ± {self.sd:.3f} (range {self.low:.3f}–{self.high:.3f}, median {self.median:.3f}, "
                f"{self.count} runs)")  # fmt: skip

    def beyond_noise(self, other: BookSpread) -> bool:
        """Whether the two networks' ranges do not overlap: every run of one beat every run of the other."""
        return self.low > other.high or other.low > self.high


def book_runs(network: str, *, edition: str | None = None, variant: str = "") -> tuple[BookRun, ...]:
    """The book's runs of ``network`` (a plan key), oldest first, of the course's variant unless ``variant``;
    ``edition`` keeps one edition (``"en"``) or one release (``"en-0.17.1"``)."""
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
    return BookSpread(network, len(accs), min(accs), max(accs), statistics.fmean(accs), sd, statistics.median(accs))


def format_book_runs(network: str, *, variant: str = "", drop: float = 0.01) -> str:
    """The spread of the book's runs of ``network``, per edition, and how many runs' last epoch fell ``drop``
    or more below their best (among runs whose build stored the training plot)."""
    runs = book_runs(network, variant=variant)
    lines = [f"book's runs of {network}{' (' + variant + ')' if variant else ''}: "
             f"{book_spread(network, variant=variant)}"]  # fmt: skip
    for lang in ("en", "zh"):
        if mine := [r for r in runs if r.edition.startswith(lang + "-")]:
            accs = [r.test_acc for r in mine]
            versions = f"{mine[0].edition.split('-', 1)[1]} to {mine[-1].edition.split('-', 1)[1]}"
            lines.append(f"  d2l-{lang} ({versions}, {mine[0].date} to {mine[-1].date}): {len(mine)} runs, "
                         f"{min(accs):.3f}–{max(accs):.3f}, median {statistics.median(accs):.3f}")  # fmt: skip
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
    """The record's entry for ``network``'s ``"cpu-quick"`` run on real MNIST (per-epoch accuracies, speed, the
    plan) with its ``date``, ``machine`` and ``torch``; a network not in the record raises a ``KeyError`` saying so."""
    _plans_of(network)
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
    """One line for a chapter: what ``network``'s CPU plan reached on real MNIST, per epoch, with its
    conditions (a different data set from the book's, never mixed with it), or where to find the record."""
    _plans_of(network)
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


# --- a learner's run against the book's runs (Fashion-MNIST) or the course's record (MNIST) --------------------


def _where(value: float, accs: list[float], what: str = "runs") -> str:
    place = "above" if value > max(accs) else "below" if value < min(accs) else "inside"
    spread = f"{min(accs):.3f}–{max(accs):.3f}, median {statistics.median(accs):.3f}"
    return f"{place} the book's {len(accs)} {what} ({spread})"


def _band(ax, accs: list[float], color: str, what: str) -> None:
    ax.axhspan(min(accs), max(accs), color=color, alpha=0.15, label=f"book's runs, {what}: range")
    ax.axhline(statistics.median(accs), color=color, alpha=0.7, ls="--", label=f"book's runs, {what}: median")


def _against_book(ax, network: str, edition: str | None, history) -> str:
    try:
        runs = book_runs(network, edition=edition)
    except (KeyError, ValueError):
        return f"the book has no runs of {network!r}{f' in edition {edition!r}' if edition else ''} to compare with"
    finals, bests = [r.test_acc for r in runs], [r.best_test_acc for r in runs if r.best_test_acc is not None]
    _band(ax, finals, "green", "final")
    line = _where(history.test_acc[-1], finals)
    if bests:
        _band(ax, bests, "orange", "best epoch")
        line += f"; your best {max(history.test_acc):.3f}: {_where(max(history.test_acc), bests, 'best epochs')}"
    book_epochs = TRAINING_PLANS[network]["book"].num_epochs if network in TRAINING_PLANS else 10
    return line + (f" (you trained {len(history.epochs)} epochs, the book {book_epochs})"
                   if len(history.epochs) != book_epochs else "")  # fmt: skip


def _against_record(ax, network: str) -> str:
    try:
        rec = real_mnist_result(network)
    except (KeyError, FileNotFoundError):
        return f"real MNIST, not the book's Fashion-MNIST; the course has no real-MNIST record of {network!r}"
    ax.plot(rec["epochs"], rec["test_acc"], "s:", color="green", label=f"course's CPU plan on MNIST ({rec['date']})")
    where = f"one run, seed {rec['seed']}, {rec['date']}, {rec['machine']}"
    return (f"real MNIST, not the book's Fashion-MNIST: the course's CPU plan reached {rec['test_acc'][-1]:.3f} "
            f"after {len(rec['epochs'])} epochs ({where})")  # fmt: skip


def _check(history, network: str, edition: str | None, data) -> DataSource:
    if not hasattr(history, "test_acc") or not hasattr(history, "epochs"):
        raise TypeError(f"history must be the TrainHistory train_ch6 returns, got {type(history).__name__}")
    if not history.test_acc:
        raise ValueError("history has no finished epoch (history.test_acc is empty); train at least one epoch first")
    if network not in (known := sorted({*TRAINING_PLANS, "bn-lenet-concise"})):
        raise ValueError(f"network={network!r} is not a network of the course; use one of: {', '.join(known)}")
    if edition is not None and edition.split("-")[0] not in ("en", "zh"):
        raise ValueError(f"edition={edition!r}: use 'en', 'zh' or one release such as 'en-0.17.1' (or None for all)")
    data = data if data is not None else (data_used() or [None])[-1]
    if not isinstance(data, DataSource):
        raise TypeError(f"data must be the DataSource the run used (data=train_iter.source), got {data!r}")
    return data


def plot_against_book(history, network: str, *, edition: str | None = None, data: DataSource | None = None) -> str:
    """Draw ``history``'s per-epoch test accuracy over the bands of the book's runs of ``network`` (final and
    best epochs, one ``edition`` or all), or of our real-MNIST record for a run on MNIST; prints and returns a line."""
    data = _check(history, network, edition, data)
    ax = plt.subplots(figsize=(5, 3), layout="constrained")[1]
    ax.grid(True)
    ax.plot(history.epochs, history.test_acc, "^-", color="C0", label="your run: test acc")
    if data.verified_real and data.name == "Fashion-MNIST":
        line = _against_book(ax, network, edition, history)
    elif data.verified_real and data.name == "MNIST":
        line = _against_record(ax, network)
    else:
        line = f"{data.name}, not Fashion-MNIST: no comparison with the book's Fashion-MNIST runs is meaningful"
    line = f"your run {history.test_acc[-1]:.3f}: {line}"
    ax.set(xlabel="epoch", ylabel="test accuracy", title=f"{network} on {data.name}")
    ax.legend(fontsize=7, loc="lower right")
    if matplotlib.get_backend().lower() != "agg":
        plt.show()
    print(line)
    return line
