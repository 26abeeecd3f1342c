"""Every chapter's CPU plan, trained once on real MNIST: the record ``d2l_utils/real_mnist_plans.json`` (package data).

Each ``"cpu-quick"`` plan of ``du.TRAINING_PLANS`` (AlexNet, VGG, NiN, GoogLeNet, BN-LeNet, ResNet-18, DenseNet)
trains once, from seed 0, with the plan's epochs, batch size, learning rate, image size and subsets, through
``du.load_data_mnist`` + ``du.train_ch6`` with their defaults on the CPU, one network after the other in this
process (smallest first), so no two runs share the cores. Networks not named keep their entries of an existing
record, so one network can be rerun alone::

    .venv/bin/python benchmarks/real_mnist_plans.py                      # all seven, the course's data folder
    .venv/bin/python benchmarks/real_mnist_plans.py --data-dir DIR --networks bn-lenet densenet

The real files must be in ``<data dir>/MNIST/raw`` (or downloadable there); ``du.data.MNIST.ensure`` checks them before
any training. The record is rewritten after every network (atomically), so an interrupted run keeps the networks
that finished. Per network it holds the per-epoch training loss and accuracy, test accuracy and seconds, the
examples/s over the whole run, its wall-clock minutes, the load average before and after, and its date, machine,
torch version and threads. ``--stop-by HH:MM`` (UTC) starts no network whose estimated time (from
the speed record ``which_cnn_speeds.json``, scaled by how much slower the networks already run here) would end
after it; those are listed under ``not_run``. ``du.plans.real_mnist_result(network)`` reads the record.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import d2l_utils as du  # noqa: E402
from d2l_utils.guard_rails.checks import atomic_write  # noqa: E402
from d2l_utils.plans import REAL_MNIST_RECORD, read_record  # noqa: E402

HERE = Path(__file__).resolve().parent
# Smallest run first (examples x cost per example on a CPU), so a short session finishes the most networks.
ORDER = ("bn-lenet", "densenet", "resnet18", "nin", "googlenet", "vgg", "alexnet")
BUILDERS = {
    "alexnet": du.alexnet,
    "vgg": lambda: du.vgg(du.narrow_conv_arch(du.VGG11_CONV_ARCH, 4)),
    "nin": du.nin,
    "googlenet": du.googlenet,
    "bn-lenet": du.bn_lenet,
    "resnet18": du.resnet18,
    "densenet": du.densenet,
}
# The speed record names networks as chapter 14's table does.
SPEED_NAMES = {
    "alexnet": "AlexNet", "vgg": "VGG-11/4", "nin": "NiN", "googlenet": "GoogLeNet", "bn-lenet": "BN-LeNet",
    "resnet18": "ResNet-18", "densenet": "DenseNet",
}  # fmt: skip


def _load() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def train_plan(network: str, data_dir: Path | None, seed: int) -> dict:
    """Train ``network``'s cpu-quick plan once on real MNIST; return its entry of the record."""
    plan = du.TRAINING_PLANS[network]["cpu-quick"]
    load_before = _load()
    start = time.perf_counter()
    du.seed_everything(seed)
    train_iter, test_iter = du.load_data_mnist(
        plan.batch_size, synthetic=False, data_dir=data_dir, device="cpu", **plan.data_kwargs()
    )
    if not train_iter.source.verified_real:
        raise RuntimeError(f"{network}: the loader did not serve verified real MNIST; refusing to record it")
    history = du.train_ch6(BUILDERS[network](), train_iter, test_iter, plan.num_epochs, plan.lr, "cpu", progress=False)
    return {
        "date": datetime.date.today().isoformat(), "machine": du.machine_description(), "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "plan": {
            "num_epochs": plan.num_epochs, "batch_size": plan.batch_size, "lr": plan.lr, "resize": plan.resize,
            "max_train_examples": plan.max_train_examples, "max_test_examples": plan.max_test_examples,
        },
        "seed": seed,
        "epochs": history.epochs,
        "train_loss": [round(v, 4) for v in history.train_loss],
        "train_acc": [round(v, 4) for v in history.train_acc],
        "test_acc": [round(v, 4) for v in history.test_acc],
        "seconds": [round(v, 1) for v in history.seconds],
        "examples_per_sec": round(history.examples_per_sec, 1),
        "minutes": round((time.perf_counter() - start) / 60, 2),
        "load_average_before": load_before,
        "load_average_after": _load(),
    }  # fmt: skip


