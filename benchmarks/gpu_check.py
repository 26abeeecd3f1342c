"""The course on one CUDA GPU, in one command of under 8 minutes: its tests, its speed, every chapter's GPU plan.

Parts, in this order, each guarded so that one failure does not stop the others, each skipped once the time
budget (``--budget`` seconds, default 480) would be exceeded, each writing its results under ``--out`` as soon as it
ends, so a run cut short still leaves what finished:

1. **tests**: the test files that touch devices, data placement, speed settings and training (:data:`TEST_FILES`),
   with ``pytest -o addopts=""`` (the notebook options of ``pyproject.toml`` need nbval, which is not required
   here). Log: ``tests.log``.
2. **speed**: ``benchmark_pipelines.py`` on real MNIST, the book's pipeline against the course's, the course's
   eager and with the step replayed as a CUDA graph (``--cuda-graph both``): LeNet 5 epochs x 2 seeds (and its
   lower bound), AlexNet 2 epochs x 1 seed; GoogLeNet's GPU plan for 2 epochs, eager and graphed (examples/s of
   the second epoch). Record: ``gpu_benchmark.json``. Then where LeNet's graphed epoch spends its time:
   ``torch.profiler`` over two epochs, the top operations in ``profile.txt``.
3. **plans**: every chapter's GPU plan (``du.choose_plan(network, "cuda")``: NiN at lr 0.05, GoogLeNet at 0.01,
   the book's settings otherwise) on all of real MNIST with ``du.train_ch6``'s GPU defaults, one seed each, 10
   epochs where the budget allows, else fewer for all networks alike (the record says how many and why). NiN and
   GoogLeNet go first. Record: ``gpu_plans.json``, like ``real_mnist_plans.json`` for the GPU.

Then ``gpu_check.md`` holds the Markdown for ``benchmarks/RESULTS.md``; ``--render gpu_plans.json`` prints the plans
table of a saved record again. ``--smoke`` proves the whole script on a CPU in a few minutes (tiny subsets,
one epoch, a few tests); its figures mean nothing.

On a machine without a package index, d2l 1.0.3 (the book's pipeline) and IPython (which d2l imports) travel as
wheels in ``.whl/`` (ignored by git), downloaded beforehand where pip works::

    python -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \\
      --platform manylinux_2_17_x86_64 -d .whl d2l==1.0.3 ipython==9.18.1 matplotlib-inline==0.2.2 jedi==0.20.1 \\
      parso==0.8.7 pexpect==4.9.0 ptyprocess==0.7.0 prompt_toolkit==3.0.53 wcwidth==0.9.4 stack_data==0.6.3 \\
      executing==2.3.0 asttokens==3.0.2 pure_eval==0.2.4 traitlets==5.16.1 ipython_pygments_lexers==1.1.1

and real MNIST as its four ``.gz`` files in ``.data/MNIST/raw``. Then, there::

    python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl && \\
    PYTHONPATH=/tmp/site D2L_DATA_DIR=.data python3 benchmarks/gpu_check.py --out "$OUT" --data-dir .data
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import io
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import d2l_utils as du  # noqa: E402
from benchmarks.real_mnist_plans import BUILDERS  # noqa: E402

TEST_FILES = [
    "tests/test_checkpoints.py", "tests/test_fast_data.py", "tests/test_shapes.py", "tests/test_devices.py",
    "tests/test_speed.py", "tests/test_training.py", "tests/test_evaluation.py", "tests/test_training_failures.py",
    "tests/test_data_safety.py", "tests/test_plans.py", "tests/test_data.py", "tests/test_download.py",
]  # fmt: skip
SMOKE_TESTS = ["tests/test_speed.py", "tests/test_plans.py", "-k", "cuda_graph or gpu"]
# NiN and GoogLeNet first: their GPU plans changed. Seconds per epoch on one H200 with the GPU defaults (10-epoch
# runs of 2026-12-04, training and evaluation; NiN not timed then: about AlexNet's work per image), to share the
# budget out before anything is measured; each finished network rescales the rest.
ORDER = ("nin", "googlenet", "bn-lenet", "lenet", "resnet18", "densenet", "alexnet", "vgg")
EST_SECONDS_PER_EPOCH = {"nin": 4.0, "googlenet": 8.1, "bn-lenet": 1.1, "lenet": 0.8, "resnet18": 3.0,
                         "densenet": 3.2, "alexnet": 2.8, "vgg": 5.0}  # fmt: skip
SETUP_SECONDS = 4.0  # per network: loading and placing the data, the first epoch's kernel selection
# The seed at which the first edition's lr failed on the GPU (NiN collapsed with seed 1, GoogLeNet diverged with 0).
SEEDS = {"nin": 1}
NAMES = {"lenet": "LeNet", "nin": "NiN", "googlenet": "GoogLeNet", "bn-lenet": "BN-LeNet", "resnet18": "ResNet-18",
         "densenet": "DenseNet", "alexnet": "AlexNet", "vgg": "VGG-11/4"}  # fmt: skip
BUILDERS = {"lenet": du.lenet, **BUILDERS}


class Clock:
    """The run's time budget: what is left, and whether a part of ``seconds`` still fits."""

    def __init__(self, budget: float) -> None:
        self.start, self.budget = time.monotonic(), budget

    def left(self) -> float:
        return self.budget - (time.monotonic() - self.start)

    def fits(self, seconds: float) -> bool:
        return self.left() >= seconds


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def environment(device: torch.device) -> dict:
    """GPU model, versions and date: what every figure of this run depends on."""
    cuda = device.type == "cuda"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "gpu": torch.cuda.get_device_name(device) if cuda else None, "machine": du.machine_description(),
        "torch": torch.__version__, "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if cuda else None, "python": sys.version.split()[0],
        "cpu_cores": os.cpu_count(),
    }  # fmt: skip


