"""The shape of the tree: imports run downward. No import cycle (function-level imports count: a cycle hidden in a
function is still one), no module imports a command module (a command's pieces live in library modules that
both import), and the stage packages talk to each other only through files, sharing `common` alone."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("common", "data_collection", "pretrain", "finetune", "inference")
# imports from one stage package into another, each with the reason it is not a file hand-over
CROSS_STAGE_ALLOWED = {
    ("pretrain.plan", "finetune.config"): "the memory planner reads fine-tuning recipes as well as pretraining ones",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def _imports(tree: ast.Module, known: set[str]) -> set[str]:
    """Project modules imported anywhere in the module (top level or inside functions)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in known:
                found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in known}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in known}
    return found


def _is_command(tree: ast.Module) -> bool:
    """A module with a top-level `if __name__ == "__main__":` (text in a docstring does not count)."""
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Compare):
            left, right = node.test.left, node.test.comparators[0]
            if isinstance(left, ast.Name) and left.id == "__name__" and getattr(right, "value", None) == "__main__":
                return True
    return False


def _graph() -> tuple[dict[str, set[str]], set[str]]:
    modules = _modules()
    trees = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in modules.items()}
    graph = {name: _imports(tree, set(modules)) - {name} for name, tree in trees.items()}
    return graph, {name for name, tree in trees.items() if _is_command(tree)}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle():
    graph, _ = _graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_module_imports_a_command():
    graph, commands = _graph()
    assert {"inference.generate", "data_collection.filter", "pretrain.train"} <= commands  # the detector works
    bad = sorted(f"{m} -> {d}" for m, deps in graph.items() for d in deps if d in commands)
    assert not bad, "imports of a command module (move the shared piece to a library module): " + ", ".join(bad)


def test_stage_packages_share_only_common():
    graph, _ = _graph()
    bad = sorted(f"{m} -> {d}" for m, deps in graph.items() for d in deps
                 if m.split(".")[0] != d.split(".")[0] and d.split(".")[0] != "common"
                 and (m, d) not in CROSS_STAGE_ALLOWED)
    assert not bad, "a stage package imports another (stages hand over files; share code through common/): " + \
        ", ".join(bad)
    assert not any(d.split(".")[0] != "common" for m, deps in graph.items() if m.startswith("common")
                   for d in deps), "common/ must not import a stage package"


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ({"a": {"a2"}, "a2": set(), "x": {"y"}, "y": {"x"}}, ["x", "y", "x"]),
])
def test_cycle_finder(graph, expected):
    assert find_cycle(graph) == expected
