"""Choose chapter 6b's LeNet-5 recipe on a validation split, without looking at MNIST's test set.

    python benchmarks/lenet5_validation.py                      # 4 recipes x 2 seeds, 20 passes, in parallel
    python benchmarks/lenet5_validation.py --minutes 8 --out d  # stop every run after 8 minutes of wall time

The last 10,000 of MNIST's 60,000 training images are held out (the first 50,000 train); each recipe (output
codes x batch size and step factor) trains with the paper's 20-pass step schedule, one process and one torch
thread per run, and its validation error is recorded after every pass. The record, ``lenet5_validation.json``,
holds every run's per-pass validation error, its settings, the machine and the date; the chosen recipe is the
one with the lowest mean final validation error. When ``--minutes`` runs out first, every run stops after its
last full pass and the record says how many passes each finished, so recipes are compared at equal passes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

import d2l_utils as du
from d2l_utils.data import InMemoryBatches
from d2l_utils.devices import cpu_model_name

HELD_OUT = 10_000
RECIPES = {  # name: (codes, batch size, step factor)
    "random codes, batch 8, x8": ("random", 8, 8),
    "bitmaps, batch 8, x8": ("bitmaps", 8, 8),
    "random codes, batch 16, x16": ("random", 16, 16),
    "bitmaps, batch 16, x16": ("bitmaps", 16, 16),
}


def validation_split(batch_size: int, seed: int) -> tuple[InMemoryBatches, InMemoryBatches]:
    """The first 50,000 training images to train on (shuffled by ``seed``) and the last 10,000 to validate on."""
    train_iter, _ = du.load_data_mnist(batch_size, seed=seed, loader="fast", device="cpu")
    images, labels = train_iter.images, train_iter.labels
    if len(images) != 60_000:
        raise SystemExit(f"expected MNIST's 60,000 training images, got {len(images)}: is D2L_DATA_DIR real MNIST?")
    fit = InMemoryBatches(images[:-HELD_OUT], labels[:-HELD_OUT], batch_size, shuffle=True, seed=seed,
                          description="MNIST train[:50000]")  # fmt: skip
    held_out = InMemoryBatches(images[-HELD_OUT:], labels[-HELD_OUT:], 1000, shuffle=False,
                               description="MNIST train[50000:]")  # fmt: skip
    return fit, held_out


def run_one(job: tuple[str, int, float]) -> dict:
    """Train one recipe with one seed, a pass at a time, until 20 passes or the deadline; return its record."""
    name, seed, deadline = job
    torch.set_num_threads(1)
    codes, batch_size, factor = RECIPES[name]
    fit, held_out = validation_split(batch_size, seed)
    torch.manual_seed(seed)
    net = du.lenet5(du.bitmap_codes() if codes == "bitmaps" else du.random_codes(0))
    errors, start = [], time.time()
    for lr in du.step_schedule(factor, 20):
        if errors and time.time() > deadline:
            break
        # SGD without momentum keeps no state, so one pass per call trains exactly as one call over all passes.
        history = du.train_lenet5(net, fit, held_out, [lr], device="cpu")
        errors.append(round(100 * (1 - history.test_acc[-1]), 3))
    return {
        "recipe": name,
        "seed": seed,
        "codes": codes,
        "batch_size": batch_size,
        "step_factor": factor,
        "passes": len(errors),
        "validation_error_percent": errors,
        "minutes": round((time.time() - start) / 60, 2),
    }


def choose(runs: list[dict]) -> dict:
    """Mean and spread of each recipe's final validation error at the passes all its runs finished."""
    passes = min(r["passes"] for r in runs)
    table = {}
    for name in RECIPES:
        finals = [r["validation_error_percent"][passes - 1] for r in runs if r["recipe"] == name]
        if finals:
            table[name] = {
                "mean": round(statistics.mean(finals), 3),
                "finals": finals,
                "sd": round(statistics.stdev(finals), 3) if len(finals) > 1 else None,
            }
    chosen = min(table, key=lambda n: table[n]["mean"])
    return {"compared_at_pass": passes, "recipes": table, "chosen": chosen}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--minutes", type=float, default=60.0, help="wall-clock budget for every run")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    deadline = time.time() + 60 * args.minutes
    jobs = [(name, seed, deadline) for seed in args.seeds for name in RECIPES]  # every recipe's first seed first
    with mp.get_context("spawn").Pool(args.processes) as pool:
        runs = pool.map(run_one, jobs)
    record = {"what": "chapter 6b: LeNet-5 recipes on a validation split (train[:50000], validate on train[50000:])",
              "machine": f"{cpu_model_name()}, {mp.cpu_count()} cores, one torch thread a run",
              "torch": torch.__version__, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "runs": runs, **choose(runs)}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "lenet5_validation.json").write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps({k: record[k] for k in ("compared_at_pass", "recipes", "chosen")}, indent=1))


if __name__ == "__main__":
    main()
