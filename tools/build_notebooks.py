"""Execute the course notebooks and save them with only the outputs a reader may trust.

    python tools/build_notebooks.py                       # every notebook
    python tools/build_notebooks.py notebooks/06_lenet.ipynb

Each notebook gets the current header cells (tools/notebook_cells.py), is executed top to bottom in smoke mode
(D2L_SMOKE=1: synthetic data, one short epoch), and is saved keeping outputs only where they do not depend on
the data: cells marked ``# NBVAL_CHECK_OUTPUT`` (shape tables, small worked examples, which nbval re-checks on
every test run) and cells tagged ``keep-output`` (pictures of made-up inputs or sample images shipped with a
package). Everything else is saved without outputs, so no synthetic result is ever shown as Fashion-MNIST's.
A kept output that mentions synthetic data, a local path or an error stops the build.

Figures: a Markdown cell shows a figure of ``img/`` as ``![alt text](attachment:NAME.png)``; the build embeds
``img/NAME.png`` into that cell's attachments, so the picture travels inside the notebook and renders wherever
the notebook is opened alone (JupyterLab from ``course.py lab``, which serves ``notebooks/``; Colab; GitHub).
A link to a local file (``../img/x.png``) would be broken there, so it stops the build, as does a missing figure.
``--figures-only`` refreshes the attachments without executing the notebook.

Solutions: every code cell from the first ``<details><summary>Solution`` on is saved collapsed, and prose left
outside ``<details>`` there stops the build (tools/solutions.py).
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools.notebook_cells import NOTEBOOKS, with_header_cells  # noqa: E402
from tools.solutions import hide_solutions  # noqa: E402

CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"
KEEP_TAG = "keep-output"
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


def keeps_output(cell) -> bool:
    """True for cells whose outputs are committed: checked cells and cells tagged keep-output."""
    if cell.cell_type != "code":
        return False
    return CHECK_MARKER in cell.source.splitlines() or KEEP_TAG in cell.get("metadata", {}).get("tags", [])


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


def build(path: Path, timeout: int = 900, execute: bool = True) -> None:
    nb = nbformat.read(path, as_version=4)
    nb = hide_solutions(embed_figures(with_header_cells(nb, path), path.name), path.name)
    if not execute:
        nbformat.write(nb, path)
        print(f"embedded figures in {path.relative_to(NOTEBOOKS.parent)}")
        return
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    os.environ["D2L_SMOKE"] = "1"
    resources = {"metadata": {"path": str(path.parent)}}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources=resources)
    client.execute()
    nb = strip_untrusted_outputs(nb, path.name)
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    print(f"built {path.relative_to(NOTEBOOKS.parent)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--figures-only", action="store_true", help="embed the img/ figures without executing")
    args = parser.parse_args()
    for path in args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb")):
        build(path.resolve(), execute=not args.figures_only)


if __name__ == "__main__":
    main()
