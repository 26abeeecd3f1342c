"""Memory: AlexNet's CPU plan must fit Binder, whose sessions usually get 2 GB.

A fresh Python process imports the course's packages, notes its peak resident memory (``ru_maxrss``), then trains
AlexNet as the notebook does on a CPU (``du.choose_plan("alexnet", "cpu")``: its batch size, 224×224 inputs,
``train_ch6``'s default CPU settings) for two steps and one evaluation batch on synthetic data, and notes the peak
again. The difference is what training adds, whichever PyTorch build is installed. The imports themselves take
about 410 MiB with PyTorch's CPU build, the build Binder and machines without an NVIDIA GPU get (measured on
Linux, torch 2.13 CPU vs 2.15 CUDA, 2026-11-23: the CUDA build's imports take about 310 MiB more, its CUDA
libraries). So training may add at most 1020 MiB for the whole to stay under 1.5 GB (1430 MiB), leaving
JupyterLab and the kernel room within Binder's 2 GB. Measured here: at batch 128 (the book's) training adds about
1350 MiB, at the CPU plan's 32 about 930 MiB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TRAINING_BUDGET_MIB = 1020  # 1.5 GB (1430 MiB) minus about 410 MiB of imports on PyTorch's CPU build

_MEASURE = """
import json, resource, sys
import torch
import d2l_utils as du

def peak_mib():
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss is in bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale

after_imports = peak_mib()
plan = du.choose_plan("alexnet", "cpu")
du.seed_everything(0)
train_iter, test_iter = du.load_data_fashion_mnist(
    plan.batch_size, resize=plan.resize, max_train_examples=2 * plan.batch_size, max_test_examples=plan.batch_size
)
du.train_ch6(du.alexnet(), train_iter, test_iter, num_epochs=1, lr=plan.lr, device="cpu", progress=False)
print(json.dumps({"batch_size": plan.batch_size, "after_imports": after_imports, "peak": peak_mib()}))
"""


def measure_alexnet_cpu_step(tmp_path: Path) -> dict:
    """Peak memory (MiB) of a fresh process after its imports and after training, and the plan's batch size."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("D2L_")}
    env.update(D2L_SYNTHETIC="1", D2L_SMOKE="0", D2L_DATA_DIR=str(tmp_path / "data"), MPLBACKEND="agg")
    env.setdefault("OMP_NUM_THREADS", "1")
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(sys.platform == "win32", reason="the resource module (ru_maxrss) is POSIX-only")
def test_alexnet_cpu_plan_training_fits_binder(tmp_path):
    measured = measure_alexnet_cpu_step(tmp_path)
    added = measured["peak"] - measured["after_imports"]
    print(f"batch {measured['batch_size']}: imports {measured['after_imports']:.0f} MiB, training adds {added:.0f} MiB")
    assert added < TRAINING_BUDGET_MIB, (
        f"training AlexNet at the CPU plan's batch size {measured['batch_size']} adds {added:.0f} MiB; "
        f"above {TRAINING_BUDGET_MIB} MiB the notebook no longer fits Binder: lower the plan's batch_size"
    )
