"""Execute the course notebooks and save them with only the outputs a reader may trust.

    python tools/build_notebooks.py                       # every notebook
    python tools/build_notebooks.py notebooks/06_lenet.ipynb
    python tools/build_notebooks.py --real-data notebooks/06_lenet.ipynb   # a real run, for real-data cells
    python tools/build_notebooks.py notebooks/solutions/06_lenet.ipynb     # a chapter's solutions notebook

Each notebook gets the current header cells (tools/notebook_cells.py), is executed top to bottom in smoke mode
(D2L_SMOKE=1: synthetic data, one short epoch), and is saved keeping outputs only where they do not depend on
the data: cells marked ``# NBVAL_CHECK_OUTPUT`` (shape tables, small worked examples, which nbval re-checks on
every test run) and cells tagged ``keep-output`` (pictures of made-up inputs or sample images shipped with a
package). Everything else is saved without outputs, so no synthetic result is ever shown as Fashion-MNIST's.
A kept output that mentions synthetic data, a local path or an error stops the build.

Cells tagged ``real-data`` show results of a real run (a training curve on real MNIST, its confusion matrix).
Their outputs are kept only when the notebook ran outside smoke mode (``--real-data``: ``D2L_SMOKE=0``) and the
data those cells used were real files that passed their MD5 checks. The kernel reports that itself: the loaders
append what they serve to the file named by ``D2L_DATA_LOG`` (``d2l_utils.data.DataSource``: data set, verified
or not, smoke or not), once per load and once per pass over fast batches. A tagged cell is judged by the data
it used, or, when it used none (a cell that plots the history of an earlier one), by the data of the latest
cell that used any. Anything else (a smoke build, the synthetic stand-in, no data at all) stops the build with
a message naming the cell and how to build it for real. Such a cell must not also be a checked cell: nbval runs
it in smoke mode in CI, where its output differs; it is executed there but never compared.
For a real build put the verified real files in ``D2L_DATA_DIR``; where Fashion-MNIST cannot be downloaded, set
``D2L_SYNTHETIC=1`` too (MNIST's verified files on disk are still used, the stand-in serves only Fashion-MNIST).

Figures: a Markdown cell shows a figure of ``img/`` as ``![alt text](attachment:NAME.png)``; the build embeds
``img/NAME.png`` into that cell's attachments, so the picture travels inside the notebook and renders wherever
the notebook is opened alone (JupyterLab from ``course.py lab``, which serves ``notebooks/``; Colab; GitHub).
A link to a local file (``../img/x.png``) would be broken there, so it stops the build, as does a missing figure.
``--figures-only`` refreshes the attachments without executing the notebook.

Solutions (tools/solutions.py) live in a companion notebook per chapter, notebooks/solutions/<chapter>.ipynb,
built like any notebook; its stored real-data results are Markdown ("The real run printed:"), which the build
leaves alone. A chapter that holds solution material, or whose Exercises section does not end with the link to
its companion, stops the build.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools.notebook_cells import NOTEBOOKS, with_header_cells  # noqa: E402
from tools.solutions import chapter_problems, chapters, companions, is_companion  # noqa: E402

CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"
KEEP_TAG = "keep-output"
REAL_DATA_TAG = "real-data"
DATA_LOG_ENV = "D2L_DATA_LOG"  # d2l_utils.config.DATA_LOG_ENV: the kernel's loaders write what they serve there
# What a committed output must never show: results of the synthetic stand-in, this machine's paths, tracebacks.
FORBIDDEN_OUTPUT = re.compile(r"synthetic|/tmp/|/work/|/root/|/home/[a-z]|Traceback", re.IGNORECASE)
IMG = NOTEBOOKS.parent / "img"
ATTACHMENT_PREFIX = "attachment:"
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)")  # ![alt](target "optional title")
HTML_IMAGE = re.compile(r"<img\b[^>]*\bsrc=[\"']([^\"']+)", re.IGNORECASE)  # <img src="target">


def image_targets(markdown: str) -> list[str]:
    """Every image address in a Markdown cell's source: Markdown images first, then HTML ones."""
    return MARKDOWN_IMAGE.findall(markdown) + HTML_IMAGE.findall(markdown)


def is_web_address(target: str) -> bool:
    return target.startswith(("https://", "http://"))


def figure_attachment(name: str, where: str) -> dict[str, str]:
    """The attachment entry (MIME type -> base64 text) for ``img/<name>``; a clear error when it cannot exist."""
    path = IMG / name
    mime = IMAGE_TYPES.get(path.suffix.lower())
    if mime is None:
        raise SystemExit(f"{where}: attachment:{name} is not an image type the build embeds ({', '.join(IMAGE_TYPES)})")
    if not path.is_file():
        raise SystemExit(
            f"{where}: attachment:{name} needs the figure img/{name}, which does not exist. "
            "Make it with `python tools/make_figures.py` (or fix the name), then build again."
        )
    return {mime: base64.b64encode(path.read_bytes()).decode("ascii")}


