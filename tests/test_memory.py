"""Memory: AlexNet's CPU plan must fit Binder, whose sessions usually get 2 GB.

A fresh Python process imports the course's packages and notes its peak resident memory (``ru_maxrss``). It then
runs the notebook's CPU training as the notebook does (``du.choose_plan("alexnet", "cpu")``: the plan's data
subset in memory, its batch size, 224×224 inputs, ``train_ch6``'s CPU settings, divergence watch included) for
three training steps and one evaluation batch on synthetic data, and notes the peak again. The difference is what
training adds; it does not depend on which PyTorch build is installed, the imports do.

Measured on Linux, 2026-11-23, with this machine's CUDA-enabled torch 2.15 at the plan's batch of 32 (five runs):
imports 716-762 MiB, training adds 786-850 MiB, peak 1542-1566 MiB, reached during the training steps. Of what
training adds, 187 MiB is ``train_ch6``'s one copy of the last good weights (kept to restore them if training
diverges); the rest is AlexNet's gradients, activations and the data. Before ``train_ch6`` refreshed that copy in
place and checked the weights for NaN in chunks, the same run peaked at 1636 MiB (training added 920 MiB).
PyTorch's CPU build, the one Binder and machines without an NVIDIA GPU get, has no CUDA libraries to import: its
imports took about 410 MiB (torch 2.13 CPU, measured earlier the same day), which puts the whole run at about
1260 MiB there, under 1.5 GB (1430 MiB) with room for JupyterLab within Binder's 2 GB. At the book's batch of 128
training adds about 1350 MiB (an earlier measurement, before these changes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from d2l_utils.guard_rails import training_guards

ROOT = Path(__file__).resolve().parents[1]
# What training may add: the 850 MiB measured (see above) plus 100 MiB for other platforms' allocators. A second
# copy of AlexNet's weights (187 MiB) anywhere in train_ch6 goes over it.
TRAINING_BUDGET_MIB = 950
# With the CPU build's ~410 MiB of imports that keeps a run under 1.5 GB (410 + 950 = 1360 < 1430 MiB).

_MEASURE = """
import itertools, json, resource, sys
import torch
import d2l_utils as du

def peak_mib():
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss is in bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale

class FirstBatches:
    '''The first n batches of a data iterable, every epoch: a few real steps instead of the whole plan.'''

    def __init__(self, batches, n):
        self.batches, self.n = batches, n

    def __len__(self):
        return self.n

    def __iter__(self):
        return itertools.islice(self.batches, self.n)

after_imports = peak_mib()
plan = du.choose_plan("alexnet", "cpu")
du.seed_everything(0)
train_iter, test_iter = du.load_data_fashion_mnist(plan.batch_size, **plan.data_kwargs())
du.train_ch6(du.alexnet(), FirstBatches(train_iter, 3), FirstBatches(test_iter, 1), num_epochs=1, lr=plan.lr,
             device="cpu", progress=False)
print(json.dumps({"batch_size": plan.batch_size, "after_imports": after_imports, "peak": peak_mib()}))
"""


def measure_alexnet_cpu_steps(tmp_path: Path) -> dict:
    """Peak memory (MiB) of a fresh process after its imports and after training, and the plan's batch size."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("D2L_")}
    env.update(D2L_SYNTHETIC="1", D2L_SMOKE="0", D2L_DATA_DIR=str(tmp_path / "data"), MPLBACKEND="agg")
    env.setdefault("OMP_NUM_THREADS", "1")
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_weights_are_checked_in_chunks_to_the_last_element(monkeypatch):
    monkeypatch.setattr(training_guards, "FINITE_CHECK_CHUNK", 4)
    weights = [torch.zeros(3, 5), torch.zeros(10)]
    assert training_guards.all_finite(weights)
    for bad in (float("nan"), float("inf"), -float("inf")):
        weights[0][2, 4] = bad  # the last element of a tensor that spans four chunks
        assert not training_guards.all_finite(weights)
        weights[0][2, 4] = 0.0


def test_the_last_good_weights_are_refreshed_in_place():
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    guard = training_guards.DivergenceGuard(net, 0.1, history=None)
    saved = guard.last_good
    addresses = {name: tensor.data_ptr() for name, tensor in saved.items()}
    with torch.no_grad():
        net[0].weight.add_(1.0)
        net[1].running_mean.fill_(5.0)
    guard.epoch_done()
    assert {name: tensor.data_ptr() for name, tensor in saved.items()} == addresses, "no new copy is made"
    for name, tensor in net.state_dict().items():
        assert torch.equal(saved[name], tensor), name


@pytest.mark.skipif(sys.platform == "win32", reason="the resource module (ru_maxrss) is POSIX-only")
def test_alexnet_cpu_plan_training_fits_binder(tmp_path):
    measured = measure_alexnet_cpu_steps(tmp_path)
    added = measured["peak"] - measured["after_imports"]
    print(
        f"batch {measured['batch_size']}: imports {measured['after_imports']:.0f} MiB, training adds {added:.0f} "
        f"MiB, peak {measured['peak']:.0f} MiB"
    )
    assert added < TRAINING_BUDGET_MIB, (
        f"training AlexNet at the CPU plan's batch size {measured['batch_size']} adds {added:.0f} MiB; above "
        f"{TRAINING_BUDGET_MIB} MiB the notebook no longer fits Binder: look for a new copy of the weights in "
        "train_ch6, or lower the plan's batch_size"
    )
