"""ecrctl events setup|status|teardown|template|sample|listen|test: ECR events to a webhook."""

from __future__ import annotations

import typer

from ecrctl.cli.commands.events import admin, local, manage

app = typer.Typer(
    help="Send ECR events (push, delete, scan, replication, ...) to a webhook or SNS.",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    manage.add_commands(app)
    local.add_commands(app)
    admin.add_commands(app)
    root.add_typer(app, name="events")
