"""The record of every chapter's CPU plan trained on real MNIST, and how chapters read it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import d2l_utils as du
from d2l_utils import plans
from d2l_utils.plans import REAL_MNIST_RECORD

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "real_mnist_plans.py"


def _script():
    spec = importlib.util.spec_from_file_location("real_mnist_plans", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _entry(test_acc=0.9):
    return {"test_acc": [0.5, test_acc], "minutes": 3.0, "date": "2026-12-01", "machine": "m", "torch": "t"}


def test_the_command_covers_every_cpu_plan_of_the_later_chapters():
    script = _script()
    # LeNet's run is chapter 06's; the design-space plans are trained on real MNIST by chapter 13b itself.
    assert set(script.ORDER) == set(du.TRAINING_PLANS) - {"lenet", "anynet-sample", "regnetx32"}
    assert set(script.BUILDERS) == set(script.ORDER)


def test_a_network_rerun_alone_keeps_the_others_entries(tmp_path):
    script, path = _script(), tmp_path / "record.json"
    script.write_record(path, {"densenet": _entry(0.8), "nin": _entry()}, ["vgg"], "2026-12-01T10:00:00+00:00")
    kept = script.earlier_results(path)
    assert set(kept) == {"densenet", "nin"} and kept["densenet"]["test_acc"][-1] == 0.8
    record = json.loads(path.read_text())
    assert list(record["results"]) == ["densenet", "nin"]  # smallest first, as the command runs them
    assert record["not_run"] == ["vgg"]


def test_real_mnist_result_gives_the_entry_with_its_conditions(tmp_path):
    path = tmp_path / "record.json"
    _script().write_record(path, {"nin": _entry(0.97)}, [], "2026-12-01T10:00:00+00:00")
    result = du.plans.real_mnist_result("nin", path)
    assert result["test_acc"][-1] == 0.97
    assert (result["date"], result["machine"], result["torch"]) == ("2026-12-01", "m", "t")


@pytest.mark.bad_input
def test_real_mnist_result_says_how_to_get_a_missing_run(tmp_path):
    path = tmp_path / "record.json"
    _script().write_record(path, {"nin": _entry()}, [], "2026-12-01T10:00:00+00:00")
    with pytest.raises(KeyError, match="no run of 'vgg'.*real_mnist_plans.py --networks vgg"):
        du.plans.real_mnist_result("vgg", path)
    with pytest.raises(KeyError, match="no training plan for 'lenet5'"):
        du.plans.real_mnist_result("lenet5", path)
    with pytest.raises(FileNotFoundError, match="run benchmarks/real_mnist_plans.py"):
        du.plans.real_mnist_result("nin", tmp_path / "none.json")


@pytest.mark.bad_input
def test_a_record_cut_off_mid_write_names_the_file_and_how_to_get_it_back(tmp_path):
    path = tmp_path / "real_mnist_plans.json"
    path.write_text('{"date": "2026-12-01", "results": {"nin": {"test_acc": [0.5, ')
    fix = r"real_mnist_plans.json is not valid JSON.*git checkout -- real_mnist_plans.json.*real_mnist_plans.py"
    for read in (du.plans.real_mnist_result, du.format_real_mnist_result, plans.real_mnist_accuracies):
        with pytest.raises(ValueError, match=fix):
            read("nin", path) if read is not plans.real_mnist_accuracies else read(path)
    with pytest.raises(ValueError, match=fix):
        _script().earlier_results(path)


def test_the_record_ships_inside_the_package():
    assert REAL_MNIST_RECORD.parent == Path(du.__file__).parent and REAL_MNIST_RECORD.exists()


def test_the_committed_record_ran_each_plan_as_the_plans_read_now():
    if not REAL_MNIST_RECORD.exists():
        pytest.fail(f"{REAL_MNIST_RECORD.name} is missing; run benchmarks/real_mnist_plans.py")
    record = json.loads(REAL_MNIST_RECORD.read_text())
    assert record["results"], "the record holds no run"
    for network, entry in record["results"].items():
        plan = du.TRAINING_PLANS[network]["cpu-quick"]
        settings = {
            "num_epochs": plan.num_epochs, "batch_size": plan.batch_size, "lr": plan.lr, "resize": plan.resize,
            "max_train_examples": plan.max_train_examples, "max_test_examples": plan.max_test_examples,
        }  # fmt: skip
        rerun = f"rerun benchmarks/real_mnist_plans.py --networks {network}"
        assert entry["plan"] == settings, f"{network}'s plan changed since its run; {rerun}"
        assert len(entry["test_acc"]) == len(entry["train_loss"]) == plan.num_epochs
        assert entry["machine"] and entry["torch"] and entry["date"]