def embed_figures(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Attach img/NAME to every Markdown cell that shows ``attachment:NAME``; refuse links to local files.

    Each cell's attachments are rebuilt from img/ on every build, so a regenerated figure reaches the notebook
    and an attachment no longer referenced is dropped.
    """
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        where = f"{name} cell {index}"
        attachments = {}
        for target in image_targets(cell.source):
            if target.startswith(ATTACHMENT_PREFIX):
                figure = target.removeprefix(ATTACHMENT_PREFIX)
                attachments[figure] = figure_attachment(figure, where)
            elif not is_web_address(target):
                raise SystemExit(
                    f"{where}: the image {target!r} is a local file, which is a broken image wherever the notebook "
                    "is opened alone (Colab, GitHub, the course's JupyterLab). Put the figure in img/ and write "
                    "![alt text](attachment:NAME.png) instead."
                )
        if attachments:
            cell.attachments = attachments
        else:
            cell.pop("attachments", None)
    return nb


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def keeps_output(cell) -> bool:
    """True for cells whose outputs are committed: checked cells, cells tagged keep-output or real-data."""
    if cell.cell_type != "code":
        return False
    return CHECK_MARKER in cell.source.splitlines() or bool({KEEP_TAG, REAL_DATA_TAG} & set(_tags(cell)))


def is_real_data_cell(cell) -> bool:
    return cell.cell_type == "code" and REAL_DATA_TAG in _tags(cell)


def _why_not_real(used: list[dict], real_run: bool) -> str | None:
    """Why outputs made with the data sets ``used`` (the kernel's records) are not a real run's, or None."""
    if not real_run:
        return "in smoke mode (D2L_SMOKE=1)"
    if not used:
        return "before any data set was loaded"
    for source in used:
        if source.get("smoke"):
            return f"on a smoke-mode subset of {source.get('name')}"
        if not source.get("verified_real"):
            return f"on {source.get('name')}, not on verified real data"
    return None


def real_data_problems(nb: nbformat.NotebookNode, uses: dict[int, list[dict]], real_run: bool, name: str) -> list[str]:
    """What stops the build: each ``real-data`` cell whose outputs do not come from verified real data.

    ``uses`` maps a cell's index to the data sets the kernel reported while that cell ran. A tagged cell that
    used none is judged by the latest earlier cell that used any.
    """
    problems, latest = [], []
    how = f"put the verified real data in D2L_DATA_DIR and run `python tools/build_notebooks.py --real-data {name}`"
    for index, cell in enumerate(nb.cells):
        latest = uses.get(index) or latest
        if not is_real_data_cell(cell):
            continue
        if CHECK_MARKER in cell.source.splitlines():
            problems.append(
                f"{name} cell {index} is tagged {REAL_DATA_TAG} and also marked {CHECK_MARKER}: nbval would compare "
                "a smoke run's output with the real one; remove the marker"
            )
            continue
        why = _why_not_real(uses.get(index) or latest, real_run)
        if why:
            problems.append(f"{name} cell {index} is tagged {REAL_DATA_TAG} but ran {why}; to build it for real, {how}")
    return problems


def strip_untrusted_outputs(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if keeps_output(cell):
            if FORBIDDEN_OUTPUT.search("\n".join(str(o) for o in cell.outputs)):
                raise SystemExit(f"{name} cell {index}: a kept output shows synthetic data, a local path or an error")
        else:
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    return nb


def execute_reporting_data(nb: nbformat.NotebookNode, folder: Path, real_data: bool, timeout: int = 900):
    """Execute ``nb`` (smoke mode unless ``real_data``); return the data sets the kernel used, by cell index."""
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    os.environ["D2L_SMOKE"] = "0" if real_data else "1"
    uses: dict[int, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="d2l-build-") as tmp:
        log = Path(tmp) / "data-used.jsonl"
        log.touch()
        os.environ[DATA_LOG_ENV] = str(log)
        offset = 0

        def collect(cell, cell_index, **_):
            nonlocal offset
            with open(log, encoding="utf-8") as f:
                f.seek(offset)
                lines = f.read()
                offset = f.tell()
            uses[cell_index] = [json.loads(line) for line in lines.splitlines() if line.strip()]

        resources = {"metadata": {"path": str(folder)}}
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources=resources,
                                on_cell_executed=collect)  # fmt: skip
        try:
            client.execute()
        finally:
            os.environ.pop(DATA_LOG_ENV, None)
    return uses


def build(path: Path, timeout: int = 900, execute: bool = True, real_data: bool = False) -> None:
    nb = nbformat.read(path, as_version=4)
    nb = embed_figures(with_header_cells(nb, path), path.name)
    problems = [] if is_companion(path) else chapter_problems(nb, path)
    if problems:
        raise SystemExit(f"{path.name}: " + "; ".join(problems))
    if not execute:
        nbformat.write(nb, path)
        print(f"embedded figures in {path.relative_to(NOTEBOOKS.parent)}")
        return
    uses = execute_reporting_data(nb, path.parent, real_data, timeout)
    problems = real_data_problems(nb, uses, real_data, str(path.relative_to(NOTEBOOKS.parent)))
    if problems:
        raise SystemExit("Not saved:\n" + "\n".join(f"  - {p}" for p in problems))
    nb = strip_untrusted_outputs(nb, path.name)
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    print(f"built {path.relative_to(NOTEBOOKS.parent)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--figures-only", action="store_true", help="embed the img/ figures without executing")
    parser.add_argument(
        "--real-data", action="store_true", help="run outside smoke mode (D2L_SMOKE=0): keeps real-data cells' outputs"
    )
    args = parser.parse_args()
    for path in args.notebooks or [*chapters(), *companions()]:
        build(path.resolve(), execute=not args.figures_only, real_data=args.real_data)


if __name__ == "__main__":
    main()
