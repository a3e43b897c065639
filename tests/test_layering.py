"""The package's layers: imports point one way, with no cycle, inside functions included.

    web, cli, options, batch, feedback  ->  training  ->  numbers  ->  inference  ->  imaging  ->  the ground

The ground is errors, model_card, calibration and memory; options.py (command-line options more
than one command module takes) is at the top, beside cli. A module may import its own layer and
the layers below it. Every `import` in the source counts: at the top, inside a function, or
under TYPE_CHECKING. Each module is also imported alone in a fresh interpreter, to see which
heavy libraries it pulls in.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "digitrec"
GROUND = {
    "digitrec",
    "digitrec.errors",
    "digitrec.model_card",
    "digitrec.calibration",
    "digitrec.memory",
}
# Lowest first.
LAYERS = ["ground", "imaging", "inference", "numbers", "training", "top"]


def module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def layer_of(module: str) -> str:
    if module in GROUND:
        return "ground"
    part = module.split(".")[1]
    if part in ("web", "cli", "options", "batch", "feedback"):
        return "top"
    if part in LAYERS:
        return part
    raise AssertionError(f"{module} is in no layer: add it to test_layering's map")


def source_of(module: str) -> Path:
    path = PACKAGE.parent.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def imported_by(module: str) -> set[str]:
    """Every digitrec module `module` imports anywhere in its source, resolved to a module."""
    known = set(module_names())
    found = set()
    for node in ast.walk(ast.parse(source_of(module).read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from digitrec.imaging import decode` imports the module digitrec.imaging.decode;
            # the package itself counts only when a name is taken from its __init__.
            named = [f"{node.module}.{alias.name}" for alias in node.names]
            targets = [name for name in named if name in known]
            if len(targets) < len(named):
                targets.append(node.module)
        else:
            continue
        found |= {target for target in targets if target in known and target != module}
    return found


MODULES = module_names()
GRAPH = {module: imported_by(module) for module in MODULES}


@pytest.mark.parametrize("module", MODULES)
def test_imports_point_down_the_layers(module):
    rank = LAYERS.index(layer_of(module))
    upward = sorted(target for target in GRAPH[module] if LAYERS.index(layer_of(target)) > rank)
    assert not upward, f"{module} ({layer_of(module)}) imports from layers above it: {upward}"


def test_no_module_imports_itself_through_others():
    cycles = []

    def visit(module, path, done):
        if module in path:
            cycles.append([*path[path.index(module) :], module])
            return
        if module in done:
            return
        for target in sorted(GRAPH[module]):
            visit(target, [*path, module], done)
        done.add(module)

    done: set[str] = set()
    for module in MODULES:
        visit(module, [], done)
    assert not cycles, f"import cycles: {cycles}"


def test_the_recogniser_does_not_read_numbers():
    from digitrec.inference import Recogniser

    assert not hasattr(Recogniser, "read_number")


LOADED = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(name.split(".")[0] for name in sys.modules)))
"""
FORBIDDEN = {
    "imaging": {"onnxruntime", "flask", "tensorflow", "keras", "gunicorn"},
    "inference": {"flask", "tensorflow", "keras", "gunicorn"},
    "numbers": {"flask", "tensorflow", "keras", "gunicorn"},
    "ground": {"onnxruntime", "flask", "tensorflow", "keras", "PIL"},
}


@pytest.mark.parametrize(
    "module", [m for m in MODULES if layer_of(m) in FORBIDDEN and m != "digitrec"]
)
def test_lower_layers_pull_in_no_heavy_library(module):
    loaded = subprocess.run(
        [sys.executable, "-c", LOADED, module], capture_output=True, text=True, check=True
    )
    pulled = FORBIDDEN[layer_of(module)] & set(json.loads(loaded.stdout))
    assert not pulled, f"importing {module} loads {sorted(pulled)}"


def test_the_server_never_imports_tensorflow():
    loaded = subprocess.run(
        [sys.executable, "-c", LOADED, "digitrec.web"], capture_output=True, text=True, check=True
    )
    assert not {"tensorflow", "keras"} & set(json.loads(loaded.stdout))
