"""--help through the installed ecrctl: commands under headings, each summary whole on its line
at 80 columns (the cached root help too), metavars people read, examples at the end."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from ecrctl.cli.helptext import GROUPS, SUMMARIES
from tests.conftest import ecrctl_command

pytestmark = pytest.mark.e2e


def ecrctl(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env |= {"COLUMNS": "80", "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    return subprocess.run(
        [*ecrctl_command(), *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_the_root_help_groups_commands_with_whole_summaries(tmp_path: Path) -> None:
    first = ecrctl("--help", home=tmp_path)  # renders it, and keeps it
    again = ecrctl("--help", home=tmp_path)  # from the cache
    assert first.returncode == again.returncode == 0
    assert first.stdout == again.stdout
    assert list((tmp_path / ".cache" / "ecrctl" / "help").iterdir())
    text = first.stdout
    headings = [line[:-1] for line in text.splitlines() if line.endswith(":") and line[0] != " "]
    assert headings[: len(GROUPS)] == [heading for heading, _ in GROUPS]
    for name, summary in re.findall(r"^  ([a-z-]+) +(.+)$", text.split("Options:")[0], re.M):
        assert summary == SUMMARIES[name]  # whole, on one line
    assert "  sandbox    Run a local ECR emulator (no AWS account needed)" in text
    assert "EcrRegistry" not in text
    assert text.rstrip().endswith(
        "Each command's --help shows its options and examples: ecrctl COMMAND --help."
    )


def test_a_commands_help_reads_as_people_type_it(tmp_path: Path) -> None:
    retag = ecrctl("retag", "--help", home=tmp_path).stdout
    assert retag.startswith("Usage: ecrctl retag [OPTIONS] IMAGE [SOURCE] NEW_TAG...\n")
    assert retag.rstrip().endswith(
        "Examples:\n"
        "  ecrctl retag team/app:1.4.2 stable\n"
        "  ecrctl retag team/app 1.4.2 stable prod\n"
        "  ecrctl retag team/app 1.4.3 stable --no-clobber"
    )
    sandbox = ecrctl("sandbox", "--help", home=tmp_path).stdout
    assert "  --port PORT  Port on 127.0.0.1.  [default: 5000]\n" in sandbox
    preview = ecrctl("lifecycle", "preview", "--help", home=tmp_path).stdout
    assert "[default: 600]" in preview
    enable = ecrctl("events", "enable", "--help", home=tmp_path).stdout
    assert enable.startswith("Usage: ecrctl events enable [OPTIONS] [NAME]\n")
    for text in (retag, sandbox, preview, enable):
        assert not re.search(r"<(str|int|float|list)|\[\[|x>=|x<=|range>", text), text
