"""Shared test set-up.

Unit tests each start from a clean course environment (no mode switches) with their own data directory.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

# Smoke mode for notebook kernels is set by the repository's root conftest.py.
matplotlib.use("agg")  # this process only; notebook kernels keep their inline backend

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data_dir(tmp_path_factory) -> Path:
    """One data directory per test worker, so the synthetic files are written once."""
    return tmp_path_factory.mktemp("d2l-data")


@pytest.fixture(autouse=True)
def course_env(monkeypatch, shared_data_dir):
    """Every unit test starts with no mode switches set and a private data directory."""
    monkeypatch.delenv("D2L_SMOKE", raising=False)
    monkeypatch.delenv("D2L_SYNTHETIC", raising=False)
    monkeypatch.setenv("D2L_DATA_DIR", str(shared_data_dir))
    yield
