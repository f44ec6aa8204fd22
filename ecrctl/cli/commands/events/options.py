"""Options and the webhook password that the events subcommands share."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Annotated

import typer

from ecrctl.cli.common import interactive
from ecrctl.core.exceptions import InvalidInput

PASSWORD_ENV = "ECRCTL_WEBHOOK_PASSWORD"
MAX_PASSWORD_STDIN = 4096  # a connection password is at most 512 characters

NameOpt = Annotated[
    str | None,
    typer.Option("--name", metavar="NAME", help="Names every resource [default: ecrctl-webhook]."),
]
BusOpt = Annotated[
    str | None,
    typer.Option(
        "--event-bus", metavar="BUS", help="Event bus of the rule [default: recorded, or default]."
    ),
]


@dataclass(frozen=True)
class Which:
    """--name and --event-bus, the option group of the commands that act on one events setup
    (status, disable, enable, teardown): which one, on which bus."""

    name: NameOpt = None
    event_bus: BusOpt = None


PasswordStdinOpt = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help=f"Read the password from stdin (else {PASSWORD_ENV}, else a hidden prompt).",
    ),
]
EventOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--event",
        metavar="KINDS",
        help="all, or push, push-failed, delete, delete-failed, scan, replication, "
        "replication-failed, pull-through, referrer, scan-resource-change (comma-separated "
        "or repeated) [push,delete,scan].",
    ),
]
ResultOpt = Annotated[
    str | None,
    typer.Option(
        "--result",
        metavar="success|failed|any",
        help="Which results of push, delete and replication [success].",
    ),
]
RepositoryOpt = Annotated[
    list[str] | None,
    typer.Option("--repository", metavar="REPO", help="Only events of these repositories."),
]


def read_password(from_stdin: bool, *, prompt: str = "Webhook password") -> str:
    """--password-stdin, else the environment, else a hidden prompt; never an argument."""
    from ecrctl.core.events.model import check_password

    if from_stdin:
        from ecrctl.core.inputs import read_at_most

        hint = "; a webhook password is at most 512"
        password = read_at_most(sys.stdin, MAX_PASSWORD_STDIN, "--password-stdin", hint)
        password = password.rstrip("\r\n")
        if not password:
            raise InvalidInput("--password-stdin: nothing was read from stdin")
    elif os.environ.get(PASSWORD_ENV):
        password = os.environ[PASSWORD_ENV]
    elif interactive():
        password = str(typer.prompt(prompt, hide_input=True, err=True))
    else:
        raise InvalidInput(
            f"no webhook password: pass --password-stdin, set {PASSWORD_ENV}, "
            "or run on a terminal to be asked"
        )
    return check_password(password)
