"""config: mode switches read from the environment, one data directory independent of the working directory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import d2l_utils as du
from d2l_utils import config

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_flags_on(monkeypatch, value):
    monkeypatch.setenv("D2L_SYNTHETIC", value)
    assert du.synthetic_mode() is True
    assert du.smoke_mode() is False


@pytest.mark.parametrize("value", ["", "0", "false", "off", "No"])
def test_flags_off(monkeypatch, value):
    monkeypatch.setenv("D2L_SYNTHETIC", value)
    monkeypatch.setenv("D2L_SMOKE", value)
    assert du.synthetic_mode() is False
    assert du.smoke_mode() is False


def test_smoke_implies_synthetic(monkeypatch):
    monkeypatch.setenv("D2L_SMOKE", "1")
    assert du.smoke_mode() and du.synthetic_mode()


@pytest.mark.bad_input
@pytest.mark.parametrize("name", ["D2L_SMOKE", "D2L_SYNTHETIC"])
def test_flag_not_understood(monkeypatch, name):
    monkeypatch.setenv(name, "maybe")
    with pytest.raises(ValueError, match=rf"{name}='maybe' is not understood: set it to 1 \(on\) or 0 \(off\)"):
        du.synthetic_mode()


def test_data_dir_follows_env_at_call_time(monkeypatch, tmp_path):
    monkeypatch.setenv("D2L_DATA_DIR", str(tmp_path / "a"))
    assert du.config.data_dir() == (tmp_path / "a").resolve()
    monkeypatch.setenv("D2L_DATA_DIR", str(tmp_path / "b"))
    assert du.config.data_dir() == (tmp_path / "b").resolve()


def test_relative_data_dir_is_made_absolute(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("D2L_DATA_DIR", "rel/data")
    assert du.config.data_dir() == tmp_path.resolve() / "rel" / "data"
    assert du.config.data_dir().is_absolute()


def test_default_data_dir_independent_of_cwd(monkeypatch, tmp_path):
    """The book writes to ../data, so every notebook folder got its own download."""
    monkeypatch.delenv("D2L_DATA_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    seen = set()
    for sub in ("x", "y/z"):
        (tmp_path / sub).mkdir(parents=True)
        monkeypatch.chdir(tmp_path / sub)
        seen.add(du.config.data_dir())
    (path,) = seen
    assert path == tmp_path / "home" / ".cache" / "d2l-course" / "data"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert du.config.data_dir() == tmp_path / "cache" / "d2l-course" / "data"


def test_banner_format(capsys):
    config.banner("hello")
    assert capsys.readouterr().out == "[d2l_utils] hello\n"


def test_smoke_limits_are_small():
    limits = config.SMOKE_LIMITS
    assert (limits.train_examples, limits.test_examples, limits.max_epochs) == (1280, 256, 1)


def test_runtime_dependencies_are_not_pinned():
    """d2l 1.0.3 pins numpy/matplotlib/... exactly, which breaks on current Python and Colab."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert deps, "pyproject.toml lists no runtime dependencies"
    for dep in deps:
        assert not re.search(r"==|<|~=", dep), f"{dep!r} pins an exact or upper-bounded version"
