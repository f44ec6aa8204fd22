"""The ``ecrctl`` command lines of README.md, as a shell would split them, and a parse-only run.

Shared by the README docs test and the bad-input generator (which puts global options anywhere
in these lines and expects them still to parse).
"""

from __future__ import annotations

import functools
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# What the README's variables stand for when a line is run.
VARIABLES = {"${{ github.sha }}": "1.4.2", "${GIT_SHA}": "1.4.2"}
SEPARATORS = {"|", "||", "&&", "&", ";", "(", ")", "|&"}
REDIRECTS = {">", ">>", "<", "<<<", "2>", "&>"}


@dataclass(frozen=True)
class ReadmeLine:
    number: int  # the line of README.md where the command starts
    source: str  # the shell text, continuation lines joined
    argv: tuple[str, ...]  # the words after ``ecrctl``
    stdin_from: str | None = None  # ``cat FILE | ecrctl ...`` or ``ecrctl ... < FILE``
    stdin_text: str | None = None  # ``ecrctl ... <<<WORD``
    stdout_to: str | None = None  # ``ecrctl ... > FILE``

    def __str__(self) -> str:
        return f"README.md:{self.number}: ecrctl {shlex.join(self.argv)}"


def _shell_lines() -> list[tuple[int, str]]:
    """Lines of the README's code blocks, with ``\\`` and trailing-``|`` continuations joined."""
    lines: list[tuple[int, str]] = []
    in_code = False
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(README.read_text().splitlines(), start=1):
        if raw.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if not in_code:
            continue
        text = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if pending is not None:
            number, text = pending[0], pending[1] + " " + text.strip()
            pending = None
        if text.endswith("\\"):
            pending = (number, text[:-1])
            continue
        if text.endswith("|"):
            pending = (number, text)
            continue
        lines.append((number, text))
    return lines


def _words(text: str) -> list[str]:
    for name, value in VARIABLES.items():
        text = text.replace(name, value)
    text = re.sub(r"^\s*- run:\s*", "", text)  # a GitHub Actions step
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)


def readme_lines() -> list[ReadmeLine]:
    """Every ``ecrctl`` command of README.md's code blocks (alias bodies excepted: they are
    completed by the words a user types after the alias)."""
    found: list[ReadmeLine] = []
    for number, text in _shell_lines():
        if not text or text.lstrip().startswith("alias "):
            continue
        found += commands_of(text, number)
    return found


def commands_of(text: str, number: int = 0) -> list[ReadmeLine]:
    """The ``ecrctl`` commands of one shell line (a help example, a README line)."""
    found: list[ReadmeLine] = []
    words = _words(text)
    command: list[str] = []
    redirects: dict[str, str] = {}
    previous: list[str] = []
    target: str | None = None
    for word in [*words, ";"]:
        if target is not None:
            redirects[target] = word
            target = None
            continue
        if word in REDIRECTS:
            target = word
            continue
        if word in SEPARATORS or word.endswith("=$"):
            if command and command[0] == "ecrctl":
                piped = previous[1] if previous[:1] == ["cat"] and len(previous) == 2 else None
                found.append(
                    ReadmeLine(
                        number,
                        text.strip(),
                        tuple(command[1:]),
                        stdin_from=redirects.get("<") or piped,
                        stdin_text=redirects.get("<<<"),
                        stdout_to=redirects.get(">"),
                    )
                )
            previous, command, redirects = command, [], {}
            continue
        command.append(word)
    return found


@functools.cache
def _parser() -> Any:
    """The app's command tree with every command's work left out (built once)."""
    import typer

    from ecrctl.cli.app import app

    root = typer.main.get_command(app)
    ctx = typer.Context(root)

    def neuter(command: Any) -> None:
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                neuter(command.get_command(ctx, name))
        else:
            command.callback = lambda *args, **kwargs: None

    neuter(root)
    return root


def parse_only(argv: list[str]) -> str | None:
    """Run ``argv`` through the app's parser with every command's work left out: None when it
    parses, else click's usage error (what a user would see, exit 2)."""
    root = _parser()
    try:
        root.main(args=list(argv), prog_name="ecrctl", standalone_mode=False)
    except Exception as error:
        if getattr(error, "exit_code", None) == 0:
            return None  # --version, --help
        if getattr(error, "exit_code", None) == 2:
            return error.format_message() if hasattr(error, "format_message") else str(error)
        raise
    return None
