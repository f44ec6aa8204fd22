"""Every ``ecrctl`` command line of README.md parses, as written and with the global options
moved anywhere on the line (sqlite-utils' test_docs style)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.readme_lines import ReadmeLine, parse_only, readme_lines

LINES = readme_lines()


def test_the_readme_has_command_lines() -> None:
    assert len(LINES) >= 50
    argvs = {line.argv for line in LINES}
    assert ("tags", "team/app", "--match", "v1.*", "-o", "json") in argvs
    assert ("-o", "json", "repo", "show", "team/app") in argvs  # from `... | jq .imageCount`
    assert ("uri", "team/app:1.4.2") in argvs  # IMAGE=$(ecrctl uri "team/app:${GIT_SHA}")


@pytest.mark.parametrize("line", LINES, ids=str)
def test_readme_line_parses(line: ReadmeLine) -> None:
    assert parse_only(list(line.argv)) is None, str(line)


# Global options with values a user would type; each is a list of words kept together.
GLOBALS = st.sampled_from(
    [
        ["-o", "json"],
        ["-ojson"],
        ["--output", "text"],
        ["--output=table"],
        ["--region", "eu-west-1"],
        ["--region=us-east-1"],
        ["--profile", "dev"],
        ["--endpoint-url", "http://127.0.0.1:5000"],
        ["--registry-id", "123456789012"],
        ["--query", "[0]"],
        ["--no-color"],
        ["--debug"],
    ]
)


def _slots(argv: tuple[str, ...]) -> list[int]:
    """Where a word may go: after the program name and after any word that is not an option
    expecting a value (``--limit 5`` stays together)."""
    slots = [0]
    for i, word in enumerate(argv):
        takes_value = word.startswith("-") and "=" not in word and i + 1 < len(argv)
        takes_value = takes_value and not argv[i + 1].startswith("-")
        if not takes_value or word in {"--yes", "--dry-run", "--force", "--untagged"}:
            slots.append(i + 1)
    return slots


@settings(
    max_examples=400,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_global_options_anywhere_in_a_readme_line(data: st.DataObject) -> None:
    """A valid README line stays valid with global options put before the command, between a
    group and its subcommand, or among the subcommand's arguments: never exit 2."""
    line = data.draw(st.sampled_from(LINES))
    argv = list(line.argv)
    for words in data.draw(st.lists(GLOBALS, min_size=1, max_size=3)):
        slot = data.draw(st.sampled_from(_slots(tuple(argv))))
        argv[slot:slot] = words
    assert parse_only(argv) is None, f"{line}\nas: ecrctl {' '.join(argv)}"
