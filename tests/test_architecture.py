"""The layout's promises: no import cycles, no module over 600 lines, lazy imports justified."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "clusterctl"
MAX_LINES = 600


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    """Line numbers inside ``if TYPE_CHECKING:`` blocks (imports that never run)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in node.body:
                lines.update(range(sub.lineno, (sub.end_lineno or sub.lineno) + 1))
    return lines


def _in_functions(tree: ast.AST) -> set[int]:
    """ids of the nodes inside a function (the function's own node too), nested ones included."""
    found: set[int] = set()

    def mark(node: ast.AST, inside: bool) -> None:
        inside = inside or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        if inside:
            found.add(id(node))
        for child in ast.iter_child_nodes(node):
            mark(child, inside)

    mark(tree, False)
    return found


@cache
def _imports(name: str, path: Path) -> tuple[tuple[str, ast.stmt, bool], ...]:
    """(imported clusterctl module, statement, inside a function?) for each import that runs.

    Parsed once per process: two tests read every module's imports.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_blocks(tree)
    in_function = _in_functions(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom) or node.lineno in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            base = node.module or ""
            if node.level:  # relative: from the package, one level up per extra dot
                parent = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{parent}.{node.module}" if node.module else parent
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for target in targets:
            if target in MODULES and target != name:
                found.append((target, node, id(node) in in_function))
    return tuple(found)


def _graph() -> dict[str, set[str]]:
    return {name: {t for t, _, _ in _imports(name, path)} for name, path in MODULES.items()}


def test_no_import_cycles() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            # A package imports its submodules' names; a submodule importing its own package's
            # __init__ is Python's normal order, not a cycle of ours.
            if nxt == node.rpartition(".")[0]:
                continue
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_over_600_lines(name: str) -> None:
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{MODULES[name]} has {lines} lines"


#: What a comment by an import inside a function must hold: the start-up time it saves, or
#: where that figure is given ("see ...").
WHY = re.compile(r"[0-9.]+ ms\b|\bsee\b")


def test_every_import_inside_a_function_says_what_it_saves() -> None:
    unexplained = []
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").split("\n")
        for _target, node, in_function in _imports(name, path):
            window = "\n".join(lines[max(0, node.lineno - 3) : node.end_lineno])
            if in_function and not WHY.search(window):
                unexplained.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not unexplained, "imports inside functions without a reason: " + ", ".join(
        sorted(set(unexplained))
    )
