"""ecrctl pull REPO[:TAG|@DIGEST]: through the docker engine, with progress."""

from __future__ import annotations

from typing import Annotated

import typer

from ecrctl.cli.common import say, state
from ecrctl.cli.completion import complete_repository
from ecrctl.cli.engine import emit, run_engine


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
    """Pull an image from ECR into the docker engine, with progress per layer.

    No daemon? `ecrctl copy REPO:TAG oci:DIR:TAG` or `ecrctl copy REPO:TAG docker-archive:FILE`
    write an OCI layout or a tarball that `docker load` reads, straight from the registry.
    """
    from ecrctl.core.images import transfer

    app_state = state(ctx)
    ref, clients = app_state.target(ref_text)
    reference = ref.suffix or ":latest"
    client = transfer.engine()
    result = run_engine(
        app_state,
        transfer.pull,
        client,
        ref=ref,
        clients=clients,
        announce=lambda uri: f"pulling {uri}{reference}",
        reference=reference,
    )
    say(f"pulled {result.uri}")
    emit(app_state, result.to_json())


def register(app: typer.Typer) -> None:
    app.command("pull")(pull)
