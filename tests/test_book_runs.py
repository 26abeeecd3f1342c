"""The book's runs: one record per executed run, and the spread a chapter quotes."""

import pathlib
import re
import statistics

import pytest

import d2l_utils as du
from d2l_utils import plans


def test_every_run_names_a_commit_an_edition_and_a_plausible_accuracy():
    for run in du.plans.BOOK_RUNS:
        assert re.fullmatch(r"[0-9a-f]{40}", run.commit), run
        assert re.fullmatch(r"(en|zh)-[\w.\-]+", run.edition) and re.fullmatch(r"20\d\d-\d\d-\d\d", run.date)
        assert 0 < run.test_acc < 1 and (run.network in du.TRAINING_PLANS or run.network == "bn-lenet-concise")
        if run.best_test_acc is not None:
            assert run.best_test_acc >= run.test_acc and 1 <= run.best_epoch <= 10


def test_a_run_links_to_its_notebook_at_its_commit():
    (run,) = du.plans.book_runs("resnet18", edition="en-0.16.4")
    assert run.url == ("https://github.com/d2l-ai/d2l-pytorch-colab/blob/0009bbcf260842350711034307a89dbc11811c6b/"
                       "chapter_convolutional-modern/resnet.ipynb")  # fmt: skip
    assert run.label == "d2l-en 0.16.4, commit 0009bbc (2021-05-17)"
    zh = du.plans.book_runs("lenet", edition="zh")[0]
    assert zh.url.startswith("https://github.com/d2l-ai/d2l-zh-pytorch-colab/blob/")


def test_spread_summarises_exactly_the_selected_runs():
    runs = du.plans.book_runs("googlenet", edition="zh")
    spread = du.book_spread("googlenet", edition="zh")
    accs = [r.test_acc for r in runs]
    assert spread.count == len(runs) > 1
    assert (spread.low, spread.high) == (min(accs), max(accs))
    assert spread.mean == pytest.approx(statistics.fmean(accs)) and spread.sd == pytest.approx(statistics.stdev(accs))
    assert spread.median == statistics.median(accs)
    assert f"{spread.count} runs" in str(spread)


def test_edition_filter_takes_a_whole_edition_or_one_release():
    both = du.plans.book_runs("vgg")
    en, zh = du.plans.book_runs("vgg", edition="en"), du.plans.book_runs("vgg", edition="zh")
    assert len(en) + len(zh) == len(both)
    assert all(r.edition == "en-0.17.1" for r in du.plans.book_runs("vgg", edition="en-0.17.1"))


def test_variants_are_kept_apart_from_the_course_network():
    course = du.plans.book_runs("bn-lenet")
    max_pooling = du.plans.book_runs("bn-lenet", variant="max-pooling")
    assert not {r.commit for r in course} & {r.commit for r in max_pooling}
    assert all(r.variant == "" for r in course)


def test_beyond_noise_means_the_ranges_do_not_overlap():
    low = plans.BookSpread("a", 2, 0.70, 0.80, 0.75, 0.07, 0.75)
    high = plans.BookSpread("b", 2, 0.81, 0.90, 0.85, 0.06, 0.85)
    touching = plans.BookSpread("c", 2, 0.79, 0.90, 0.85, 0.06, 0.85)
    assert low.beyond_noise(high) and high.beyond_noise(low)
    assert not low.beyond_noise(touching)


@pytest.mark.bad_input
def test_unknown_network_or_empty_selection_is_refused():
    with pytest.raises(KeyError, match="known networks"):
        du.plans.book_runs("resnet50")
    with pytest.raises(ValueError, match="no book runs"):
        du.plans.book_runs("lenet", edition="en-9.9")


def test_summary_counts_runs_whose_last_epoch_fell_below_their_best():
    runs = du.plans.book_runs("resnet18")
    fallen = [r for r in runs if r.best_test_acc is not None and r.best_test_acc - r.test_acc >= 0.05 - 1e-9]
    text = plans.format_book_runs("resnet18", drop=0.05)
    with_curve = sum(r.best_test_acc is not None for r in runs)
    assert f"{len(fallen)} of {with_curve} runs with a curve" in text
    assert str(du.book_spread("resnet18")) in text.splitlines()[0]
    assert text.count("\n  d2l-") == 2  # one line per edition


def test_d2l_1_0_settings_cover_every_course_plan():
    # The book trains no sample of a design space (§8.8 trains its RegNetX32 only).
    assert set(plans.D2L_1_0_PLANS) == set(du.TRAINING_PLANS) - {"anynet-sample"}
    assert all(p.num_epochs == 10 and p.batch_size == 128 for p in plans.D2L_1_0_PLANS.values())


@pytest.mark.bad_input
def test_a_row_whose_best_epoch_is_below_its_final_one_is_refused_by_name():
    good = "lenet\t0.813\ten-0.17.1\t" + "a" * 40 + "\t2021-12-12\t0.814\t9\t-"
    bad = "lenet\t0.814\ten-0.17.1\t2b885297ce82df8c396bc18158cacb05f2c2d51f\t2021-12-12\t0.813\t10\t-"
    assert len(plans.read_book_runs(good)) == 1
    with pytest.raises(ValueError, match=r"line 3 \(lenet en-0.17.1 2b88529\): best test accuracy 0.813 is below"):
        plans.read_book_runs(f"# header\nnetwork\ttest_acc\n{bad}", "book_runs.tsv")


def test_the_table_ships_inside_the_package_and_is_declared_as_package_data():
    root = pathlib.Path(du.__file__).parent
    assert (root / plans.BOOK_RUNS_FILE).exists()
    pyproject = (root.parent / "pyproject.toml").read_text()
    declared = re.search(r"\[tool\.setuptools\.package-data\][^\[]*?d2l_utils = (\[.*?\])", pyproject, re.DOTALL)
    assert f'"{plans.BOOK_RUNS_FILE}"' in declared.group(1) and f'"{plans.REAL_MNIST_RECORD.name}"' in declared.group(1)
