"""try_gpu, try_all_gpus and resolve_device on machines with CUDA, MPS or only a CPU (simulated)."""

from __future__ import annotations

import pytest
import torch

import d2l_utils as du

CPU = torch.device("cpu")


@pytest.fixture
def machine(monkeypatch):
    """Pretend the machine has ``cuda`` CUDA GPUs and (or not) Apple's MPS."""

    def set_up(cuda: int = 0, mps: bool = False):
        monkeypatch.setattr(torch.cuda, "device_count", lambda: cuda)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)

    return set_up


def test_cpu_only(machine):
    machine()
    assert du.num_gpus() == 0
    assert du.try_gpu() == CPU and du.try_gpu(1) == CPU
    assert du.try_all_gpus() == [CPU] and du.cpu() == CPU
    assert du.devices.resolve_device(None) == CPU


def test_cuda(machine):
    machine(cuda=2, mps=True)  # CUDA wins over MPS
    assert du.num_gpus() == 2
    assert du.try_gpu() == torch.device("cuda:0") and du.try_gpu(1) == torch.device("cuda:1")
    assert du.try_gpu(2) == CPU
    assert du.try_all_gpus() == [torch.device("cuda:0"), torch.device("cuda:1")]
    assert du.devices.resolve_device("cuda") == torch.device("cuda:0")
    assert du.devices.resolve_device(torch.device("cuda", 1)) == torch.device("cuda:1")


def test_mps(machine):
    """The book's try_gpu knows only CUDA, so Macs trained on the CPU."""
    machine(mps=True)
    assert du.try_gpu() == torch.device("mps")
    assert du.try_gpu(1) == CPU
    assert du.try_all_gpus() == [torch.device("mps")]
    assert du.devices.resolve_device("mps") == torch.device("mps")


@pytest.mark.bad_input
def test_missing_gpu_says_what_is_available(machine):
    machine(cuda=1)
    with pytest.raises(du.DeviceNotAvailableError) as info:
        du.devices.resolve_device("cuda:3")
    assert str(info.value) == ("cuda:3 was requested, but this machine has 1 CUDA GPU(s). Available here: cpu, "
                               "cuda:0. Use d2l_utils.try_gpu() to pick one safely.")  # fmt: skip
    machine()
    with pytest.raises(du.DeviceNotAvailableError, match=r"this machine has 0 CUDA GPU\(s\)\. Available here: cpu\."):
        du.devices.resolve_device("cuda")


@pytest.mark.bad_input
def test_choose_speed_for_a_missing_gpu_says_what_is_available(machine):
    machine()
    with pytest.raises(du.DeviceNotAvailableError, match=r"cuda was requested, but this machine has 0 CUDA GPU"):
        du.choose_speed("cuda")
    machine(cuda=1)
    with pytest.raises(du.DeviceNotAvailableError, match=r"cuda:1 was requested, but this machine has 1 CUDA GPU"):
        du.choose_speed("cuda:1")


@pytest.mark.bad_input
@pytest.mark.parametrize(("request_", "message"), [
    ("mps", "mps was requested, but Apple's Metal backend is not available here. Available here: cpu."),
    ("banana", "'banana' is not a device name. Available here: cpu."),
    ("meta", "meta is not supported by the course. Available here: cpu."),
])  # fmt: skip
def test_unknown_or_absent_devices(machine, request_, message):
    machine()
    with pytest.raises(du.DeviceNotAvailableError) as info:
        du.devices.resolve_device(request_)
    assert str(info.value) == message


@pytest.mark.bad_input
def test_train_ch6_rejects_missing_device_before_touching_the_net(machine):
    machine()
    net = du.lenet()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    data = [(torch.zeros(2, 1, 28, 28), torch.tensor([0, 1]))]
    with pytest.raises(du.DeviceNotAvailableError, match="Available here: cpu"):
        du.train_ch6(net, data, data, 1, 0.1, device="cuda:3", progress=False)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_device_names_ignore_case_and_spaces(machine):
    machine(cuda=1)
    assert du.devices.resolve_device("CUDA") == torch.device("cuda:0")
    assert du.devices.resolve_device(" cpu ") == CPU and du.devices.resolve_device("Cuda:0") == torch.device("cuda:0")
