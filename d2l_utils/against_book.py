"""Where a learner's run falls among the book's runs of the same network (Fashion-MNIST), or the course's (MNIST)."""

import statistics

import matplotlib
import matplotlib.pyplot as plt

from .data import DataSource, data_used
from .plans import TRAINING_PLANS, book_runs, real_mnist_result


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
