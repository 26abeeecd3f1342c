"""The set-up guide's "your own environment" path: its torch/torchvision check really runs, and it names --allow-root.

The check must load both packages and call one of torchvision's compiled operators: a torchvision built for
another torch imports with ``operator torchvision::nms does not exist`` or fails on that call, never silently.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _manual_block() -> str:
    readme = (ROOT / "docs" / "SETUP.md").read_text(encoding="utf-8")
    section = readme[readme.index("**Your own environment**") :]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


def _check_line() -> str:
    (line,) = [line.strip() for line in _manual_block().splitlines() if line.strip().startswith("python -c ")]
    return line


def test_the_check_exercises_torchvisions_compiled_operator():
    code = shlex.split(_check_line())[2]
    assert "import torch, torchvision" in code and "torchvision.ops.nms(" in code


def test_the_check_passes_in_an_environment_where_both_load_together():
    code = shlex.split(_check_line())[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_the_check_fails_loudly_when_the_compiled_operator_is_missing(tmp_path):
    """A stand-in torchvision whose nms is not registered, as when it was built for another torch."""
    (tmp_path / "torchvision").mkdir()
    (tmp_path / "torchvision" / "__init__.py").write_text("from . import ops\n__version__ = '0.0-mismatched'\n")
    (tmp_path / "torchvision" / "ops.py").write_text(
        "import torch\n\ndef nms(boxes, scores, iou_threshold):\n"
        "    return torch.ops.torchvision.nms(boxes, scores, iou_threshold)\n"
    )
    code = shlex.split(_check_line())[2]
    result = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r}); {code}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0 and "ok" not in result.stdout
    assert "torchvision" in result.stderr and "nms" in result.stderr


def test_the_manual_path_says_how_to_run_jupyterlab_as_root():
    assert "jupyter lab --allow-root" in _manual_block()
