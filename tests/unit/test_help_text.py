"""--help as people read it: commands under headings with whole one-line summaries, metavars
instead of Python types, and examples that are README lines the README test runs."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest

from ecrctl.cli.app import COMMANDS
from ecrctl.cli.helptext import EXAMPLES, GROUPS, SUMMARIES
from tests.e2e.test_readme_runs import _not_here
from tests.readme_lines import commands_of, readme_lines
from tests.test_docs_and_completions import command_paths

PATHS = command_paths()
GROUP_PATHS = sorted({path[:n] for path in PATHS for n in range(1, len(path))})
README = {line.argv: line for line in readme_lines()}


def help_of(cli: Any, *words: str) -> str:
    result = cli(*words, "--help", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    return str(result.stdout)


def test_the_root_help_lists_each_command_once_under_a_heading(cli: Any) -> None:
    text = help_of(cli)
    headings = [h for h, members in GROUPS if set(members) & set(COMMANDS)]
    assert [line[:-1] for line in text.splitlines() if line[:-1] in headings] == headings
    listed = re.findall(r"^  ([a-z-]+) +(.+)$", text.split("Options:")[0], re.MULTILINE)
    assert sorted(name for name, _ in listed) == sorted(COMMANDS)
    for name, summary in listed:  # whole, on its line, at 80 columns
        assert summary == SUMMARIES[name], name
    assert "EcrRegistry" not in text
    assert not any(summary.endswith("...") for _, summary in listed)


def test_the_root_help_loads_no_command_module() -> None:
    program = (
        "import sys, typer\n"
        "from ecrctl.cli.app import app\n"
        "root = typer.main.get_command(app)\n"
        "with root.make_context('ecrctl', [], resilient_parsing=True) as ctx:\n"
        "    text = ctx.get_help()\n"
        "print(sorted(m for m in sys.modules if m.startswith('ecrctl.cli.commands.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("path", GROUP_PATHS, ids=" ".join)
def test_a_groups_help_lists_its_commands_with_whole_summaries(
    cli: Any, path: tuple[str, ...]
) -> None:
    text = help_of(cli, *path)
    commands = text.split("Commands:\n")[1].split("\n\n")[0].splitlines()
    for line in commands:
        name, summary = line.split(None, 1)
        assert summary == SUMMARIES[" ".join((*path, name))], line


@pytest.mark.parametrize("path", PATHS, ids=" ".join)
def test_every_command_shows_metavars_not_python_types(cli: Any, path: tuple[str, ...]) -> None:
    text = help_of(cli, *path)
    for python in ("<str>", "<int", "<float", "<list", "range>", "[[", "x>=", "x<=", ".0]"):
        assert python not in text, f"ecrctl {' '.join(path)} --help shows {python!r}"
    assert " ".join(path) in SUMMARIES


def _example_argv(example: str) -> tuple[str, ...]:
    found = commands_of(example)
    assert len(found) == 1, example
    return found[0].argv


@pytest.mark.parametrize("key", sorted(EXAMPLES), ids=lambda k: k or "ecrctl")
def test_every_help_example_is_a_readme_line_that_runs(key: str) -> None:
    """Each example is a README line; test_readme_runs runs it on the seeded sandbox, or names
    the test that runs it instead (push, pull, copy, sso, ...)."""
    assert key == "" or tuple(key.split()) in {*PATHS, *GROUP_PATHS}, key
    for example in EXAMPLES[key]:
        argv = _example_argv(example)
        assert argv in README, f"help example {example!r} is not a README line"
        line = README[argv]
        assert _not_here(line) is None or "tests/" in str(_not_here(line)), example


@pytest.mark.parametrize("path", PATHS, ids=" ".join)
def test_each_command_ends_with_its_readme_examples(cli: Any, path: tuple[str, ...]) -> None:
    key = " ".join(path)
    documented = {
        argv
        for argv in README
        if [w for w in argv if not w.startswith("-")][: len(path)] == list(path)
    }
    examples = EXAMPLES.get(key, ())
    assert len(examples) >= min(2, len(documented)), f"ecrctl {key}: add README lines as examples"
    if examples:
        text = help_of(cli, *path)
        assert text.rstrip().endswith("\n".join(f"  {e}" for e in examples)), key
        assert "Examples:\n" in text
