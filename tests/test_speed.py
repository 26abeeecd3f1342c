"""Speed settings: one value per device, chosen by GPU capability (mocked here: no GPU needed), and what the
training loop does with it (autocast, memory layout only for images, loss scaling for fp16, compilation)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import d2l_utils as du
from d2l_utils import cuda_graph
from d2l_utils import training as du_training
from tests.helpers import assert_same_weights, make_batches, state_of

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


# --- the training step as a CUDA graph (opt-in: Speed(cuda_graph=True)) --------------------------------------------


def test_cuda_graph_falls_back_to_the_eager_step_on_a_cpu():
    runs = []
    for speed in (du.BOOK_SPEED, du.BOOK_SPEED.replace(cuda_graph=True)):
        du.seed_everything(0)
        net = du.lenet()
        history = du.train_ch6(net, make_batches(3, 16), make_batches(1, 16, seed=1), 2, 0.9, "cpu", speed=speed,
                               progress=False)  # fmt: skip
        runs.append((history.train_loss, history.train_acc, history.test_acc, state_of(net)))
    assert runs[0][:3] == runs[1][:3]
    assert_same_weights(runs[0][3], runs[1][3], rtol=0, atol=0)
    assert cuda_graph.training_step(du_training.train_step, CPU, du.Speed(cuda_graph=True)) is du_training.train_step


def test_cuda_graph_is_off_by_default_and_refuses_non_booleans():
    assert not du.BOOK_SPEED.cuda_graph and not du.choose_speed("cpu").cuda_graph
    with pytest.raises(TypeError, match="cuda_graph"):
        du.Speed(cuda_graph="yes")


def _epochs_on_cuda(net, speed, graphed: bool, epochs: int = 2):
    """``epochs`` of ``train_epoch_ch6`` on CUDA, eager or through a GraphedStep; the step and the net's state."""
    device = torch.device("cuda")
    train = make_batches(9, 32) + make_batches(1, 8, seed=2)  # the last, smaller batch runs eagerly
    du.seed_everything(0)
    net = du_training.prepare_net(net.to(device), speed)
    du.init_cnn_weights(net)
    optimizer, loss = du_training.sgd(net, 0.1, device), nn.CrossEntropyLoss()
    step = cuda_graph.GraphedStep(du_training.train_step, device, speed.autocast) if graphed else du_training.train_step
    losses = [du_training.train_epoch_ch6(net, train, loss, optimizer, device, speed, step=step).mean_loss
              for _ in range(epochs)]  # fmt: skip
    return step, losses, state_of(net)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("speed", [du.BOOK_SPEED, du.Speed(autocast=torch.bfloat16, channels_last=True)])
def test_cuda_graph_replays_the_same_training_as_the_eager_step(speed):
    """Batch norm's running statistics and every weight end as in eager training, to float rounding."""
    _, eager_losses, eager_state = _epochs_on_cuda(du.bn_lenet(), speed, graphed=False)
    step, graph_losses, graph_state = _epochs_on_cuda(du.bn_lenet(), speed, graphed=True)
    assert step.graph is not None and step.steps == 18  # 3 warm-up steps, then replays; 2 smaller batches eager
    tol = dict(rtol=1e-3, atol=1e-4) if speed.autocast is None else dict(rtol=5e-2, atol=5e-3)
    assert graph_losses == pytest.approx(eager_losses, rel=tol["rtol"])
    assert_same_weights(eager_state, graph_state, **tol)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_train_ch6_with_a_cuda_graph_learns_on_a_gpu():
    train_iter, test_iter = du.load_data_fashion_mnist(128, synthetic=True, max_train_examples=3000,
                                                       max_test_examples=500, device="cuda")  # fmt: skip
    du.seed_everything(0)
    speed = du.choose_speed("cuda").replace(cuda_graph=True)
    history = du.train_ch6(du.bn_lenet(), train_iter, test_iter, 2, 0.1, "cuda", speed=speed, progress=False)
    assert history.test_acc[-1] > 0.5 and not history.warnings