# --- 1. tests --------------------------------------------------------------------------------------------------------


def run_tests(out: Path, clock: Clock, smoke: bool) -> dict:
    """The GPU-relevant test files in a subprocess (4 workers where pytest-xdist is installed); a summary."""
    args = SMOKE_TESTS if smoke else TEST_FILES
    workers = [] if smoke or not _has("xdist") else ["-n", "4"]
    command = [sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider", "-q", *workers, *args]
    started = time.monotonic()
    try:
        env = {"OMP_NUM_THREADS": "4", **os.environ}  # 4 workers of 4 threads on the device's 16 cores
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=max(10, clock.left() - 300))  # fmt: skip
        log, code = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired as err:
        log, code = f"{err.stdout or ''}{err.stderr or ''}\nTIMED OUT after {err.timeout:.0f} s", None
    (out / "tests.log").write_text(log if isinstance(log, str) else log.decode(), encoding="utf-8")
    lines = [line for line in str(log).splitlines() if line.strip()]
    summary = lines[-1] if lines else "no output"
    print(f"tests: {summary}", flush=True)
    return {"command": " ".join(command[1:]), "returncode": code, "summary": summary,
            "seconds": round(time.monotonic() - started, 1)}  # fmt: skip


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


# --- 2. speed --------------------------------------------------------------------------------------------------------


class _Tee(io.StringIO):
    """Keeps what is printed and still shows it."""

    def write(self, text: str) -> int:
        sys.__stdout__.write(text)
        sys.__stdout__.flush()
        return super().write(text)


def run_benchmark(model: str, data_dir: Path, smoke: bool) -> dict:
    """One model's book-vs-course comparison, ours eager and graphed; its runs and its Markdown."""
    from benchmarks import benchmark_pipelines as bench

    if smoke:
        argv = ["--device", "cpu", "--subset", "1280", "--test-subset", "256", "--epochs", "1", "--seeds", "0"]
    else:
        argv = ["--data", "mnist", "--data-dir", str(data_dir), "--epochs", "5" if model == "lenet" else "2",
                "--seeds", *(["0", "1"] if model == "lenet" else ["0"])]  # fmt: skip
    argv += ["--models", model, "--cuda-graph", "both", "--bound-epochs", "2" if model == "lenet" else "0"]
    with contextlib.redirect_stdout(_Tee()) as printed:
        comparisons, bounds = bench.main(argv)
    text = printed.getvalue()
    return {"argv": argv, "comparisons": [dataclasses.asdict(c) for c in comparisons],
            "bounds": [dataclasses.asdict(b) for b in bounds],
            "markdown": text[text.rfind("\nMeasured ") + 1:] if "\nMeasured " in text else text}  # fmt: skip


