"""ecrctl retag: point new tags at an image on the server, same bytes and digest."""

from __future__ import annotations

from typing import Annotated

import typer

from ecrctl.cli.common import (
    MAX_NOTES,
    RepoArg,
    say,
    say_capped,
    state,
    workers,
)
from ecrctl.cli.output import View, cell, short_digest
from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import Refused
from ecrctl.core.images.retag import RetagResult, RetagService, TagOutcome
from ecrctl.core.names import short_media_type


def _change(outcome: TagOutcome) -> str:
    old = short_digest(outcome.previous_digest)
    new = short_digest(outcome.digest)
    if outcome.outcome == "moved":
        return f"{old} → {new}"
    if outcome.outcome == "created":
        return f"→ {new}"
    if outcome.outcome == "unchanged":
        return f"= {new}"
    return f"{old} (kept)" if outcome.previous_digest else "-"


def retag_view(result: RetagResult) -> View:
    return View(
        doc=result.to_json(),
        headers=("tag", "outcome", "digest", "note"),
        rows=[[o.tag, o.outcome, _change(o), o.reason or ""] for o in result.tags],
        text=[[o.tag, o.outcome, cell(o.previous_digest), cell(o.digest)] for o in result.tags],
    )


def retag(
    ctx: typer.Context,
    repo: RepoArg,
    source: Annotated[
        str, typer.Argument(metavar="SOURCE", help="The tag or @sha256:... digest to retag.")
    ],
    new_tags: Annotated[
        list[str], typer.Argument(metavar="NEW_TAG...", help="Tags to point at SOURCE.")
    ],
    no_clobber: Annotated[
        bool,
        typer.Option(
            "--no-clobber",
            help="Refuse (exit 1, nothing changed) if a new tag already names another image.",
        ),
    ] = False,
) -> None:
    """Point new tags at an image on the server: same bytes, same media type, same digest.

    A tag that already names the image is unchanged (success). In a mutable repository a tag
    that names another image moves (old → new digest) unless --no-clobber; an immutable
    repository refuses such moves (exit 1) and the other tags are still applied.
    """
    app_state = state(ctx)
    ref, clients = app_state.target(repo, allow_reference=False)

    def retrying(attempt: int, code: str) -> None:
        if clients.settings.debug:
            say(f"debug: {code}, retry {attempt} after backoff")

    service = RetagService(
        EcrRegistry(clients.ecr(bulk_writes=True), clients.settings.registry_id),
        on_retry=retrying,
        workers=workers(),
    )
    result = service.retag(ref.repository, source, new_tags, no_clobber=no_clobber)
    app_state.emit(retag_view(result))
    say_capped([f"{o.tag}: {o.outcome}: {o.reason}" for o in result.failed])
    say(_summary(result, ref.repository, source))
    if not result.ok:
        failed = result.failed
        named = ", ".join(f"{o.tag} ({o.outcome})" for o in failed[:MAX_NOTES])
        more = f" and {len(failed) - MAX_NOTES} more" if len(failed) > MAX_NOTES else ""
        raise Refused(f"{len(failed)} of {len(result.tags)} tag(s) not applied: {named}{more}")


def _summary(result: RetagResult, repository: str, source: str) -> str:
    """``repo:tag (manifest sha256:abc…): 2 created, 1 unchanged``."""
    counts: dict[str, int] = {}
    for outcome in result.tags:
        counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
    done = ", ".join(f"{n} {what}" for what, n in counts.items())
    return (
        f"{repository}{'@' if result.source_is_digest else ':'}{source.lstrip('@')} "
        f"({short_media_type(result.media_type)} {short_digest(result.digest)}): {done}"
    )


def register(app: typer.Typer) -> None:
    app.command("retag")(retag)
