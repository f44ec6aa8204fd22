"""The app, its README and its completion scripts agree (as sqlite-utils' test_docs does)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer

from ecrctl.cli.app import app
from ecrctl.cli.completion import completion_scripts

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


def test_bash_completion_offers_commands_and_repository_names(
    run_ecrctl: Any, server_ecr: Any, server_env: dict[str, str]
) -> None:
    """Run the generated bash script in a real bash, as a shell would."""
    server_ecr.create_repository(repositoryName="team/app")
    server_ecr.create_repository(repositoryName="team/api")
    server_ecr.create_repository(repositoryName="other")
    script = (ROOT / "completions" / "ecrctl.bash").read_text()
    words = {"ecrctl ta": 1, "ecrctl tags team/": 2}
    results = {}
    for line, cword in words.items():
        program = (
            f"{script}\nCOMP_WORDS=({line}); COMP_CWORD={cword}; "
            f"_ecrctl_completion ecrctl; printf '%s\\n' \"${{COMPREPLY[@]}}\""
        )
        done = subprocess.run(
            ["bash", "-c", program],
            env=server_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        results[line] = done.stdout.split()
    assert "tags" in results["ecrctl ta"]
    assert sorted(results["ecrctl tags team/"]) == ["team/api", "team/app"]
