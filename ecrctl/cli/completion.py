"""Shell completion of repository names from the registry (best effort, quick, silent)."""

from __future__ import annotations

import os

import click


def complete_repository(ctx: click.Context, incomplete: str) -> list[str]:
    if "/" in incomplete and "." in incomplete.split("/", 1)[0]:
        return []  # a pasted URI: nothing to offer
    try:
        from botocore.config import Config

        from ecrctl.core.repos import RepositoryService
        from ecrctl.session import Clients, resolve_settings

        root = ctx.find_root().params
        settings = resolve_settings(
            profile=root.get("profile"),
            region=root.get("region"),
            endpoint_url=root.get("endpoint_url"),
            registry_id=root.get("registry_id"),
            debug=False,
        )
        clients = Clients(settings)
        ecr = clients.session.client(
            "ecr",
            region_name=clients.region,
            endpoint_url=settings.endpoint_url,
            config=Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 1}),
        )
        names = [r.name for r in RepositoryService(ecr, settings.registry_id).list_all(incomplete)]
    except Exception:
        if os.environ.get("ECRCTL_DEBUG_COMPLETION"):
            raise
        return []
    return names
