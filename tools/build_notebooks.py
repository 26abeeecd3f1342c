"""Execute the course notebooks and save them with only the outputs a reader may trust.

    python tools/build_notebooks.py                       # every notebook
    python tools/build_notebooks.py notebooks/06_lenet.ipynb

Each notebook gets the current header cells (tools/notebook_cells.py), is executed top to bottom in smoke mode
(D2L_SMOKE=1: synthetic data, one short epoch), and is saved keeping outputs only where they do not depend on
the data: cells marked ``# NBVAL_CHECK_OUTPUT`` (shape tables, small worked examples, which nbval re-checks on
every test run) and cells tagged ``keep-output`` (pictures of made-up inputs or sample images shipped with a
package). Everything else is saved without outputs, so no synthetic result is ever shown as Fashion-MNIST's.
A kept output that mentions synthetic data, a local path or an error stops the build.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools.notebook_cells import NOTEBOOKS, with_header_cells  # noqa: E402

CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"
KEEP_TAG = "keep-output"
# What a committed output must never show: results of the synthetic stand-in, this machine's paths, tracebacks.
FORBIDDEN_OUTPUT = re.compile(r"synthetic|/tmp/|/work/|/root/|/home/[a-z]|Traceback", re.IGNORECASE)


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


def build(path: Path, timeout: int = 900) -> None:
    nb = nbformat.read(path, as_version=4)
    nb = with_header_cells(nb, path)
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
    args = parser.parse_args()
    for path in args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb")):
        build(path.resolve())


if __name__ == "__main__":
    main()
