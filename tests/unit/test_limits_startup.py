"""Start-up: `ecrctl --help` and `--version` answer without loading the app, with the same text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ecrctl.cli.app import COMMANDS, load
from ecrctl.cli.entry import help_cache_path

ENTRY = (
    "import sys; sys.argv = ['ecrctl', *sys.argv[1:]]\n"
    "from ecrctl.cli.entry import main\n"
    "main()\n"
    "print('loaded' if 'typer' in sys.modules else 'light', file=sys.stderr)\n"
)
APP = "import sys; sys.argv = ['ecrctl', *sys.argv[1:]]\nfrom ecrctl.cli.app import main\nmain()\n"


def run(code: str, *args: str, columns: str = "200") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": columns}
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_limits_startup_root_help_is_the_apps_and_is_kept_for_the_next_run(
    isolated_env: Path,
) -> None:
    expected = run(APP, "--help")
    assert expected.returncode == 0 and "Commands:" in expected.stdout
    first = run(ENTRY, "--help")
    assert first.stdout == expected.stdout
    assert first.stderr.strip() == "loaded"
    cached = Path(help_cache_path())
    assert cached.is_relative_to(isolated_env) and cached.read_text() == expected.stdout
    second = run(ENTRY, "--help")
    assert second.returncode == 0
    assert second.stdout == expected.stdout
    assert second.stderr.strip() == "light"  # neither typer nor a command module imported
    assert run(ENTRY, "-h").stdout == expected.stdout


def test_limits_startup_a_cache_of_other_sources_is_never_used(isolated_env: Path) -> None:
    cached = Path(help_cache_path())
    cached.parent.mkdir(parents=True)
    (cached.parent / "root-00000000.txt").write_text("stale help\n")
    assert "stale" not in run(ENTRY, "--help").stdout


def test_limits_startup_narrow_terminals_get_the_apps_wrapping(isolated_env: Path) -> None:
    narrow = run(ENTRY, "--help", columns="60")
    assert narrow.stdout == run(APP, "--help", columns="60").stdout
    assert not Path(help_cache_path()).exists()


def test_limits_startup_version_without_the_app(isolated_env: Path) -> None:
    fast = run(ENTRY, "--version")
    assert fast.stdout == run(APP, "--version").stdout
    assert fast.stdout.startswith("ecrctl ") and fast.stderr.strip() == "light"


def test_limits_startup_everything_else_runs_the_app(isolated_env: Path) -> None:
    done = run(ENTRY, "--help", "--bogus")
    assert done.returncode == 2 and "No such option" in done.stderr
    assert run(ENTRY, "uri", "--help").stdout == run(APP, "uri", "--help").stdout


LOADED = (
    "import sys; sys.argv = ['ecrctl', *sys.argv[1:]]\n"
    "from ecrctl.cli.app import main\n"
    "try:\n"
    "    main()\n"
    "finally:\n"
    "    print(*sorted(m for m in sys.modules if m.startswith('ecrctl.cli.')), file=sys.stderr)\n"
)


def test_limits_startup_a_command_loads_only_its_own_module(isolated_env: Path) -> None:
    done = run(LOADED, "--region", "eu-west-1", "-o", "json", "uri", "app", "--help")
    assert done.returncode == 0 and "Usage: ecrctl uri" in done.stdout
    loaded = set(done.stderr.split())
    assert "ecrctl.cli.commands.uri" in loaded
    assert not loaded & {
        "ecrctl.cli.commands.repo",
        "ecrctl.cli.commands.retag",
        "ecrctl.cli.commands.events",
    }
    # What the user sees is the whole app's: same help, same error for a misspelt command.
    assert done.stdout == run(APP, "uri", "app", "--help").stdout
    typo = run(LOADED, "--debug", "retgas")
    assert typo.returncode == 2 and "No such command 'retgas'" in typo.stderr
    assert "Did you mean 'retag', 'tags'?" in typo.stderr
    assert "ecrctl.cli.commands.retag" not in typo.stderr.split()  # the command table answered


def test_limits_startup_each_module_defines_exactly_its_command() -> None:
    """One module per top-level command, named as the command (ecrctl/cli/commands/)."""
    for name in COMMANDS:
        assert set(load(name)) == {name}, name


def test_limits_startup_root_lists_every_command_in_order(cli: Any) -> None:
    done = cli("--help")
    listed = [
        line.split()[0]
        for line in done.stdout.split("Commands:")[1].splitlines()
        if line.startswith("  ") and not line.startswith("   ")
    ]
    assert listed == list(COMMANDS)


PLAIN = (
    "import sys; sys.argv = ['ecrctl', *sys.argv[1:]]\n"
    "from ecrctl.cli.app import main\n"
    "try:\n"
    "    main()\n"
    "except SystemExit:\n"
    "    pass\n"
    "print('pydantic' in sys.modules, file=sys.stderr)\n"
)


def test_limits_startup_no_command_line_imports_pydantic(isolated_env: Path) -> None:
    """typer 0.29 validates every parameter through pydantic (110-140 ms more a command line,
    measured); pyproject pins the typer that does not. This fails if an upgrade brings it back."""
    cases = [
        (["uri", "app:1", "--registry-id", "123456789012", "--region", "us-east-1"], "ecr"),
        (
            [
                "tags",
                "app",
                "--sort",
                "NAME",
                "--limit",
                "5",
                "--endpoint-url",
                "http://127.0.0.1:9",
            ],
            "cannot reach AWS",
        ),
        (["lifecycle", "preview", "app", "--remote", "--timeout", "nan"], "not a finite number"),
    ]
    for argv, says in cases:
        done = run(PLAIN, *argv)
        *said, imported = done.stderr.splitlines()
        assert imported == "False", (argv, done.stderr)
        assert says in done.stdout + "\n".join(said), (argv, done.stdout, done.stderr)
