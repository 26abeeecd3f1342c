"""Chapter 14's comparison shows the course's own real-MNIST results in a column and a panel of their own."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt

import d2l_utils as du
from tools.figures.cost_figures import plot_comparison

SMALL = [du.COURSE_NETWORKS[0], du.COURSE_NETWORKS[5]]  # LeNet and BN-LeNet: cheap to measure


def test_the_column_gives_each_plans_result_and_a_dash_where_none_ran():
    rows = du.compare_networks(SMALL, real_mnist={"bn-lenet": 0.912})
    assert [r.real_mnist for r in rows] == [None, 0.912]
    lines = du.format_comparison(rows, speed=False).splitlines()
    assert lines[0].endswith("real MNIST, CPU plan")
    assert lines[2].endswith("–") and lines[3].endswith("0.912")


def test_without_real_results_the_table_has_no_such_column():
    table = du.format_comparison(du.compare_networks(SMALL, real_mnist={}), speed=False)
    assert "real MNIST" not in table
    assert table.splitlines()[0].endswith("book test acc: median (range, runs)")


def test_the_figure_draws_real_results_in_a_panel_of_their_own():
    with_real = plot_comparison(du.compare_networks(SMALL, real_mnist={"lenet": 0.969}))
    without = plot_comparison(du.compare_networks(SMALL, real_mnist={}))
    try:
        assert len(with_real.axes) == len(without.axes) + 1
        assert "real MNIST" in with_real.axes[-1].get_title()
        assert "book" in with_real.axes[-2].get_title()
    finally:
        plt.close(with_real)
        plt.close(without)


def test_accuracies_come_from_the_record_final_epoch(tmp_path):
    path = tmp_path / "record.json"
    path.write_text(json.dumps({"results": {"nin": {"test_acc": [0.4, 0.93]}}}))
    assert du.plans.real_mnist_accuracies(path) == {"nin": 0.93}
    assert du.plans.real_mnist_accuracies(tmp_path / "missing.json") == {}


def test_a_chapter_line_gives_every_epoch_and_where_and_when(tmp_path):
    entry = {
        "seed": 0, "test_acc": [0.9412, 0.9733, 0.9609], "minutes": 0.71, "date": "2026-12-01",
        "machine": "2-core test CPU", "threads": 1, "load_average_before": [2.25, 2.0, 1.5],
        "plan": {"num_epochs": 3, "batch_size": 128, "lr": 0.1, "resize": None, "max_train_examples": None},
    }  # fmt: skip
    path = tmp_path / "record.json"
    path.write_text(json.dumps({"results": {"bn-lenet": entry}}))
    first, second = du.format_real_mnist_result("bn-lenet", path).splitlines()
    assert first == "our bn-lenet plan on real MNIST (one run, seed 0): test accuracy 0.941 → 0.973 → 0.961"
    assert second == "  60,000 images × 3 epochs at 28×28, batch 128, lr 0.1; 0.7 min, 2026-12-01, 2-core test CPU, " \
                     "1 thread(s), load 2.2"  # fmt: skip
    assert "no record here" in du.format_real_mnist_result("bn-lenet", tmp_path / "missing.json")
    assert du.format_real_mnist_result("vgg", path).endswith("not run yet (python benchmarks/real_mnist_plans.py "
                                                             "--networks vgg)")  # fmt: skip
