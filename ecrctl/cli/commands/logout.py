"""ecrctl logout: remove what ecrctl login wrote, and the cached tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ecrctl.cli.commands.login.lines import token_cache
from ecrctl.cli.common import say, state

if TYPE_CHECKING:
    pass


def logout(
    ctx: typer.Context,
    registries: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="REGISTRY",
            help="Account id, registry host or image URI (default: your own registry).",
            show_default=False,
        ),
    ] = None,
    public: Annotated[
        bool, typer.Option("--public", help="Log out of ECR Public (public.ecr.aws).")
    ] = False,
) -> None:
    """Remove what ecrctl login wrote for these registries, and their cached tokens."""
    from ecrctl.core.ecr.api import EcrRegistry
    from ecrctl.core.login.dockerconfig import DockerConfig
    from ecrctl.core.login.targets import PUBLIC_HOST, parse_target, reported_host
    from ecrctl.core.names import registry_host

    app_state = state(ctx)
    settings = app_state.settings
    hosts: list[str] = [PUBLIC_HOST] if public else []
    names = list(registries or [])
    if not names and not public:
        clients = app_state.clients()
        account = settings.registry_id or str(
            clients.client("sts").get_caller_identity()["Account"]
        )
        # On an emulator, the host its token names (the sandbox's 127.0.0.1:PORT), as login.
        reported = reported_host(EcrRegistry(clients.ecr()), settings.registry_id)
        hosts.append(reported or str(registry_host(account, clients.region)))
    for name in names:
        target = parse_target(name)
        if target.public:
            hosts.append(PUBLIC_HOST)
        elif target.host is not None:
            hosts.append(str(target.host))
        elif target.account is not None:
            hosts.append(str(registry_host(target.account, app_state.clients().region)))
    docker_config = DockerConfig()
    cache = token_cache()
    for host in dict.fromkeys(hosts):
        removed = docker_config.erase(host)
        dropped = cache.erase(host)
        if removed or dropped:
            parts = removed + ([f"{dropped} cached token(s)"] if dropped else [])
            say(f"{host}: removed {', '.join(parts)}")
        else:
            say(f"{host}: not logged in")
    say("Logout Succeeded")


def register(app: typer.Typer) -> None:
    app.command("logout")(logout)