def run_graph_speed(network: str, device: torch.device, data_dir: Path, smoke: bool) -> dict:
    """``network``'s GPU plan for 2 epochs, eager and graphed: the second epoch's examples/s and the accuracies."""
    plans = du.TRAINING_PLANS[network]
    plan, sizes = plans.get("gpu", plans["book"]), dict(max_train_examples=256, max_test_examples=128) if smoke else {}
    result = {"plan": dataclasses.asdict(plan), "sizes": sizes}
    for graphed in (False, True):
        du.seed_everything(0)
        loaders = du.load_data_mnist(plan.batch_size, plan.resize, synthetic=False, data_dir=data_dir, device=device,
                                     **sizes)  # fmt: skip
        speed = du.choose_speed(device).replace(cuda_graph=graphed)
        history = du.train_ch6(BUILDERS[network](), *loaders, 2, plan.lr, device, speed=speed, progress=False)
        result["graph" if graphed else "eager"] = {
            "speed": str(speed), "test_acc": history.test_acc, "train_loss": history.train_loss,
            "seconds": history.seconds, "steady_examples_per_sec": round(history.examples[-1] / history.seconds[-1]),
        }  # fmt: skip
    eager, graph = result["eager"], result["graph"]
    result["markdown"] = (
        f"{NAMES[network]}, GPU plan (lr {plan.lr:g}, batch {plan.batch_size}, {plan.resize or 28}px), 2 epochs: "
        f"{eager['steady_examples_per_sec']:,} examples/s eager, {graph['steady_examples_per_sec']:,} with the CUDA "
        f"graph (second epoch); test accuracy {eager['test_acc'][-1]:.3f} and {graph['test_acc'][-1]:.3f}."
    )
    print(result["markdown"], flush=True)
    return result


def run_profile(out: Path, device: torch.device, data_dir: Path, smoke: bool) -> None:
    """LeNet's book settings with the CUDA graph, two epochs under ``torch.profiler``: the top operations by CPU."""
    from torch.profiler import ProfilerActivity, profile

    sizes = dict(max_train_examples=1024, max_test_examples=256) if smoke else {}
    train_iter, test_iter = du.load_data_mnist(256, synthetic=False, data_dir=data_dir, device=device, **sizes)
    speed = du.choose_speed(device).replace(cuda_graph=True)
    du.train_ch6(du.lenet(), train_iter, test_iter, 1, 0.9, device, speed=speed, progress=False)  # warm-up
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=activities) as prof:
        history = du.train_ch6(du.lenet(), train_iter, test_iter, 2, 0.9, device, speed=speed, progress=False)
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=30)
    (out / "profile.txt").write_text(f"{table}\ntraining seconds per epoch: {history.seconds}\n", encoding="utf-8")


# --- 3. plans --------------------------------------------------------------------------------------------------------


def epochs_that_fit(networks: list[str], clock: Clock, scale: float) -> int:
    """Epochs (at most 10, the same for every network left) that fit the time left, or 0 if not even one does."""
    per_epoch = sum(EST_SECONDS_PER_EPOCH[n] * scale for n in networks)
    setup = SETUP_SECONDS * len(networks)
    return max(0, min(10, int((clock.left() - 15 - setup) / per_epoch)))


