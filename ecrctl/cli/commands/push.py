"""ecrctl push LOCAL_IMAGE REPO[:TAG] [--create]: through the docker engine, with progress."""

from __future__ import annotations

from typing import Annotated

import typer

from ecrctl.cli.common import say, state
from ecrctl.cli.completion import complete_repository
from ecrctl.cli.engine import emit, run_engine
from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.models import human_size
from ecrctl.core.names import validate_tag


def push(
    ctx: typer.Context,
    local_image: Annotated[
        str, typer.Argument(metavar="LOCAL_IMAGE", help="A local image (name[:tag] or id).")
    ],
    repo: Annotated[
        str,
        typer.Argument(
            metavar="REPO[:TAG]",
            help="ECR repository (or full URI); TAG defaults to the local tag, else latest.",
            autocompletion=complete_repository,
        ),
    ],
    create: Annotated[
        bool, typer.Option("--create", help="Create the repository first if it does not exist.")
    ] = False,
) -> None:
    """Push a local image to ECR through the docker engine, with progress per layer.

    No daemon? `ecrctl copy oci:DIR:TAG REPO:TAG` or `ecrctl copy docker-archive:FILE REPO:TAG`
    push an OCI layout or a `docker save` tarball straight to the registry.
    """
    from ecrctl.core.images import transfer

    app_state = state(ctx)
    ref, clients = app_state.target(repo)
    if ref.digest:
        raise InvalidInput("push to a tag (REPO:TAG), not a digest")
    tag = ref.tag or transfer.local_tag(local_image) or "latest"
    validate_tag(tag)
    client = transfer.engine()  # before any AWS call: no engine, no point
    if create:
        from ecrctl.core.repos.repositories import RepositoryService

        _, created = RepositoryService(
            EcrRegistry(clients.ecr(), clients.settings.registry_id)
        ).create(ref.repository, exist_ok=True)
        if created:
            say(f"created repository {ref.repository}")
    result = run_engine(
        app_state,
        transfer.push,
        client,
        local_image,
        ref=ref,
        clients=clients,
        announce=lambda uri: f"pushing {local_image} to {uri}:{tag}",
        tag=tag,
    )
    size = f" ({human_size(result.size_bytes)} manifest)" if result.size_bytes else ""
    say(f"pushed {result.uri} {result.digest or ''}{size}".rstrip())
    emit(app_state, result.to_json())


def register(app: typer.Typer) -> None:
    app.command("push")(push)
