"""The app, its README and its completion scripts agree (as sqlite-utils' test_docs does)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from ecrctl.cli.app import app
from ecrctl.cli.completion import Candidate, completion_scripts, format_candidate

ROOT = Path(__file__).resolve().parent.parent


def command_paths() -> list[tuple[str, ...]]:
    """Every command of the app, as the words a user types."""
    root = typer.main.get_command(app)
    ctx = typer.Context(root)
    paths: list[tuple[str, ...]] = []

    def walk(command: Any, prefix: tuple[str, ...]) -> None:
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), (*prefix, name))
        else:
            paths.append(prefix)

    walk(root, ())
    return paths


def test_completion_scripts_are_current() -> None:
    """completions/ is what the code generates (the shells run it: tests/e2e/test_completions_shells.py)."""
    for name, text in completion_scripts().items():
        path = ROOT / "completions" / name
        assert path.exists(), f"completions/{name} missing: run python -m ecrctl.cli.completion"
        assert path.read_text() == text, (
            f"completions/{name} is out of date: run python -m ecrctl.cli.completion"
        )


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_every_command_has_help_and_is_in_the_readme(cli: Any, path: tuple[str, ...]) -> None:
    result = cli(*path, "--help")
    assert result.exit_code == 0
    assert "Usage: ecrctl " + " ".join(path) in result.stdout
    readme = (ROOT / "README.md").read_text()
    assert f"ecrctl {' '.join(path)}" in readme, f"README never shows `ecrctl {' '.join(path)}`"


def test_completion_uses_no_private_typer_or_click_module() -> None:
    """Completion stands on public API only, so a typer release cannot break it silently."""
    import ast

    source = (ROOT / "ecrctl" / "cli" / "completion.py").read_text()
    imported = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    private = [
        name
        for name in imported
        if any(part.startswith("_") and not part.endswith("__") for part in name.split("."))
    ]
    assert private == []


def test_completion_loads_only_the_commands_the_line_names() -> None:
    """Completing `ecrctl ta` imports the module of `tags`, not every command's."""
    program = (
        "import sys\n"
        "from ecrctl.cli.app import app\n"
        "from ecrctl.cli.completion import answer\n"
        "answer('complete_bash', ['ecrctl', 'ta'], app)\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('ecrctl.cli.'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    answered, loaded = done.stdout.splitlines()[:-1], done.stdout.splitlines()[-1].split()
    assert answered == ["plain", "tags"]
    assert "ecrctl.cli.commands.tags" in loaded
    for other in ("repo", "images", "lifecycle", "scan", "push", "events", "login", "sandbox"):
        assert f"ecrctl.cli.commands.{other}" not in loaded


@pytest.mark.parametrize(
    ("shell", "line"),
    [
        ("zsh", "team\\:a\\\\b:Don't: stop"),  # _describe: value's \\ and : escaped
        ("fish", "team:a\\b\tDon't: stop"),  # one tab between value and description
        ("bash", "team:a\\b"),
    ],
)
def test_completion_candidate_lines_survive_the_shell(shell: str, line: str) -> None:
    candidate = Candidate("team:a\\b", "Don't:\tstop\n")
    assert format_candidate(shell, candidate) == line