def train_plan(network: str, device: torch.device, data_dir: Path, epochs: int, smoke: bool) -> dict:
    """``network``'s GPU plan, trained once on real MNIST for ``epochs``; its entry of the record."""
    plans = du.TRAINING_PLANS[network]
    plan = plans.get("gpu", plans["book"])  # what du.choose_plan gives on a GPU
    sizes = dict(max_train_examples=256, max_test_examples=128) if smoke else {}
    seed = SEEDS.get(network, 0)
    du.seed_everything(seed)
    train_iter, test_iter = du.load_data_mnist(plan.batch_size, plan.resize, synthetic=False, data_dir=data_dir,
                                               device=device, **sizes)  # fmt: skip
    speed = du.choose_speed(device)
    entry = {"plan": {"name": plan.name, "batch_size": plan.batch_size, "lr": plan.lr, "resize": plan.resize,
                      "book_lr": du.TRAINING_PLANS[network]["book"].lr, **sizes},
             "speed": str(speed), "seed": seed, "epochs_planned": plan.num_epochs, "epochs_run": epochs}  # fmt: skip
    try:
        history = du.train_ch6(BUILDERS[network](), train_iter, test_iter, epochs, plan.lr, device, speed=speed,
                               progress=False)  # fmt: skip
    except du.TrainingDivergedError as err:
        history, entry["error"] = err.history, str(err).split(". ")[0]
    entry |= {
        "epochs": history.epochs, "train_loss": [round(v, 4) for v in history.train_loss],
        "train_acc": [round(v, 4) for v in history.train_acc], "test_acc": [round(v, 4) for v in history.test_acc],
        "seconds": [round(v, 2) for v in history.seconds], "examples_per_sec": round(history.examples_per_sec, 1),
        "warnings": history.warnings,
    }  # fmt: skip
    return entry


def run_plans(record: dict, path: Path, device: torch.device, data_dir: Path, clock: Clock, smoke: bool) -> None:
    """Every network's plan in :data:`ORDER`, the epochs shared out by the time left; the record after each."""
    scale = 1.0
    for i, network in enumerate(ORDER):
        epochs = 1 if smoke else epochs_that_fit(list(ORDER[i:]), clock, scale)
        if epochs == 0:
            record["not_run"].append(network)
            print(f"plans: {network} skipped: {clock.left():.0f} s left", flush=True)
            continue
        started = time.monotonic()
        try:
            entry = train_plan(network, device, data_dir, epochs, smoke)
        except Exception as err:  # one network's failure must not cost the others
            entry = {"error": f"{type(err).__name__}: {err}", "traceback": traceback.format_exc()[-2000:]}
        entry["wall_seconds"] = round(time.monotonic() - started, 1)
        if entry.get("epochs") and not smoke:  # how much slower than estimated this machine runs, at worst so far
            measured = (entry["wall_seconds"] - SETUP_SECONDS) / len(entry["epochs"]) / EST_SECONDS_PER_EPOCH[network]
            scale = max(scale if i else 0.0, measured)
        record["results"][network] = entry
        write_json(path, record)
        print(f"plans: {network}: test acc {entry.get('test_acc')} in {entry['wall_seconds']} s "
              f"{entry.get('error', '')} {' '.join(entry.get('warnings', []))}", flush=True)  # fmt: skip


def render_plans(record: dict) -> str:
    """The plans record as a Markdown table: one row per network, per-epoch test accuracy and time."""
    env = record.get("environment", {})
    lines = [
        f"Measured {env.get('date', '?')} on {env.get('gpu') or env.get('machine', '?')}; torch {env.get('torch')}, "
        f"CUDA {env.get('cuda')}, cuDNN {env.get('cudnn')}; real MNIST, `du.train_ch6` with its GPU defaults"
        f"{' (**smoke run: tiny subsets, figures mean nothing**)' if record.get('smoke') else ''}.",
        "",
        "| network | plan | epochs | test acc per epoch | final train acc | s/epoch | examples/s | notes |",
        "|---|---|---:|---|---:|---:|---:|---|",
    ]
    for network, e in record.get("results", {}).items():
        if "plan" not in e:
            lines.append(f"| {NAMES[network]} | | | | | | | failed: {e.get('error', '?')} |")
            continue
        p, accs = e["plan"], ", ".join(f"{a:.3f}" for a in e.get("test_acc", []))
        steady = e["seconds"][1:] or e["seconds"]
        fewer = [f"{e['epochs_run']} of the plan's {e['epochs_planned']} epochs (time budget)"]
        notes = "; ".join([*fewer[: e["epochs_run"] < e["epochs_planned"]], *([e["error"]] if "error" in e else []),
                           *e.get("warnings", [])])  # fmt: skip
        lines.append(
            f"| {NAMES[network]} | lr {p['lr']:g} (book {p['book_lr']:g}), batch {p['batch_size']}, "
            f"{p['resize'] or 28}px, seed {e['seed']} | {len(e.get('epochs', []))} | {accs} | "
            f"{e['train_acc'][-1] if e.get('train_acc') else '-'} | "
            f"{sum(steady) / max(1, len(steady)):.2f} | {e['examples_per_sec']:,.0f} | {notes} |"
        )
    if record.get("not_run"):
        lines += ["", f"Not run (time budget): {', '.join(NAMES[n] for n in record['not_run'])}."]
    return "\n".join(lines)


