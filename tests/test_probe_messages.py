"""The course's own messages in the measuring helpers: nets, sizes, batch dimensions, devices, records, paths."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
import torch

import d2l_utils as du
from benchmarks.which_cnn_speeds import save_speeds
from tools.figures.architecture import plot_architecture, save_figure

NET_HELPERS = {
    "layer_summary": lambda net: du.layer_summary(net, (1, 1, 28, 28)),
    "count_flops": lambda net: du.count_flops(net, torch.zeros(1, 1, 28, 28)),
    "layer_costs": lambda net: du.layer_costs(net, (1, 1, 28, 28)),
    "stage_costs": lambda net: du.stage_costs(net, (1, 1, 28, 28)),
    "activation_memory": lambda net: du.activation_memory(net, (2, 1, 28, 28)),
    "measure_training_speed": lambda net: du.measure_training_speed(net, (1, 28, 28), device="cpu"),
    "plot_architecture": lambda net: plot_architecture(net, (1, 1, 28, 28)),
}


@pytest.mark.bad_input
@pytest.mark.parametrize("name", list(NET_HELPERS))
def test_a_builder_passed_uncalled_is_named(name):
    with pytest.raises(TypeError, match=r"the function lenet, not a network: call it .*du\.lenet\(\)"):
        NET_HELPERS[name](du.lenet)


SHAPE_HELPERS = {
    "layer_costs": lambda shape: du.layer_costs(du.lenet(), shape),
    "stage_costs": lambda shape: du.stage_costs(du.lenet(), shape),
    "activation_memory": lambda shape: du.activation_memory(du.lenet(), shape),
}


@pytest.mark.parametrize("name", list(SHAPE_HELPERS))
def test_numpy_sizes_are_accepted(name):
    assert SHAPE_HELPERS[name](tuple(np.int64(n) for n in (2, 1, 28, 28)))


def test_numpy_batch_and_steps_are_accepted():
    assert du.measure_training_speed(du.lenet(), (1, 28, 28), np.int64(4), np.int32(1), device="cpu") > 0


@pytest.mark.bad_input
@pytest.mark.parametrize("name", list(SHAPE_HELPERS))
@pytest.mark.parametrize("shape", [(2, 1, 28.0, 28), (2, 0, 28, 28), "2,1,28,28", (2, True, 28, 28)])
def test_other_sizes_are_refused(name, shape):
    with pytest.raises(ValueError, match="input_shape must be a tuple of positive integers"):
        SHAPE_HELPERS[name](shape)


@pytest.mark.bad_input
@pytest.mark.parametrize(("batch_size", "steps"), [(4.0, 1), (4, "1"), (True, 1), (4, 0)])
def test_speed_probe_sizes_are_refused(batch_size, steps):
    with pytest.raises(ValueError, match="batch_size and steps must be integers of at least 1"):
        du.measure_training_speed(du.lenet(), (1, 28, 28), batch_size, steps, device="cpu")


@pytest.mark.bad_input
@pytest.mark.parametrize("name", list(SHAPE_HELPERS))
def test_a_shape_without_its_batch_dimension_is_explained(name):
    with pytest.raises(ValueError, match=r"one image without a batch dimension.*input_shape=\(1, 1, 28, 28\)"):
        SHAPE_HELPERS[name]((1, 28, 28))


@pytest.mark.bad_input
def test_count_flops_explains_a_missing_batch_dimension():
    with pytest.raises(ValueError, match=r"one image without a batch dimension.*X\.unsqueeze\(0\)"):
        du.count_flops(du.lenet(), torch.zeros(1, 28, 28))
    with pytest.raises(TypeError, match="X must be a tensor"):
        du.count_flops(du.lenet(), (1, 1, 28, 28))


@pytest.mark.bad_input
def test_the_speed_probe_explains_a_batch_dimension_too_many():
    message = r"example_shape is one example's shape without the batch, e\.g\. \(1, 28, 28\)"
    with pytest.raises(ValueError, match=message):
        du.measure_training_speed(du.lenet(), (1, 1, 28, 28), device="cpu")


@pytest.mark.bad_input
@pytest.mark.parametrize("device", ["CPU", " cpu", torch.device("cpu")])
def test_choose_plan_reads_devices_like_train_ch6(device):
    assert du.choose_plan("alexnet", device).name == "cpu-quick"


@pytest.mark.bad_input
@pytest.mark.parametrize("device", [f"cuda:{torch.cuda.device_count()}", "tpu", "gpu"])
def test_choose_plan_names_an_absent_device(device):
    with pytest.raises(du.DeviceNotAvailableError, match="Available here: cpu"):
        du.choose_plan("alexnet", device)


RECORD = {"LeNet": 1234.5}


def test_the_speed_record_round_trips(tmp_path):
    save_speeds(tmp_path / "speeds.json", RECORD, batch_size=8, seconds=0.5, device="cpu")
    assert du.load_speeds(tmp_path / "speeds.json")["examples_per_sec"] == RECORD


@pytest.mark.bad_input
def test_an_interrupted_save_keeps_the_previous_record(tmp_path, monkeypatch):
    path = tmp_path / "speeds.json"
    save_speeds(path, RECORD, batch_size=8, seconds=0.5, device="cpu")
    original = path.read_text()
    real_write = pathlib.Path.write_text

    def half_then_interrupt(self, text, *args, **kwargs):
        real_write(self, text[: len(text) // 2], *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(pathlib.Path, "write_text", half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        save_speeds(path, {"LeNet": 1.0}, batch_size=8, seconds=0.5, device="cpu")
    monkeypatch.undo()
    assert path.read_text() == original
    assert [p.name for p in tmp_path.iterdir()] == ["speeds.json"]  # no half-written temporary file left


@pytest.mark.bad_input
def test_a_half_written_record_is_reported(tmp_path):
    path = tmp_path / "speeds.json"
    save_speeds(path, RECORD, batch_size=8, seconds=0.5, device="cpu")
    path.write_text(path.read_text()[:40])
    with pytest.raises(ValueError, match="is not a complete speed record .*cut off.*benchmarks/which_cnn_speeds.py"):
        du.load_speeds(path)
    path.write_text(json.dumps([1, 2]))
    with pytest.raises(ValueError, match="not a speed record"):
        du.load_speeds(path)


@pytest.mark.bad_input
@pytest.mark.parametrize("speeds", [{"LeNet": float("nan")}, {"LeNet": -3.0}, {"LeNet": "fast"}, [1.0]])
def test_bad_speeds_are_not_recorded(tmp_path, speeds):
    with pytest.raises(ValueError, match="speeds must map network names to examples per second"):
        save_speeds(tmp_path / "speeds.json", speeds, batch_size=8, seconds=0.5, device="cpu")
    assert not (tmp_path / "speeds.json").exists()


@pytest.mark.bad_input
def test_a_tilde_means_home_in_records_and_figures(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    save_speeds("~/speeds.json", RECORD, batch_size=8, seconds=0.5, device="cpu")
    assert du.load_speeds("~/speeds.json")["examples_per_sec"] == RECORD
    fig, _ = plt.subplots()
    save_figure(fig, "~/figures/lenet.png")
    plt.close(fig)
    assert (tmp_path / "home" / "speeds.json").exists() and (tmp_path / "home" / "figures" / "lenet.png").exists()
    assert not (tmp_path / "~").exists()
