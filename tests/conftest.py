"""Shared test set-up.

Unit tests each start from a clean course environment (no mode switches) with their own data directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

# Smoke mode for notebook kernels is set by the repository's root conftest.py.
matplotlib.use("agg")  # this process only; notebook kernels keep their inline backend

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# The data folder the run was started with (each unit test then gets a private one): where real data sets live.
REAL_DATA_DIR = os.environ.get("D2L_DATA_DIR", "").strip()
REQUIRE_REAL_DATA_ENV = "D2L_REQUIRE_REAL_DATA"  # .ci/run sets it where the CI's data cache holds real MNIST


@pytest.fixture(scope="session")
def shared_data_dir(tmp_path_factory) -> Path:
    """One data directory per test worker, so the synthetic files are written once."""
    return tmp_path_factory.mktemp("d2l-data")


def _real_data_root() -> Path:
    from d2l_utils import config

    return Path(REAL_DATA_DIR).expanduser().resolve() if REAL_DATA_DIR else config.default_data_dir()


@pytest.fixture(scope="session")
def real_mnist_dir() -> Path:
    """The data folder holding verified real MNIST (``<it>/MNIST/raw``), downloading it once if it can.

    Skips with a one-line reason where the files are neither there nor downloadable; with
    ``D2L_REQUIRE_REAL_DATA=1`` (set by ``.ci/run`` when its data cache is present) that is a failure instead.
    """
    import d2l_utils as du

    root = _real_data_root()
    try:
        du.data.MNIST.ensure(root, timeout=10)
    except du.DataUnavailableError as err:
        reason = f"real MNIST is not in {root / 'MNIST' / 'raw'} and cannot be downloaded ({str(err).splitlines()[1]})"
        if os.environ.get(REQUIRE_REAL_DATA_ENV, "").strip() in {"1", "true", "yes", "on"}:
            pytest.fail(f"{REQUIRE_REAL_DATA_ENV}=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    return root


@pytest.fixture(autouse=True)
def course_env(monkeypatch, shared_data_dir):
    """Every unit test starts with no mode switches set and a private data directory."""
    monkeypatch.delenv("D2L_SMOKE", raising=False)
    monkeypatch.delenv("D2L_SYNTHETIC", raising=False)
    monkeypatch.setenv("D2L_DATA_DIR", str(shared_data_dir))
    yield


def pytest_configure(config):
    config.addinivalue_line("markers", "bad_input: the test feeds a helper bad input (counted in the run's summary)")
    config.addinivalue_line("markers", "real_data: the test needs a real data set (the real_mnist_dir fixture)")


def pytest_terminal_summary(terminalreporter):
    """Print how many bad-input tests ran and how they ended; works under pytest-xdist (reports carry keywords)."""
    outcomes: dict[str, str] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            if not hasattr(report, "when") or "bad_input" not in getattr(report, "keywords", {}):
                continue
            if report.failed:
                outcomes[report.nodeid] = "failed"
            elif report.skipped:
                outcomes.setdefault(report.nodeid, "skipped")
            elif report.when == "call":
                outcomes.setdefault(report.nodeid, "passed")
    if outcomes:
        counts = {k: list(outcomes.values()).count(k) for k in ("passed", "failed", "skipped")}
        details = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        terminalreporter.write_line(f"bad inputs tried: {len(outcomes)} ({details})")
