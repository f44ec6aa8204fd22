"""Start-up: `ecrctl --help` and `--version` answer without loading the app, with the same text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecrctl.cli.entry import help_cache_path
from ecrctl.cli.main import (
    COMMANDS,
    FLAG_OPTIONS,
    MODULES,
    VALUE_OPTIONS,
    app,
    build,
    command_of,
)

ENTRY = (
    "import sys; sys.argv = ['ecrctl', *sys.argv[1:]]\n"
    "from ecrctl.cli.entry import main\n"
    "main()\n"
    "print('loaded' if 'typer' in sys.modules else 'light', file=sys.stderr)\n"
)
APP = "import sys; sys.argv = ['ecrctl', *sys.argv[1:]]\nfrom ecrctl.cli.main import main\nmain()\n"


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
    "from ecrctl.cli.main import main\n"
    "try:\n"
    "    main()\n"
    "finally:\n"
    "    print(*sorted(m for m in sys.modules if m.startswith('ecrctl.cli.')), file=sys.stderr)\n"
)


def test_limits_startup_a_command_loads_only_its_own_module(isolated_env: Path) -> None:
    done = run(LOADED, "--region", "eu-west-1", "-o", "json", "uri", "app", "--help")
    assert done.returncode == 0 and "Usage: ecrctl uri" in done.stdout
    loaded = set(done.stderr.split())
    assert "ecrctl.cli.uri" in loaded
    assert not loaded & {"ecrctl.cli.repo", "ecrctl.cli.retag", "ecrctl.cli.events"}
    # What the user sees is the whole app's: same help, same error for a misspelt command.
    assert done.stdout == run(APP, "uri", "app", "--help").stdout
    typo = run(LOADED, "--debug", "retgas")
    assert typo.returncode == 2 and "No such command 'retgas'" in typo.stderr
    assert "ecrctl.cli.retag" in typo.stderr.split()  # the whole app answered


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["tags", "app"], "tags"),
        (["-o", "json", "--query", "[0]", "repo", "list"], "repo"),
        (["--output=json", "--region=eu-west-1", "images", "x"], "images"),
        (["-ojson", "--no-color", "--debug", "scan", "app"], "scan"),
        (["--profile", "tags", "events"], "events"),  # "tags" is the profile's name here
        (["--endpoint-url", "http://h:1", "--registry-id", "1" * 12, "untag"], "untag"),
        (["--help"], None),
        (["--version", "tags"], None),
        (["--profile"], None),
        (["retgas"], None),
        (["--bogus", "tags"], None),
        ([], None),
    ],
)
def test_limits_startup_command_of_skips_the_root_options(
    args: list[str], command: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("_ECRCTL_COMPLETE", raising=False)
    assert command_of(args) == command


def test_limits_startup_shell_completion_gets_the_whole_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("_ECRCTL_COMPLETE", "complete_bash")
    assert command_of(["tags", "app"]) is None


def test_limits_startup_the_command_table_matches_the_app() -> None:
    import typer

    whole = typer.main.get_command(app)
    assert set(whole.commands) == set(COMMANDS)  # type: ignore[attr-defined]
    assert list(dict.fromkeys(COMMANDS.values())) == list(MODULES)
    for name, module in COMMANDS.items():
        alone = typer.main.get_command(build(name))
        assert name in alone.commands  # type: ignore[attr-defined]
        assert set(alone.commands) == {  # type: ignore[attr-defined]
            n for n, m in COMMANDS.items() if m == module
        }
    takes_value = {o for p in whole.params if not p.is_flag for o in p.opts}  # type: ignore[attr-defined]
    flags = {o for p in whole.params if p.is_flag for o in p.opts}  # type: ignore[attr-defined]
    assert takes_value == VALUE_OPTIONS
    # The rest end the run before any command: the whole app answers them.
    ending = {"--help", "-h", "--version", "--install-completion", "--show-completion"}
    assert flags - ending == FLAG_OPTIONS
    assert all(command_of([flag, "tags"]) is None for flag in ending)
