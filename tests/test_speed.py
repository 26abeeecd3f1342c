"""Speed settings: one value per device, chosen by GPU capability (mocked here: no GPU needed), and what the
training loop does with it (autocast, memory layout only for images, loss scaling for fp16, compilation)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import d2l_utils as du
from d2l_utils import training as du_training

CPU = torch.device("cpu")


@pytest.fixture
def gpu_with_capability(monkeypatch):
    """Pretend to be a CUDA machine whose GPU has the given compute capability."""

    def install(major: int, minor: int) -> torch.device:
        monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (major, minor))
        return torch.device("cuda:0")

    return install


@pytest.mark.parametrize(("capability", "dtype", "scaler"), [
    ((9, 0), torch.bfloat16, False),  # H100
    ((8, 0), torch.bfloat16, False),  # A100: the first with native bf16
    ((7, 5), torch.float16, True),  # T4 (Colab's free GPU): fp16 tensor cores, no bf16
    ((6, 0), torch.float16, True),  # P100
])  # fmt: skip
def test_mixed_precision_by_capability(gpu_with_capability, capability, dtype, scaler):
    device = gpu_with_capability(*capability)
    speed = du.choose_speed(device)
    assert speed == du.Speed(autocast=dtype, channels_last=True, compile=False)
    assert speed.needs_grad_scaler(device) is scaler
    name = "bf16" if dtype == torch.bfloat16 else "fp16"
    assert speed.describe() == f"{name} autocast, channels-last"


def test_cpu_and_mps_defaults_and_the_books_settings():
    assert du.choose_speed("cpu") == du.Speed(autocast=None, channels_last=True)
    assert du.choose_speed("mps") == du.BOOK_SPEED == du.Speed()
    assert du.choose_speed("cpu").describe() == "", "float32 on the CPU: results equal the book's to rounding"
    assert du.choose_speed("cpu", compile=True).describe() == "float32, channels-last, compiled"


def test_overrides(gpu_with_capability):
    device = gpu_with_capability(8, 6)
    assert du.choose_speed(device, autocast=False).autocast is None
    assert du.choose_speed(device, autocast=torch.float16).autocast == torch.float16
    assert du.choose_speed(device, channels_last=False).channels_last is False
    assert du.choose_speed("cpu", autocast=True).autocast == torch.bfloat16  # the CPU's autocast dtype
    assert du.choose_speed(device).replace(compile=True).compile is True


@pytest.mark.bad_input
def test_unsupported_autocast_dtype():
    with pytest.raises(ValueError, match="autocast must be None, torch.bfloat16 or torch.float16"):
        du.Speed(autocast=torch.float64)


def test_training_line_names_mixed_precision(capsys):
    data = [(torch.rand(8, 1, 28, 28), torch.randint(0, 10, (8,)))]
    du.train_ch6(du.lenet(), data, data, 1, 0.1, "cpu", speed=du.Speed(autocast=torch.bfloat16), progress=False)
    assert capsys.readouterr().out.splitlines()[0] == "training on cpu (bf16 autocast)"


def test_channels_last_applies_to_image_batches_only():
    speed = du.Speed(channels_last=True)
    assert du_training.to_layout(torch.rand(2, 3, 4, 5), speed).is_contiguous(memory_format=torch.channels_last)
    flat = torch.rand(2, 784)
    assert du_training.to_layout(flat, speed) is flat


def test_an_mlp_on_flat_inputs_trains_with_the_default_settings():
    """Channels-last is the CPU's default; an MLP's (N, 784) batches must pass unchanged."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    data = [(torch.rand(16, 784, generator=g), torch.randint(0, 10, (16,), generator=g)) for _ in range(3)]
    net = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    history = du.train_ch6(net, data, data, 2, 0.1, "cpu", progress=False)
    assert history.epochs == [1, 2] and history.examples == [48, 48]


class RecordingScaler:
    """Stands in for torch.amp.GradScaler: records the calls the loop makes."""

    def __init__(self):
        self.calls = []

    def scale(self, loss):
        self.calls.append("scale")
        return loss * 1.0

    def step(self, optimizer):
        self.calls.append("step")
        optimizer.step()

    def update(self):
        self.calls.append("update")


def test_each_step_goes_through_the_gradient_scaler():
    """fp16 on a pre-Ampere GPU needs loss scaling: backward on the scaled loss, step and update through it."""
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    data = [(torch.rand(4, 1, 28, 28), torch.randint(0, 10, (4,))) for _ in range(2)]
    scaler = RecordingScaler()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    du.train_epoch_ch6(net, data, nn.CrossEntropyLoss(), optimizer, CPU, scaler=scaler)
    assert scaler.calls == ["scale", "step", "update"] * 2


def test_grad_scaler_is_active_only_for_fp16_on_cuda(gpu_with_capability):
    assert not du_training.grad_scaler(CPU, du.Speed(autocast=torch.float16)).is_enabled()
    assert not du_training.grad_scaler(CPU, du.choose_speed("cpu")).is_enabled()
    device = gpu_with_capability(7, 5)
    assert du.choose_speed(device).needs_grad_scaler(device)


def test_fused_sgd_on_cuda_only():
    net = nn.Linear(2, 2)
    assert du_training.sgd(net, 0.1, CPU).defaults["fused"] is None  # the book's for-loop SGD
    assert du_training.sgd(net, 0.1, torch.device("cuda")).defaults["fused"] is True


def test_compiled_training_compiles_once_per_batch_shape(monkeypatch):
    """compile=True: full batches and the shorter last one get a graph each, once for the whole run.

    Evaluation uses the eager net, so eval mode and the test batches never trigger a recompile. The eager
    backend keeps this test fast; the graph count is the same as inductor's.
    """
    from torch._dynamo.testing import CompileCounter

    torch._dynamo.reset()
    counter = CompileCounter()
    monkeypatch.setattr(du_training, "COMPILE_BACKEND", counter)
    g = torch.Generator().manual_seed(0)
    data = [(torch.rand(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g)) for n in (8, 8, 3)]
    history = du.train_ch6(du.lenet(), data, data, 3, 0.1, "cpu", speed=du.Speed(compile=True), progress=False)
    assert history.epochs == [1, 2, 3]
    assert counter.frame_count == 2
    torch._dynamo.reset()


class CountingMetrics:
    """Stands in for EpochMetrics on a GPU: counts the reads that would each wait for the device."""

    def __init__(self, device_type):
        self.loss_sum = torch.zeros((), device="meta") if device_type == "cuda" else torch.zeros(())
        self.reads = 0

    @property
    def mean_loss(self):
        self.reads += 1
        return 1.0

    @property
    def accuracy(self):
        return 0.5


@pytest.mark.parametrize(("device_type", "expected_reads"), [("cuda", 5), ("cpu", 20)])
def test_no_host_sync_per_step_on_an_accelerator(device_type, expected_reads):
    """On a GPU the loss is read (a host sync) only at the plot's five points per epoch; on the CPU, where a read
    costs nothing, after every step, so divergence is caught at once."""
    from d2l_utils.plotting import TrainingProgress

    watched = []
    progress = TrainingProgress(
        20, 1, du.training.TrainHistory(device=device_type), False, watchers=[lambda loss, where: watched.append(where)]
    )
    metrics = CountingMetrics(device_type)
    for _ in progress.track(range(20), metrics, epoch=0):
        pass
    assert metrics.reads == expected_reads
