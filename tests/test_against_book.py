"""A learner's run placed against the book's runs of the same network, or the course's record on real MNIST."""

import matplotlib.pyplot as plt
import pytest

import d2l_utils as du
from d2l_utils.training import TrainHistory

FASHION = du.data.DataSource("Fashion-MNIST", True, False, 60_000, 10_000)
MNIST = du.data.DataSource("MNIST", True, False, 60_000, 10_000)
STAND_IN = du.data.DataSource("synthetic Fashion-MNIST stand-in", False, True, 600, 100)


def history(*test_acc: float) -> TrainHistory:
    return TrainHistory("cpu", epochs=list(range(1, len(test_acc) + 1)), test_acc=list(test_acc))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_a_fashion_mnist_run_is_placed_inside_above_or_below_the_books_final_accuracies():
    finals = [r.test_acc for r in du.plans.book_runs("lenet")]
    low, high = min(finals), max(finals)
    mid = du.plot_against_book(history(*[0.5] * 9, (low + high) / 2), "lenet", data=FASHION)
    assert mid.startswith(f"your run {(low + high) / 2:.3f}: inside the book's {len(finals)} runs")
    assert f"{low:.3f}–{high:.3f}" in mid
    assert ": above the book's" in du.plot_against_book(history(*[0.5] * 9, high + 0.01), "lenet", data=FASHION)
    assert ": below the book's" in du.plot_against_book(history(*[0.5] * 9, low - 0.01), "lenet", data=FASHION)


def test_the_band_shows_final_and_best_epochs_of_one_edition(capsys):
    en = du.plans.book_runs("vgg", edition="en")
    line = du.plot_against_book(history(*[0.9] * 10), "vgg", edition="en", data=FASHION)
    assert f"the book's {len(en)} runs" in line and "best epochs" in line
    assert capsys.readouterr().out.strip() == line
    labels = [t.get_text() for t in plt.gca().get_legend().get_texts()]
    assert "book's runs, final: range" in labels and "book's runs, best epoch: median" in labels


def test_a_shorter_run_than_the_books_says_so():
    assert "(you trained 2 epochs, the book 10)" in du.plot_against_book(history(0.7, 0.8), "nin", data=FASHION)


def test_real_mnist_is_compared_with_the_courses_record_never_the_books():
    record = du.plans.real_mnist_result("bn-lenet")
    line = du.plot_against_book(history(0.95, 0.97, 0.96), "bn-lenet", data=MNIST)
    assert "real MNIST, not the book's Fashion-MNIST" in line and f"{record['test_acc'][-1]:.3f}" in line
    assert record["date"] in line and "book's" not in line.split("Fashion-MNIST", 1)[1]


def test_the_latest_data_set_used_is_the_default(monkeypatch):
    monkeypatch.setattr("d2l_utils.plans.data_used", lambda: (FASHION, STAND_IN))
    line = du.plot_against_book(history(0.8), "lenet")
    assert "not Fashion-MNIST: no comparison with the book's Fashion-MNIST runs is meaningful" in line
    assert [len(line.get_xdata()) for line in plt.gca().get_lines()] == [1]  # only the learner's curve


def test_a_network_without_book_runs_says_so():
    line = du.plot_against_book(history(0.9), "regnetx32", data=FASHION)
    assert line == "your run 0.900: the book has no runs of 'regnetx32' to compare with"


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (([0.8], "lenet"), TypeError, "history must be the TrainHistory"),
        ((history(), "lenet"), ValueError, "history has no finished epoch"),
        ((history(0.8), "lenet6"), ValueError, "network='lenet6' is not a network of the course; use one of"),
    ],
)
def test_bad_input_is_refused_naming_the_argument(args, error, message):
    with pytest.raises(error, match=message):
        du.plot_against_book(*args, data=FASHION)


def test_bad_edition_or_data_is_refused():
    with pytest.raises(ValueError, match="edition='fr'"):
        du.plot_against_book(history(0.8), "lenet", edition="fr", data=FASHION)
    with pytest.raises(TypeError, match="data=train_iter.source"):
        du.plot_against_book(history(0.8), "lenet", data="Fashion-MNIST")
