"""The pipeline benchmark's own logic: the parity table's arithmetic, its arguments, and the lower bound's loop.

The benchmark itself takes minutes and is run by hand (benchmarks/RESULTS.md); these tests check, in seconds,
that what it prints is computed correctly and that bad arguments stop it before any training.
"""

import math

import pytest
import torch
from torch import nn

import d2l_utils as du
from benchmarks import benchmark_pipelines as bench
from benchmarks import lower_bound, report

# ---- mean ± spread, speed-up, parity ----


def test_spread_is_the_mean_and_sample_standard_deviation():
    s = report.spread([0.98, 0.99, 1.00])
    assert s.mean == pytest.approx(0.99)
    assert s.sd == pytest.approx(0.01)  # n - 1 in the denominator: sqrt((0.0001 + 0 + 0.0001) / 2)
    assert s.format(3) == "0.990 ± 0.010"


def test_one_run_has_no_spread_and_none_is_an_error():
    one = report.spread([9.5])
    assert math.isnan(one.sd) and one.format(2) == "9.50"
    with pytest.raises(ValueError, match="at least one value"):
        report.spread([])


def test_speed_up_is_the_ratio_of_mean_seconds():
    assert report.speed_up([9.0, 11.0], [2.0, 3.0]) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="positive"):
        report.speed_up([1.0], [0.0])


def test_parity_holds_within_twice_the_larger_spread_and_fails_beyond():
    book = [0.980, 0.985, 0.990]  # sd 0.005, so noise is ±0.010
    close = report.parity(book, [0.975, 0.977, 0.979])  # 0.008 below: within
    far = report.parity(book, [0.960, 0.962, 0.964])  # 0.023 below: beyond
    assert close.noise == pytest.approx(0.010)
    assert close.within_noise and close.verdict().startswith("yes")
    assert close.difference == pytest.approx(-0.008)
    assert not far.within_noise and far.verdict().startswith("**no**")


def test_parity_is_not_claimed_from_one_seed():
    check = report.parity([0.98], [0.97])
    assert not check.measured and not check.within_noise
    assert check.verdict() == "n/a (one seed)"


def test_identical_runs_are_at_parity_even_with_zero_spread():
    assert report.parity([0.1, 0.1], [0.1, 0.1]).within_noise


def _runs(pipeline, seconds, accuracies):
    return tuple(
        report.Run(pipeline, seed, s, 0.5, a, s / 2)
        for seed, (s, a) in enumerate(zip(seconds, accuracies, strict=True))
    )


def test_parity_table_row_shows_every_figure():
    comparison = report.Comparison(
        "LeNet, 60,000 + 10,000 images", 5, _runs("book", [9.0, 10.0, 11.0], [0.98, 0.985, 0.99]),
        _runs("ours", [3.0, 3.0, 3.0], [0.985, 0.99, 0.995]),
    )  # fmt: skip
    table = report.parity_table([comparison])
    header, rule, row = table.splitlines()
    assert header.count("|") == rule.count("|") == row.count("|")  # a well-formed Markdown table
    assert row == (
        "| LeNet, 60,000 + 10,000 images | 5 × 3 | 10.00 ± 1.00 | 3.00 ± 0.00 | **3.33×** | 0.985 ± 0.005 "
        "| 0.990 ± 0.005 | +0.005 | yes (noise ±0.010) |"
    )


def test_bound_row_divides_ours_by_the_fastest_bound():
    bound = report.Bound("LeNet", [0.9, 1.1], {"tight loop": 0.5, "CUDA graph": 0.25})
    row = report.bound_table([bound]).splitlines()[-1]
    assert "1.000 ± 0.141" in row and "tight loop 0.500, CUDA graph 0.250" in row
    assert row.endswith("**4.00×** |")


# ---- arguments ----


def test_defaults_on_a_cpu_compare_lenet_over_three_seeds_on_the_full_data():
    args = bench.parse_args(["--device", "cpu"])
    assert args.seeds == [0, 1, 2] and args.models == ["lenet"]
    task = bench.make_task(args, "lenet")
    assert (task.epochs, task.num_train, task.num_test) == (5, None, None)
    assert task.label() == "LeNet, 60,000 + 10,000 images"


def test_alexnet_on_a_cpu_uses_a_flagged_subset_of_five_batches():
    args = bench.parse_args(["--device", "cpu", "--models", "alexnet", "lenet", "alexnet"])
    assert args.models == ["alexnet", "lenet"]
    task = bench.make_task(args, "alexnet")
    assert (task.epochs, task.num_train, task.num_test) == (3, 640, 640)
    assert "subset" in task.label()


