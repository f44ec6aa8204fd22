"""Values a shell completes that come from somewhere: repository names and tags (from the
registry the line names, briefly, silently), severities. cli/completion.py walks the line and
asks a parameter's completer; what the completer needs of the line (the global options, the
words before the cursor) is in the click context it is given.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from ecrctl.core.ecr.api import EcrRegistry

ARGUMENTS = "ecrctl.completion.arguments"  # ctx.meta: the positional words before the cursor


def _quick_registry(ctx: typer.Context) -> EcrRegistry:
    """The registry the line names (its --region, --profile, ...), asked once, briefly."""
    from ecrctl.cli import options
    from ecrctl.core.ecr.api import EcrRegistry
    from ecrctl.session import Clients, resolve_settings

    said = options.recorded(ctx)  # the global options given on the line so far
    settings = resolve_settings(
        profile=said.get("profile"),
        region=said.get("region"),
        endpoint_url=said.get("endpoint_url"),
        registry_id=said.get("registry_id"),
        debug=False,
    )
    return EcrRegistry(Clients(settings).quick_ecr(), settings.registry_id)


def _quietly(read: Callable[[], list[str]]) -> list[str]:
    """Candidates, or none when reading them fails (a completion never prints an error)."""
    try:
        return read()
    except Exception:
        if os.environ.get("ECRCTL_DEBUG_COMPLETION"):
            raise
        return []


def complete_repository(ctx: typer.Context, incomplete: str) -> list[str]:
    """Repository names from the registry (best effort, quick, silent)."""
    if "/" in incomplete and "." in incomplete.split("/", 1)[0]:
        return []  # a pasted URI: nothing to offer

    def names() -> list[str]:
        from ecrctl.core.repos.repositories import RepositoryService

        service = RepositoryService(_quick_registry(ctx))
        return [r.name for r in service.list_all(incomplete)]

    return _quietly(names)


def _tags_of(ctx: typer.Context, repository: str, incomplete: str) -> list[str]:
    from ecrctl.core.images.listing import ImageService
    from ecrctl.core.names import parse_image_ref

    def names() -> list[str]:
        ref = parse_image_ref(repository)
        if ref.host is not None:
            return []  # a pasted URI: another registry, maybe another region
        listed = ImageService(_quick_registry(ctx)).tag_names(ref.repository)
        return [t for t in listed if t.startswith(incomplete)]

    return _quietly(names)


def complete_tag(ctx: typer.Context, incomplete: str) -> list[str]:
    """The tags of the repository named before (``untag REPO <TAB>``), from the registry."""
    given = ctx.meta.get(ARGUMENTS) or []
    return _tags_of(ctx, given[0], incomplete) if given else []


def complete_source_tag(ctx: typer.Context, incomplete: str) -> list[str]:
    """``retag REPO <TAB>``: the tags to retag; after REPO:TAG (or SOURCE) come new tags."""
    given = ctx.meta.get(ARGUMENTS) or []
    if len(given) != 1 or ":" in given[0].rsplit("/", 1)[-1] or "@" in given[0]:
        return []
    return _tags_of(ctx, given[0], incomplete)


def complete_severity(incomplete: str) -> list[str]:
    from ecrctl.core.models import SEVERITIES

    found = [s for s in SEVERITIES if s.startswith(incomplete.upper())]
    return [s.lower() for s in found] if incomplete.islower() else found  # as typed
