"""The package's modules import one another without a circle, so each can be read after the ones it uses."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import d2l_utils

ROOT = Path(d2l_utils.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every package module ``path`` imports, at the top or inside a function (a lazy import counts too)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
            target = f"{base}.{node.module}" if node.module else base
            found |= {f"{target}.{a.name}" for a in node.names} if not node.module else {target}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("d2l_utils"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("d2l_utils")}
    return {m for m in found if m != name and (ROOT.parent / (m.replace(".", "/") + ".py")).exists()}


def import_graph() -> dict[str, set[str]]:
    return {module_name(p): imported_modules(p) for p in ROOT.rglob("*.py") if p.name != "__init__.py"}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` as a list of modules (first == last), or None."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt, [*path, nxt])):
                return cycle
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [start])):
            return cycle
    return None


def test_no_module_imports_a_module_that_imports_it_back():
    assert find_cycle(import_graph()) is None, " -> ".join(find_cycle(import_graph()))


def test_the_cycle_finder_sees_a_lazy_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    graph = import_graph()
    assert "d2l_utils.shapes" in graph["d2l_utils.guard_rails.training_guards"], "the probe's lazy import is seen"


# The book's own names (d2l-en 0.17 / d2l-zh 2.0 train_ch6 API and chapter code, d2l 1.0's saved classes): exported
# whether or not a notebook calls them, so the book's chapter code runs on ``import d2l_utils as d2l``.
BOOK_NAMES = {
    "Accumulator", "Animator", "Timer", "accuracy", "size", "try_gpu", "try_all_gpus", "num_gpus", "cpu",
    "load_data_fashion_mnist", "get_fashion_mnist_labels", "show_images", "set_figsize", "evaluate_accuracy_gpu",
    "train_ch6", "corr2d", "vgg_block", "nin_block", "Inception", "batch_norm", "BatchNorm", "Residual",
    "resnet_block", "resnet18", "ResNeXtBlock", "conv_block", "transition_block", "DenseBlock",
}  # fmt: skip
CODE_BLOCK = re.compile(r"```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
INLINE_CODE = re.compile(r"`([^`\n]+)`")


def names_notebooks_use() -> set[str]:
    """``du.<name>``/``d2l.<name>`` in the notebooks' code cells, their code blocks and the inline code of their text.

    A name the text tells the learner to use (``speed=du.BOOK_SPEED``) is used by the notebook as much as a call.
    """
    used = set()
    for path in (ROOT.parent / "notebooks").rglob("*.ipynb"):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"])
            code = (
                source
                if cell["cell_type"] == "code"
                else "\n".join(CODE_BLOCK.findall(source) + INLINE_CODE.findall(source))
            )
            used |= set(re.findall(r"\b(?:du|d2l)\.([A-Za-z_]\w*)", code))
    return used


def test_exports_are_the_names_notebooks_use_and_the_books():
    missing = sorted(n for n in names_notebooks_use() if not hasattr(d2l_utils, n))
    assert not missing, f"notebooks use names the package does not export: {missing}"
    unused = sorted(set(d2l_utils.__all__) - names_notebooks_use() - BOOK_NAMES)
    assert len(unused) <= 5, f"exported but used by no notebook (import them from their module instead): {unused}"
    assert BOOK_NAMES <= set(d2l_utils.__all__)