def test_speed_options_reach_our_pipeline():
    args = bench.parse_args(["--device", "cpu", "--autocast", "bf16", "--no-channels-last"])
    assert args.speed == du.choose_speed("cpu", autocast=torch.bfloat16, channels_last=False)
    assert bench.parse_args(["--device", "cpu"]).speed == du.choose_speed("cpu")


@pytest.mark.bad_input
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seeds", "0", "0"], "--seeds must differ"),
        (["--seeds", "-1"], "a seed must be from 0"),
        (["--epochs", "0"], "must be at least 1"),
        (["--models", "alexnet", "--subset", "600"], "--subset must be at least 640"),
        (["--subset", "1000"], "--subset must be at least 1280"),
        (["--subset", "60001"], "--subset can be at most 60,000"),
        (["--test-subset", "20000"], "--test-subset can be at most 10,000"),
        (["--bound-epochs", "-1"], "--bound-epochs must be 0"),
        (["--data-dir", "/nonexistent"], "no FashionMNIST/raw folder"),
        (["--device", "cuda:7"], "--device"),
    ],
)
def test_bad_arguments_stop_before_any_training(argv, message, capsys):
    with pytest.raises(SystemExit):
        bench.parse_args(["--device", "cpu", *argv] if "--device" not in argv else argv)
    assert message in capsys.readouterr().err


# ---- the lower bound's loop ----


def _data(n=10):
    return torch.arange(n, dtype=torch.float32).reshape(n, 1, 1, 1), torch.arange(n)


def test_an_epoch_sees_every_example_once_and_only_the_last_short_batch_uncaptured():
    seen = {"full": [], "short": []}
    full = lambda X, y: seen["full"].append(y.tolist())
    short = lambda X, y: seen["short"].append(y.tolist())
    lower_bound.run_epoch(_data(10), 4, step=short, full_step=full)
    assert [len(b) for b in seen["full"]] == [4, 4] and [len(b) for b in seen["short"]] == [2]
    assert sorted(sum(seen["full"] + seen["short"], [])) == list(range(10))


def test_pre_place_keeps_every_batch_in_order():
    batches = [(torch.zeros(3, 1, 2, 2), torch.tensor([0, 1, 2])), (torch.ones(2, 1, 2, 2), torch.tensor([3, 4]))]
    X, y = lower_bound.pre_place(batches, torch.device("cpu"), du.choose_speed("cpu"))
    assert X.shape == (5, 1, 2, 2) and y.tolist() == [0, 1, 2, 3, 4]
    assert X[3:].eq(1).all()


def test_the_tight_loop_trains_and_times_each_epoch():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(1, 3))
    before = net[1].weight.detach().clone()
    X, y = torch.randn(20, 1, 1, 1), torch.randint(0, 3, (20,))
    settings = lower_bound.StepSettings(batch_size=8, lr=0.1, speed=du.choose_speed("cpu"))
    seconds = lower_bound.epoch_seconds(net, (X, y), settings, epochs=2)
    assert len(seconds) == 2 and all(s > 0 for s in seconds)
    assert not torch.equal(net[1].weight, before)


@pytest.mark.bad_input
def test_a_cuda_graph_on_the_cpu_is_refused_with_the_reason():
    settings = lower_bound.StepSettings(batch_size=4, lr=0.1, speed=du.choose_speed("cpu"))
    with pytest.raises(ValueError, match="needs a CUDA device"):
        lower_bound.epoch_seconds(nn.Flatten(), _data(), settings, epochs=1, graph=True)


# ---- the whole command, tiny ----


def test_one_command_runs_both_pipelines_and_prints_the_tables(capsys):
    """Both pipelines really run (d2l's and ours, on the stand-in written offline) and the Markdown comes out."""
    argv = ["--device", "cpu", "--subset", "1280", "--test-subset", "256", "--epochs", "1", "--seeds", "0", "1"]
    argv += ["--bound-epochs", "1"]
    comparisons, bounds = bench.main(argv)
    (lenet,) = comparisons
    assert [r.seed for r in lenet.book] == [r.seed for r in lenet.ours] == [0, 1]
    assert all(0 <= r.test_acc <= 1 and r.seconds_per_epoch > 0 for r in lenet.book + lenet.ours)
    assert list(bounds[0].bounds) == ["tight loop"]
    out = capsys.readouterr().out
    assert report.PARITY_HEADER in out and report.BOUND_HEADER in out
    assert "LeNet, 1,280 + 256 images (**subset**) | 1 × 2 |" in out
    assert "synthetic stand-in" in out


