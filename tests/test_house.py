"""The rules of the house (ARCHITECTURE.md), checked on the source: a change that breaks one fails here.

- core/ is the typed library: it never imports the CLI (typer, click, rich, ecrctl.cli) nor the
  sandbox, so that it can be used and tested without either.
- No module over 400 lines: a module that grows past that holds two things.
- ECR is called through core/ecr/api.py's EcrRegistry: no core module but that one and the
  session builds its own client or paginator.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ecrctl"
MAX_LINES = 400


def modules(under: str = "") -> list[Path]:
    return sorted((PACKAGE / under).rglob("*.py"))


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", modules("core"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_never_imports_the_cli_or_the_sandbox(path: Path) -> None:
    forbidden = ("typer", "click", "rich", "ecrctl.cli", "ecrctl.sandbox")
    bad = sorted(
        name
        for name in imported(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )
    assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"over {MAX_LINES} lines: {long}"


def test_ecr_paginators_are_made_in_the_registry_wrapper_only() -> None:
    makers = {
        str(p.relative_to(PACKAGE))
        for p in modules("core")
        if "get_paginator(" in p.read_text(encoding="utf-8")
    }
    # core/ecr/api.py pages ECR; events and SNS page their own services.
    assert makers <= {"core/ecr/api.py", "core/events/resources.py", "core/events/sns.py"}, makers


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """ecrctl module -> the ecrctl modules it imports, wherever the import stands (at the top, in
    a function, under TYPE_CHECKING): a circle hidden in a function is still a circle."""
    known = {_module_name(p) for p in modules()}
    graph: dict[str, set[str]] = {}
    for path in modules():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges.update(a.name for a in node.names if a.name in known)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module in known:
                    edges.add(node.module)
                edges.update(
                    f"{node.module}.{a.name}"
                    for a in node.names
                    if f"{node.module}.{a.name}" in known
                )
        name = _module_name(path)
        edges.discard(name)
        graph[name] = edges
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that reach each other (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_two_modules_import_each_other() -> None:
    """No circles between files: what two modules share lives in a third, below both."""
    # The listener's circle is broken on the hostile-peers branch (issue 23); removed at its merge.
    assert circles(import_graph()) == [
        ["ecrctl.core.events.handler", "ecrctl.core.events.listener"]
    ]


def test_the_circle_check_sees_a_circle_in_a_function() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]
    assert "ecrctl.cli.commands.events.admin" in import_graph()["ecrctl.cli.commands.events"]


def test_every_end_to_end_module_is_marked_e2e() -> None:
    """`pytest -m "not e2e"` is the quick run: a file under tests/e2e/ that forgets the mark
    would slip into it (and its subprocesses and servers with it)."""
    unmarked = []
    for path in sorted((PACKAGE.parent / "tests" / "e2e").glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        marks = [
            ast.unparse(node.value)
            for node in tree.body
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
        ]
        if not any("pytest.mark.e2e" in mark for mark in marks):
            unmarked.append(path.name)
    assert unmarked == []
