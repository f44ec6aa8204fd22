"""ecrctl where IMAGE: every profile, region and repository that holds a tag or a digest."""

from __future__ import annotations

from typing import Annotated

import typer

from ecrctl.cli import fleet
from ecrctl.cli.common import FleetOptions, grouped, say, state
from ecrctl.cli.completion import complete_repository
from ecrctl.cli.output import Column, View, cell, short_time
from ecrctl.core.exceptions import InvalidInput, NotFound
from ecrctl.core.fleet import Located, ProfileContext, locate
from ecrctl.core.names import parse_image_ref

COLUMNS = (
    Column("repository", min_width=10),
    Column("tags", min_width=8),
    Column("digest", min_width=17),
    Column("pushed", drop=1),
)


@grouped
def where(
    ctx: typer.Context,
    image: Annotated[
        str,
        typer.Argument(
            metavar="IMAGE",
            help="repo:tag or repo@sha256:... (a full URI's registry part is ignored).",
            autocompletion=complete_repository,
        ),
    ],
    fleet_options: FleetOptions,
) -> None:
    """Which profiles (or accounts), regions and repositories hold IMAGE, and the digest each
    tag points at.

    Exit 3 when it is found nowhere; exit 1 when a source could not be asked (one stderr line
    each, the others still printed)."""
    ref = parse_image_ref(image)
    if not ref.tag and not ref.digest:
        raise InvalidInput(f"{image}: name a tag (repo:tag) or a digest (repo@sha256:...)")
    app_state = state(ctx)
    asked = fleet.request(app_state, fleet_options)
    asked.explicit = True  # absence in one source is an answer, failures are per source

    def read(context: ProfileContext, region: str) -> list[Located]:
        registry = context.access.registry(region)
        return locate(registry, ref.repository, tag=ref.tag, digest=ref.digest)

    result = fleet.run(app_state, asked, read)
    views = [(o, _view(o.value or [])) for o in result.succeeded if o.value]
    app_state.emit(fleet.tagged(views, by_account=asked.accounts is not None))
    digests = {found.digest for o in result.succeeded for found in o.value or []}
    if len(digests) > 1:
        say(f"note: {image} points at {len(digests)} different digests")
    fleet.finish(result)
    if not views:
        asked_in = len(result.outcomes)
        plural = "s" if asked_in != 1 else ""
        raise NotFound(f"{image} found in none of the {asked_in} source{plural} asked")


def _view(found: list[Located]) -> View:
    return View(
        doc=[f.to_json() for f in found],
        headers=tuple(c.header for c in COLUMNS),
        columns=COLUMNS,
        rows=[
            [f.repository, cell(list(f.tags)), f.digest, short_time(f.to_json()["pushedAt"])]
            for f in found
        ],
        text=[[f.repository, cell(list(f.tags)), f.digest] for f in found],
    )


def register(app: typer.Typer) -> None:
    app.command("where")(where)
