"""ecrctl uri: the full image URI, or the bare registry host."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ecrctl.cli.common import FleetOptions, grouped, state
from ecrctl.cli.completion import complete_repository
from ecrctl.cli.output import View
from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.login.targets import reported_host
from ecrctl.core.names import full_uri, resolve_host

if TYPE_CHECKING:
    from ecrctl.session import Clients


@grouped
def uri(
    ctx: typer.Context,
    ref: Annotated[
        str | None,
        typer.Argument(
            metavar="REPO[:TAG|@DIGEST]",
            help="Repository, with an optional tag or digest (none: the registry host only).",
            autocompletion=complete_repository,
        ),
    ] = None,
    fleet_options: FleetOptions = FleetOptions(),
) -> None:
    """Print the full image URI (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG), or with no
    argument the registry host alone (export registry=$(ecrctl uri))."""
    app_state = state(ctx)
    if ref is None or fleet_options.wanted:
        from ecrctl.cli.commands.uri.fleet import uris

        uris(app_state, ref, fleet_options)
        return
    image, clients = app_state.target(ref)
    host = resolve_host(
        image,
        registry_id=clients.settings.registry_id,
        region=lambda: clients.region,
        account=clients.account,  # sso_account_id when no credentials can be had
        reported=lambda: _reported(clients),
    )
    text = full_uri(image, host)
    app_state.emit(
        View(
            doc={
                "uri": text,
                "registry": str(host),
                "registryId": host.account,
                "region": host.region,
                "repository": image.repository,
                "tag": image.tag,
                "digest": image.digest,
            },
            rows=[[text]],
            text=[[text]],
        )
    )


def register(app: typer.Typer) -> None:
    app.command("uri")(uri)


def _reported(clients: Clients) -> str | None:
    """An emulator's registry host (the sandbox's); None without credentials, where the host
    is built from ``sso_account_id`` and the region (an SSO profile never signed in)."""
    try:
        return reported_host(EcrRegistry(clients.ecr()), clients.settings.registry_id)
    except Exception as error:
        if clients.account_without_credentials(error) is None:
            raise
        return None
