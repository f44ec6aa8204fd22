"""The rules of the house (ARCHITECTURE.md), checked on the source: a change that breaks one fails here.

- core/ is the typed library: it never imports the CLI (typer, click, rich, ecrctl.cli) nor the
  sandbox, so that it can be used and tested without either.
- No module over 400 lines: a module that grows past that holds two things.
- ECR is called through core/ecr/api.py's EcrRegistry: no core module but that one and the
  session builds its own client or paginator.
- No module patches a dependency: no ``setattr`` on, and no assignment to an attribute of, a
  module it imports (typer, click, botocore, the standard library) or a member of one. Start-up
  time is won through public API (the lazy group, the root-help cache, the typer version), never
  by replacing a dependency's function: that breaks silently on its next release.
- core/ reports through the callbacks it is given: it never prints nor touches sys.stdout or
  sys.stderr (cli/streams.py owns them).
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
    # core/ecr/api.py pages ECR; events, SNS and Organizations page their own services.
    assert makers <= {
        "core/ecr/api.py",
        "core/events/resources.py",
        "core/events/sns.py",
        "core/org/accounts.py",
    }, makers


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


def _imported_names(tree: ast.AST) -> set[str]:
    """The names a module binds by importing anything but ecrctl (``import a.b`` binds ``a``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != "ecrctl":
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            top = node.module.split(".")[0]
            names.update(alias.asname or alias.name for alias in node.names if top != "ecrctl")
    return names


def _root_name(node: ast.expr) -> str | None:
    """``a`` for ``a.b.c``, ``a.b[0].c`` and ``a``; None when the chain starts elsewhere."""
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _patched_target(target: ast.expr, imported: set[str]) -> bool:
    """An attribute of an imported name (``typer.core.x``, also among ``a, b = ...``), or an
    entry of its ``__dict__``. A key set in a mapping it holds (``os.environ[k] = v``) is not."""
    if isinstance(target, ast.Tuple | ast.List):
        return any(_patched_target(element, imported) for element in target.elts)
    if isinstance(target, ast.Starred):
        return _patched_target(target.value, imported)
    through_dict = isinstance(target, ast.Subscript) and "__dict__" in ast.unparse(target.value)
    return (isinstance(target, ast.Attribute) or through_dict) and _root_name(target) in imported


def dependency_patches(source: str) -> list[str]:
    """Lines of ``source`` that change a module it imports, or a member of one: ``setattr`` /
    ``delattr`` on it, or an assignment (``=``, ``+=``, annotated) or ``del`` of its attribute."""
    tree = ast.parse(source)
    imported = _imported_names(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Call):
            setter = ast.unparse(node.func) in {"setattr", "delattr", "object.__setattr__"}
            if setter and node.args and _root_name(node.args[0]) in imported:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
            continue
        if isinstance(node, ast.Assign | ast.Delete):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        if any(_patched_target(t, imported) for t in targets):
            found.append(f"{node.lineno}: {ast.unparse(node).splitlines()[0]}")
    return found


def test_no_module_patches_a_dependency() -> None:
    patches = {
        str(p.relative_to(PACKAGE)): found
        for p in modules()
        if (found := dependency_patches(p.read_text(encoding="utf-8")))
    }
    assert not patches, patches


@pytest.mark.parametrize(
    "source",
    [
        "import typer.core\nsetattr(typer.core, 'build_runtime_param', lambda d: d)",
        "import typer.core as tc\ntc.build_runtime_param = None",
        "from typer.core import TyperGroup\nTyperGroup.parse_args = lambda *a: []",
        "from typer import core\ndef f():\n    core.x, y = 1, 2",
        "import botocore.loaders\nbotocore.loaders.Loader.load_service_model += 1",
        "import sys\nsys.stdout = open('/dev/null')",
        "import click\ndel click.Group.invoke",
        "import typer\ntyper.core.__dict__['x'] = 1",
        "import typer\ndelattr(typer, 'Typer')",
        "import typer\n[*typer.x] = [1]",
    ],
)
def test_the_patch_check_sees_a_patch(source: str) -> None:
    assert dependency_patches(source), source


def test_the_patch_check_leaves_our_own_objects_alone() -> None:
    source = (
        "import typer\nfrom ecrctl.cli import options\nfrom . import app\n"
        "holder = typer.Typer()\nholder.info.cls = None\noptions.SECTION = 'x'\n"
        "app.x = 1\nsetattr(holder, 'y', 2)\nimport os\nos.environ['K'] = 'v'\n"
        "class G(typer.core.TyperGroup):\n"
        "    def f(self):\n        self.commands = {}\n"
    )
    assert dependency_patches(source) == []


_STREAMS = {"stdout", "stderr", "__stdout__", "__stderr__"}


def stream_writes(source: str) -> list[str]:
    """Lines of ``source`` that print or reach the process's stdout/stderr themselves."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "print"
        ):
            found.append(f"{node.lineno}: print(...)")
        elif isinstance(node, ast.Attribute) and node.attr in _STREAMS:
            if isinstance(node.value, ast.Name) and node.value.id == "sys":
                found.append(f"{node.lineno}: sys.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "sys":
            found += [
                f"{node.lineno}: from sys import {a.name}" for a in node.names if a.name in _STREAMS
            ]
    return found


def test_core_never_writes_to_stdout_or_stderr() -> None:
    """core/ reports through injected callbacks (warn=, progress=, log=): the CLI's stream owner
    or the credential helper decides where a message goes."""
    writers = {
        str(p.relative_to(PACKAGE)): found
        for p in modules("core")
        if (found := stream_writes(p.read_text(encoding="utf-8")))
    }
    assert not writers, writers


@pytest.mark.parametrize(
    "source",
    [
        "print('hello')",
        "import sys\nsys.stderr.write('warning')",
        "import sys\ndef f(out=sys.stdout): pass",
        "from sys import stderr",
        "import sys\nsys.__stderr__.flush()",
    ],
)
def test_the_stream_check_sees_a_write(source: str) -> None:
    assert stream_writes(source), source
