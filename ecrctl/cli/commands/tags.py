"""ecrctl tags: tags in natural version order, filtered and sorted; digests of untagged images."""

from __future__ import annotations

from typing import Annotated

import typer

from ecrctl.cli.common import FleetOptions, Limit, RepoArg, grouped, json_list, state
from ecrctl.cli.output import Column, Forms, View, date_only, short_digest, short_time
from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.images.listing import ImageService, TagSort
from ecrctl.core.models import Image, TagEntry, human_size
from ecrctl.core.names import parse_image_ref, without_reference

TAG_COLUMNS = (
    Column("tag", min_width=12),
    Column("digest"),
    Column("pushed", compact=date_only),
    Column("size"),
)


UNTAGGED_COLUMNS = (
    Column("digest", min_width=19),
    Column("pushed", compact=date_only),
    Column("size"),
)


@grouped
def tags(
    ctx: typer.Context,
    repo: RepoArg,
    untagged: Annotated[
        bool, typer.Option("--untagged", help="List digests of untagged images instead.")
    ] = False,
    match: Annotated[
        str | None,
        typer.Option("--match", metavar="GLOB", help="Only tags matching GLOB (e.g. 'v1.*')."),
    ] = None,
    sort: Annotated[
        TagSort,
        typer.Option(
            "--sort",
            metavar="version|pushed|name",
            help="version and name ascending; pushed newest first.",
            case_sensitive=False,
        ),
    ] = "version",
    limit: Limit = None,
    fleet_options: FleetOptions = FleetOptions(),
) -> None:
    """List tags (text output: one tag a line)."""
    app_state = state(ctx)
    if fleet_options.wanted:
        from ecrctl.cli import fleet

        name = parse_image_ref(without_reference(repo), allow_reference=False).repository
        if untagged:
            fleet.emit_each(
                app_state,
                fleet_options,
                lambda c, r: ImageService(c.access.registry(r)).untagged(name, limit=limit),
                untagged_view,
            )
        else:
            fleet.emit_each(
                app_state,
                fleet_options,
                lambda c, r: ImageService(c.access.registry(r)).tags(
                    name, match=match, sort=sort, limit=limit
                ),
                tags_view,
            )
        return
    ref, clients = app_state.target(without_reference(repo), allow_reference=False)
    service = ImageService(EcrRegistry(clients.ecr(), clients.settings.registry_id))
    if untagged:
        app_state.emit(untagged_view(service.untagged(ref.repository, limit=limit)))
        return

    def names() -> list[list[str]]:
        # Scripts read only the names: ListImages carries them at a third of the bytes.
        found = service.tag_names(ref.repository, match=match, sort=sort, limit=limit)
        return [[n] for n in found]

    app_state.emit(
        Forms(
            view=lambda: tags_view(
                service.tags(ref.repository, match=match, sort=sort, limit=limit)
            ),
            text=names if sort != "pushed" else None,  # push times need DescribeImages
        )
    )


def untagged_view(images: list[Image]) -> View:
    return View(
        doc=[
            {
                "digest": i.digest,
                "pushedAt": i.to_json()["pushedAt"],
                "sizeBytes": i.size_bytes,
            }
            for i in images
        ],
        headers=("digest", "pushed", "size"),
        columns=UNTAGGED_COLUMNS,
        rows=[
            [i.digest, short_time(i.to_json()["pushedAt"]), human_size(i.size_bytes)]
            for i in images
        ],
        text=[[i.digest] for i in images],
    )


def tags_view(entries: list[TagEntry]) -> View:
    return View(
        doc=json_list(entries),
        headers=("tag", "digest", "pushed", "size"),
        columns=TAG_COLUMNS,
        rows=[
            [
                e.tag,
                short_digest(e.digest),
                short_time(e.to_json()["pushedAt"]),
                human_size(e.size_bytes),
            ]
            for e in entries
        ],
        text=[[e.tag] for e in entries],
    )


def register(app: typer.Typer) -> None:
    app.command("tags")(tags)
