"""The training-speed record chapter 14 shows, ``benchmarks/which_cnn_speeds.json``, measured again on this machine.

``du.measure_speeds`` trains a copy of each course network for about ``--seconds`` of SGD steps (best of three);
the record keeps the date, machine, device, 1-minute load average and the probe's settings beside the speeds, and
is written atomically, so an interrupted run leaves the previous record::

    .venv/bin/python benchmarks/which_cnn_speeds.py                      # batches of 8, 0.5 s per network, the CPU
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import d2l_utils as du  # noqa: E402
from d2l_utils.guard_rails.checks import atomic_write, check_positive_int, is_positive_number  # noqa: E402

RECORD = Path(__file__).resolve().parent / "which_cnn_speeds.json"


def save_speeds(path: str | Path, speeds: dict[str, float], *, batch_size: int, seconds: float, device: str) -> dict:
    """Write measured speeds atomically to a JSON file (``~`` expanded) with the date, machine, load average and probe
    settings, so ``du.load_speeds`` shows the table without re-measuring; returns the record."""
    batch_size = check_positive_int(batch_size, "batch_size")
    if not isinstance(speeds, dict) or not all(is_positive_number(value) for value in speeds.values()):
        raise ValueError(f"speeds must map network names to examples per second (positive numbers), got {speeds!r}")
    record = {
        "date": datetime.date.today().isoformat(),
        "machine": du.machine_description(),
        "device": device,
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "batch_size": batch_size,
        "seconds_per_network": seconds,
        "examples_per_sec": {name: round(value, 1) for name, value in speeds.items()},
    }
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--seconds", type=float, default=0.5, help="timed steps per network, about")
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", type=Path, default=RECORD)
    args = p.parse_args(argv)
    speeds = du.measure_speeds(du.COURSE_NETWORKS, batch_size=args.batch_size, seconds=args.seconds, device=args.device)
    record = save_speeds(args.out, speeds, batch_size=args.batch_size, seconds=args.seconds, device=args.device)
    print(json.dumps(record, indent=2))
    return record


if __name__ == "__main__":
    main()
