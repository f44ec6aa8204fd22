"""The rules of the house (DESIGN.md §1), checked on the source: a change that breaks one fails here.

- core/ is the typed library: it never imports the CLI (typer, click, rich, ecrctl.cli) nor the
  sandbox, so that it can be used and tested without either.
- No module over 400 lines: a module that grows past that holds two things.
- ECR is called through core/registry.py's EcrRegistry: no core module but that one and the
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
    # core/registry.py pages ECR; events and SNS page their own services.
    assert makers <= {"core/registry.py", "core/events/resources.py", "core/events/sns.py"}, makers
