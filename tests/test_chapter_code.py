"""One source: the parts chapters 06b and 13b build in their own cells are, line for line, the package's code.

The training cells, other chapters and the tests call ``du.lenet5()``, ``du.anynet_model()`` and friends; the
chapters teach the same code by defining it. Each definition a chapter's code cells make of a name the package
module also defines must match the module's source (``inspect.getsource`` for functions and classes, the whole
lines of the assignment for constants), trailing whitespace aside.
"""

import ast
import importlib
import inspect
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = {
    "06b_lenet5_1998.ipynb": ("d2l_utils.lenet5", {
        "squash", "ScaledTanh", "Subsampling", "TABLE_I", "PartialConv2d", "EuclideanRBF", "DIGIT_BITMAPS",
        "bitmap_codes", "random_codes", "LeNet5Loss", "PaperInput", "fan_in", "init_lenet5", "lenet5",
    }),
    "13b_designing_cnns.ipynb": ("d2l_utils.anynet", {"anynet_stem", "anynet_stage", "anynet_head", "anynet_model"}),
}  # fmt: skip


def _clean(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def definitions(source: str) -> dict[str, str]:
    """Each top-level function, class and assigned name in ``source`` -> the whole lines that define it."""
    lines, found = source.splitlines(), {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        else:
            continue
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        found.update(dict.fromkeys(names, _clean("\n".join(lines[start - 1 : node.end_lineno]))))
    return found


def chapter_definitions(notebook: str) -> dict[str, str]:
    cells = json.loads((ROOT / "notebooks" / notebook).read_text())["cells"]
    found: dict[str, str] = {}
    for cell in cells:
        if cell["cell_type"] == "code":
            found.update(definitions("".join(cell["source"])))
    return found


def package_definition(module, name: str, module_definitions: dict[str, str]) -> str:
    obj = getattr(module, name)
    if inspect.isclass(obj) or inspect.isfunction(obj):
        return _clean(inspect.getsource(obj))
    return module_definitions[name]


@pytest.mark.parametrize("notebook", CHAPTERS)
def test_the_chapter_defines_the_parts_it_teaches(notebook):
    _, taught = CHAPTERS[notebook]
    missing = taught - set(chapter_definitions(notebook))
    assert not missing, f"{notebook} no longer defines {sorted(missing)} in its cells"


@pytest.mark.parametrize("notebook", CHAPTERS)
def test_the_chapters_definitions_are_the_packages_code(notebook):
    module_name, _ = CHAPTERS[notebook]
    module = importlib.import_module(module_name)
    module_definitions = definitions(inspect.getsource(module))
    chapter = chapter_definitions(notebook)
    shared = set(chapter) & set(module_definitions)
    assert shared, f"{notebook} defines nothing of {module_name}"
    for name in sorted(shared):
        assert chapter[name] == package_definition(module, name, module_definitions), (
            f"{notebook}'s {name} is not {module_name}.{name}: change both, or neither"
        )


def test_a_changed_definition_is_told_apart():
    package = definitions("def f(x):\n    return x + 1  \n")
    assert package == definitions("def f(x):\n    return x + 1\n")
    assert package != definitions("def f(x):\n    return x + 2\n")
