"""Worked solutions that give nothing away until opened, and still run: ``du.run_solution``.

A solution's prose, its code and what the code prints all sit inside one folded ``<details>`` block of a
Markdown cell, which JupyterLab, GitHub and Colab all show closed. The code cell under it holds one line,
``du.run_solution("08_vgg.ipynb", "Solution 1")``, which reads that block from the notebook, runs its
```` ```python ```` blocks in the notebook's namespace (as if they were cells) and compares what each prints with
the ```` ```text ```` block labelled ``It prints:`` that follows it, so a solution whose answer changed fails
loudly instead of showing a stale answer. A block labelled ``The real run printed:`` is a stored result of a
run on real data (not reproducible in smoke mode): shown, never compared.

The notebook is looked up in the current folder (where JupyterLab and nbval start the kernel), then in the
course's ``notebooks/`` next to this package, then, on Colab, in the open notebook itself.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

DETAILS = re.compile(r"<details>\s*<summary>(.*?)</summary>(.*?)</details>", re.IGNORECASE | re.DOTALL)
CODE_BLOCK = re.compile(r"```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
OUTPUT_BLOCK = re.compile(r"\s*(It prints|The real run printed)[^\n]*:\s*\n```text[ \t]*\n(.*?)^```[ \t]*$",
                          re.DOTALL | re.MULTILINE)  # fmt: skip
CHECKED_LABEL = "It prints"
RECORD_ENV = "D2L_SOLUTIONS_RECORD"  # a file to which run_solution appends what each piece printed (the build's)
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


class SolutionOutputMismatch(AssertionError):
    """A solution printed something other than the answer its folded block shows."""


@dataclass(frozen=True)
class SolutionPiece:
    """One ```` ```python ```` block of a solution and the output block after it (``None`` when it has none)."""

    code: str
    output: str | None = None
    checked: bool = False


def summary_matches(summary: str, label: str) -> bool:
    """``Solution 2`` matches the summary ``Solution 2: why ...`` and ``Solution 2``, not ``Solution 20``."""
    summary, label = " ".join(summary.split()), " ".join(label.split())
    return summary == label or summary.startswith(label + ":")


def solution_pieces(body: str) -> list[SolutionPiece]:
    """The code blocks of one ``<details>`` body, each with the output block that directly follows it."""
    pieces = []
    for match in CODE_BLOCK.finditer(body):
        output = OUTPUT_BLOCK.match(body, match.end())
        if output is None:
            pieces.append(SolutionPiece(match.group(1)))
        else:
            pieces.append(SolutionPiece(match.group(1), output.group(2), output.group(1) == CHECKED_LABEL))
    return pieces


def find_solution(cells: list[dict], label: str) -> list[SolutionPiece]:
    """The pieces of the ``<details>`` block whose summary starts with ``label``: exactly one must have code."""
    found = []
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for summary, body in DETAILS.findall(source):
            pieces = solution_pieces(body)
            if pieces and summary_matches(summary, label):
                found.append(pieces)
    if len(found) != 1:
        raise LookupError(
            f"{'no' if not found else len(found)} folded block(s) with code whose summary starts with {label!r}; "
            "name one solution exactly as its <summary> does (e.g. 'Solution 2' or 'Solution 2, continued')"
        )
    return found[0]


def _colab_cells() -> list[dict] | None:
    """The open notebook's cells on Colab (which keeps no notebook file beside the kernel); None elsewhere."""
    try:
        from google.colab import _message  # type: ignore[import-not-found]
    except ImportError:
        return None
    return _message.blocking_request("get_ipynb", timeout_sec=30)["ipynb"]["cells"]


def notebook_cells(notebook: str | Path) -> list[dict]:
    """The cells of ``notebook``: the file in the current folder, in the course's notebooks/, or the open one."""
    for path in (Path(notebook), NOTEBOOKS / Path(notebook).name):
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))["cells"]
    cells = _colab_cells()
    if cells is None:
        raise FileNotFoundError(
            f"cannot read the solutions of {notebook}: not in {Path.cwd()} nor in {NOTEBOOKS}. Open the notebook "
            "from the course folder (python3 course.py lab), or copy the code of the folded solution into a cell"
        )
    return cells


def _normalised(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def check_printed(label: str, index: int, printed: str, expected: str) -> None:
    """Raise :class:`SolutionOutputMismatch` (with a diff) unless ``printed`` is ``expected``, line for line."""
    if _normalised(printed) == _normalised(expected):
        return
    diff = "\n".join(difflib.unified_diff(_normalised(expected), _normalised(printed), "shown", "printed", lineterm=""))
    raise SolutionOutputMismatch(
        f"{label}, code block {index + 1}, printed something other than the answer shown under it:\n{diff}\n"
        "If the new output is right, rebuild the notebook (python tools/build_notebooks.py NOTEBOOK) to update it."
    )


def _record(notebook: str | Path, label: str, index: int, printed: str) -> None:
    record = os.environ.get(RECORD_ENV, "").strip()
    if record:
        entry = {"notebook": Path(notebook).name, "label": label, "index": index, "printed": printed}
        with open(record, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


def _run_piece(shell, code: str) -> str:
    """Run ``code`` as a cell of ``shell`` (figures and displays show as usual); return what it printed."""
    from IPython.utils.capture import capture_output

    with capture_output(stdout=True, stderr=False, display=False) as captured:
        result = shell.run_cell(code, store_history=False)
    print(captured.stdout, end="")
    result.raise_error()
    return captured.stdout


def run_solution(notebook: str | Path, label: str) -> None:
    """Run the code of the folded solution ``label`` of ``notebook`` and check what it prints.

    Each code block runs in the notebook's own namespace, so it sees (and may define) the notebook's variables.
    Its printed text is compared with the block labelled ``It prints:`` under it; a difference raises
    :class:`SolutionOutputMismatch`. While the course's build records outputs (``D2L_SOLUTIONS_RECORD``), the
    printed text is written there instead of compared.
    """
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("run_solution runs a notebook's folded solution; call it from a notebook cell")
    pieces = find_solution(notebook_cells(notebook), label)
    recording = bool(os.environ.get(RECORD_ENV, "").strip())
    for index, piece in enumerate(pieces):
        printed = _run_piece(shell, piece.code)
        if recording:
            _record(notebook, label, index, printed)
        elif piece.checked:
            check_printed(label, index, printed, piece.output)


__all__ = ["SolutionOutputMismatch", "SolutionPiece", "find_solution", "run_solution", "solution_pieces"]
