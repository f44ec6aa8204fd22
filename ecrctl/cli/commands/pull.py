"""ecrctl pull REPO[:TAG|@DIGEST]: through the docker engine, with progress."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ecrctl.cli.common import say, state
from ecrctl.cli.completion import complete_repository

if TYPE_CHECKING:
    pass

from ecrctl.cli.engine import Progress, emit, registry_token


def pull(
    ctx: typer.Context,
    ref_text: Annotated[
        str,
        typer.Argument(
            metavar="REPO[:TAG|@DIGEST]",
            help="ECR repository (or full URI) and tag or digest (default tag: latest).",
            autocompletion=complete_repository,
        ),
    ],
) -> None:
    """Pull an image from ECR into the docker engine, with progress per layer."""
    from ecrctl.core import transfer

    app_state = state(ctx)
    ref, clients = app_state.target(ref_text)
    reference = ref.reference or ":latest"
    client = transfer.engine()
    token = registry_token(clients, ref)
    repository_uri = f"{token.host}/{ref.repository}"
    say(f"pulling {repository_uri}{reference}")
    with Progress(app_state.color) as progress:
        result = transfer.pull(
            client,
            repository_uri=repository_uri,
            reference=reference,
            host=token.host,
            username=token.username,
            password=token.password,
            on_event=progress,
        )
    say(f"pulled {result.uri}")
    emit(app_state, result.to_json())


def register(app: typer.Typer) -> None:
    app.command("pull")(pull)
