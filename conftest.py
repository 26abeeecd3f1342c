"""Plain ``pytest`` (any path: tests/, notebooks/, one notebook) runs notebooks in smoke mode.

Set before any notebook kernel starts, so kernels inherit it: synthetic data, a small subset, at most one epoch.
Export ``D2L_SMOKE=0`` to run the notebooks for real (with the real data present).
"""

import os

os.environ.setdefault("D2L_SMOKE", "1")
