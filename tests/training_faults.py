"""Data that fails on cue now lives in tests/helpers.py; this name stays importable for test files that use it."""

from tests.helpers import FaultyBatches, press_ctrl_c

__all__ = ["FaultyBatches", "press_ctrl_c"]