# --- the whole check -------------------------------------------------------------------------------------------------


def guarded(name: str, summary: dict, path: Path, work):
    """Run one part; a failure is recorded (with its traceback) instead of stopping the check."""
    started = time.monotonic()
    try:
        result = work()
        summary["parts"][name] = {"status": "done", "seconds": round(time.monotonic() - started, 1)}
        return result
    except Exception as err:
        traceback.print_exc()
        summary["parts"][name] = {"status": f"failed: {type(err).__name__}: {err}"[:500],
                                  "seconds": round(time.monotonic() - started, 1)}  # fmt: skip
        return None
    finally:
        write_json(path, summary)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "gpu-check-out")))
    p.add_argument("--data-dir", type=Path, default=Path(os.environ.get("D2L_DATA_DIR", ".data")))
    p.add_argument("--budget", type=float, default=480.0, help="seconds for the whole check (default 480)")
    p.add_argument("--smoke", action="store_true", help="a CPU dry run on tiny subsets")
    p.add_argument("--render", type=Path, help="print the plans table of a saved gpu_plans.json and stop")
    args = p.parse_args(argv)
    if args.render:
        print(render_plans(json.loads(args.render.read_text(encoding="utf-8"))))
        return 0
    clock, out = Clock(args.budget), args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    data_dir = args.data_dir.resolve()
    device = torch.device("cpu") if args.smoke else du.try_gpu()
    if device.type != "cuda" and not args.smoke:
        p.error(f"no CUDA GPU here (found {device}); use --smoke for a CPU dry run")
    du.data.MNIST.ensure(data_dir, download=False)  # the real files must be there before any work
    summary = {"environment": environment(device), "smoke": args.smoke, "budget_seconds": args.budget, "parts": {}}
    check = out / "gpu_check.json"
    summary["tests"] = guarded("tests", summary, check, lambda: run_tests(out, clock, args.smoke))
    bench = {"environment": summary["environment"], "smoke": args.smoke}
    for model, needs in (("lenet", 60), ("alexnet", 70)):
        if args.smoke and model == "alexnet":
            continue  # the book's AlexNet pipeline takes minutes on a CPU
        if not clock.fits(needs + 150):
            summary["parts"][f"speed-{model}"] = {"status": f"skipped: {clock.left():.0f} s left"}
            continue
        bench[model] = guarded(f"speed-{model}", summary, check, lambda m=model: run_benchmark(m, data_dir, args.smoke))
        write_json(out / "gpu_benchmark.json", bench)
    if clock.fits(40 + 150):
        bench["googlenet"] = guarded("speed-googlenet", summary, check,
                                     lambda: run_graph_speed("googlenet", device, data_dir, args.smoke))  # fmt: skip
        write_json(out / "gpu_benchmark.json", bench)
    if clock.fits(30 + 150):
        guarded("profile", summary, check, lambda: run_profile(out, device, data_dir, args.smoke))
    record = {"environment": summary["environment"], "smoke": args.smoke, "data": "real MNIST (verified files), "
              "all 60,000 + 10,000 images, through du.load_data_mnist", "results": {}, "not_run": []}  # fmt: skip
    guarded("plans", summary, check, lambda: run_plans(record, out / "gpu_plans.json", device, data_dir, clock,
                                                       args.smoke))  # fmt: skip
    tests = (summary.get("tests") or {}).get("summary", "not run")
    markdown = [f"## GPU check ({summary['environment']['gpu'] or 'CPU smoke run'})", "", f"Tests: `{tests}`", "",
                *[bench[m]["markdown"] for m in ("lenet", "alexnet", "googlenet") if bench.get(m)], "",
                render_plans(record)]  # fmt: skip
    (out / "gpu_check.md").write_text("\n".join(markdown) + "\n", encoding="utf-8")
    print("\n".join(markdown))
    print(f"\nparts: {json.dumps(summary['parts'])}\n{clock.budget - clock.left():.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
