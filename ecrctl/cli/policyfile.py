"""A lifecycle policy file (or stdin), read within ECR's limit and checked: for lifecycle and
repo create."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ecrctl.cli.common import say
from ecrctl.core.exceptions import InvalidInput

if TYPE_CHECKING:  # the lifecycle core is imported by the commands, not by --help
    from ecrctl.core.lifecycle.model import Policy


def read_text(path: str) -> tuple[str, str]:
    """The text of FILE (``-`` for stdin) and the name to report it by."""
    from ecrctl.core.inputs import read_at_most, read_file_at_most
    from ecrctl.core.lifecycle.model import MAX_POLICY_CHARS

    # Never more than ECR's limit + 1 characters: /dev/zero or a 50 MB file is refused at once,
    # before any parsing.
    hint = f"; ECR takes a lifecycle policy of at most {MAX_POLICY_CHARS:,} (nothing was sent)"
    if path == "-":
        return read_at_most(sys.stdin, MAX_POLICY_CHARS, "<stdin>", hint), "<stdin>"
    return read_file_at_most(path, MAX_POLICY_CHARS, hint), path


def load_policy(path: str) -> Policy:
    """A valid policy from FILE; otherwise every problem on stderr, then exit 2."""
    from ecrctl.core.lifecycle.validate import check_policy

    text, source = read_text(path)
    policy, problems = check_policy(text)
    if policy is None:
        for problem in problems:
            say(f"{source}: {problem}")
        count = len(problems)
        raise InvalidInput(
            f"{source} is not a valid lifecycle policy "
            f"({count} problem{'s' if count != 1 else ''}; nothing was sent to AWS)"
        )
    return policy
