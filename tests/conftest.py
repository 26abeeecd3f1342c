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


def pytest_configure(config):
    config.addinivalue_line("markers", "bad_input: the test feeds a helper bad input (counted in the run's summary)")


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