def estimated_minutes(network: str, slowdown: float) -> float:
    """Minutes ``network``'s plan should take here: its training examples at the recorded speed, times ``slowdown``.

    Evaluation and loading add about a fifth.
    """
    speeds = du.load_speeds(HERE / "which_cnn_speeds.json")["examples_per_sec"]
    return du.TRAINING_PLANS[network]["cpu-quick"].minutes_at(speeds[SPEED_NAMES[network]]) * 1.2 * slowdown


def earlier_results(path: Path) -> dict[str, dict]:
    """The entries of an existing record at ``path`` (none if there is none), each with its own conditions."""
    if not path.exists():
        return {}
    record = read_record(path)
    shared = {key: record[key] for key in ("date", "machine", "torch", "threads") if key in record}
    return {network: {**shared, **entry} for network, entry in record.get("results", {}).items()}


def write_record(path: Path, results: dict, not_run: list[str], started: str) -> dict:
    """Write the record (atomically), the entries in :data:`ORDER`, and return it."""
    record = {
        "date": started[:10],
        "started_utc": started,
        "device": "cpu",
        "data": "real MNIST (verified files), through du.load_data_mnist",
        "results": {network: results[network] for network in ORDER if network in results},
        "not_run": [network for network in ORDER if network in not_run and network not in results],
    }
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


def markdown_table(record: dict) -> str:
    """The record as a Markdown table, one row per network: test accuracy per epoch, minutes, speed, load."""
    lines = [
        "| network | plan (train images × epochs, batch, lr, size) | test acc per epoch | minutes | examples/s | "
        "load before → after | date, machine, torch |",
        "|---|---|---|---|---|---|---|",
    ]
    for network, e in record["results"].items():
        p = e["plan"]
        images = f"{p['max_train_examples']:,}" if p["max_train_examples"] else "60,000"
        plan = f"{images} × {p['num_epochs']}, {p['batch_size']}, {p['lr']}, {p['resize'] or 28}"
        accs = " → ".join(f"{a:.3f}" for a in e["test_acc"])
        load = f"{e['load_average_before'][0]:.1f} → {e['load_average_after'][0]:.1f}"
        where = f"{e.get('date', record['date'])}, {e.get('machine', record.get('machine'))}"
        lines.append(
            f"| {network} | {plan} | {accs} | {e['minutes']:.1f} | {e['examples_per_sec']:,.0f} | {load} | {where} |"
        )
    if record["not_run"]:
        lines.append(f"\nNot run yet: {', '.join(record['not_run'])}.")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--networks", nargs="+", choices=ORDER, default=list(ORDER), help="default: all, smallest first")
    p.add_argument("--data-dir", type=Path, default=None, help="folder holding MNIST/raw (default: the course's)")
    p.add_argument("--out", type=Path, default=REAL_MNIST_RECORD, help="the record to write")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--stop-by", default=None, help="HH:MM UTC: start no network estimated to end after it")
    p.add_argument("--markdown", action="store_true", help="print the record as a Markdown table and train nothing")
    return p


def _deadline(stop_by: str | None) -> datetime.datetime | None:
    if stop_by is None:
        return None
    now = datetime.datetime.now(datetime.timezone.utc)
    hours, minutes = (int(part) for part in stop_by.split(":"))
    return now.replace(hour=hours, minute=minutes, second=0, microsecond=0)


def main(argv: list[str] | None = None) -> dict:
    args = _parser().parse_args(argv)
    if args.markdown:
        print(markdown_table(read_record(args.out)))
        return {}
    du.data.MNIST.ensure(args.data_dir.expanduser() if args.data_dir else du.config.data_dir())
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    deadline, slowdown = _deadline(args.stop_by), 1.0
    networks = [n for n in ORDER if n in args.networks]
    results = {name: entry for name, entry in earlier_results(args.out).items() if name not in networks}
    for i, network in enumerate(networks):
        now = datetime.datetime.now(datetime.timezone.utc)
        if deadline and now + datetime.timedelta(minutes=estimated_minutes(network, slowdown)) > deadline:
            print(f"{network}: estimated {estimated_minutes(network, slowdown):.0f} min, past --stop-by; not run")
            write_record(args.out, results, networks[i:], started)
            return results
        print(f"== {network} (load {_load()})", flush=True)
        results[network] = train_plan(network, args.data_dir, args.seed)
        slowdown = max(slowdown, results[network]["minutes"] / estimated_minutes(network, 1.0))
        write_record(args.out, results, networks[i + 1 :], started)
    return results


if __name__ == "__main__":
    main()