def test_cuda_graph_both_runs_ours_eager_and_graphed_and_prints_the_ratio():
    args = bench.parse_args(["--device", "cpu", "--cuda-graph", "both"])
    assert [s.cuda_graph for s in args.speeds] == [False, True]
    book = (report.Run("book", 0, 4.0, 0.9, 0.9),)
    eager = report.Comparison("LeNet", 1, book, (report.Run("ours", 0, 1.0, 0.9, 0.9),))
    graphed = report.Comparison("LeNet (ours: CUDA graph)", 1, book, (report.Run("ours", 0, 0.25, 0.9, 0.9),))
    assert bench.graph_ratios([eager, graphed]) == [
        "LeNet: ours with a CUDA graph is 4.00x as fast per epoch as ours eager."
    ]


def test_gpu_check_shares_the_time_left_and_says_where_fewer_epochs_ran():
    from benchmarks import gpu_check

    clock = gpu_check.Clock(budget=1000.0)
    assert gpu_check.epochs_that_fit(["lenet"], clock, scale=1.0) == 10
    assert gpu_check.epochs_that_fit(list(gpu_check.ORDER), gpu_check.Clock(budget=200.0), scale=1.0) == 5
    assert gpu_check.epochs_that_fit(["vgg"], gpu_check.Clock(budget=20.0), scale=1.0) == 0
    entry = {
        "plan": {"lr": 0.05, "book_lr": 0.1, "batch_size": 128, "resize": 224}, "seed": 1, "epochs_planned": 10,
        "epochs_run": 3, "epochs": [1, 2, 3], "test_acc": [0.2, 0.5, 0.1], "train_acc": [0.2, 0.5, 0.1],
        "seconds": [5.0, 4.0, 4.0], "examples_per_sec": 15000.0, "warnings": ["Warning: collapsed to chance"],
    }  # fmt: skip
    table = gpu_check.render_plans({"environment": {"gpu": "NVIDIA H200"}, "results": {"nin": entry},
                                    "not_run": ["vgg"]})  # fmt: skip
    row = next(line for line in table.splitlines() if line.startswith("| NiN"))
    assert "lr 0.05 (book 0.1)" in row and "0.200, 0.500, 0.100" in row and "| 4.00 | 15,000 |" in row
    assert "3 of the plan's 10 epochs (time budget); Warning: collapsed to chance" in row
    assert table.endswith("Not run (time budget): VGG-11/4.")


# ---- chapter 6b's recipe, chosen on a validation split ----


def _validation_run(recipe, seed, errors):
    return {"recipe": recipe, "seed": seed, "passes": len(errors), "validation_error_percent": errors}


def test_validation_choice_compares_recipes_at_the_passes_every_run_finished():
    from benchmarks import lenet5_validation as val

    fast, slow = list(val.RECIPES)[:2]
    runs = [_validation_run(fast, 0, [3.0, 1.0, 0.5]), _validation_run(fast, 1, [3.0, 1.2]),
            _validation_run(slow, 0, [2.0, 0.9]), _validation_run(slow, 1, [2.0, 1.1])]  # fmt: skip
    chosen = val.choose(runs)
    assert chosen["compared_at_pass"] == 2  # fast's third pass is not compared with what slow never ran
    assert chosen["recipes"][fast]["mean"] == pytest.approx(1.1)
    assert chosen["chosen"] == slow  # 1.0 against 1.1 after two passes each


def test_chapter_6b_trains_the_recipe_its_stored_validation_record_chose():
    import json
    from pathlib import Path

    from benchmarks import lenet5_validation as val

    record = json.loads(Path("benchmarks/lenet5_validation.json").read_text())
    assert val.choose(record["runs"])["chosen"] == record["chosen"]
    codes, batch_size, factor = val.RECIPES[record["chosen"]]
    cells = json.loads(Path("notebooks/06b_lenet5_1998.ipynb").read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert f"batch_size = {batch_size}\n" in code and f"du.step_schedule({factor}, 20)" in code
    net = "du.lenet5()" if codes == "random" else "du.lenet5(du.bitmap_codes())"  # lenet5's default: random codes
    assert f"train_lenet5({net}, train_iter" in code
