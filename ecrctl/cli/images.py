"""ecrctl tags / ecrctl images."""

from __future__ import annotations

from typing import Annotated

import typer

from ecrctl.cli import fleet
from ecrctl.cli.common import json_list, state
from ecrctl.cli.completion import complete_repository
from ecrctl.cli.output import Column, View, cell, date_only, human_size, short_digest, short_time
from ecrctl.cli.values import choice, completer, whole_number
from ecrctl.core.images import ImageService, TagSort
from ecrctl.core.models import SEVERITIES, Image, TagEntry, short_media_type
from ecrctl.core.refs import parse_image_ref, without_reference

# At 80 columns: dates lose their time, then last pulled, type, scan, findings go, in that
# order; tags are cut with an ellipsis. The digest, tags, pushed and size always stay.
IMAGE_COLUMNS = (
    Column("digest"),
    Column("tags", min_width=12),
    Column("pushed", compact=date_only),
    Column("size"),
    Column("type", min_width=10, drop=2),
    Column("last pulled", compact=date_only, drop=1),
    Column("scan", min_width=8, drop=3),
    Column("findings", min_width=8, drop=4),
)
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


SORT_ORDERS = ("version", "pushed", "name")


RepoArg = Annotated[
    str,
    typer.Argument(
        metavar="REPO", help="Repository name or URI.", autocompletion=complete_repository
    ),
]
Limit = Annotated[
    str | None, typer.Option("--limit", metavar="N", help="At most N entries (1 or more).")
]


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
        str,
        typer.Option(
            "--sort",
            metavar="version|pushed|name",
            help="version and name ascending; pushed newest first.",
            autocompletion=completer(SORT_ORDERS),
        ),
    ] = "version",
    limit: Limit = None,
    profiles: fleet.Profiles = None,
    regions: fleet.Regions = None,
) -> None:
    """List tags (text output: one tag a line)."""
    order = choice("--sort", sort, SORT_ORDERS)
    most = whole_number("--limit", limit)
    how: TagSort = "name" if order == "name" else "pushed" if order == "pushed" else "version"
    app_state = state(ctx)
    if fleet.wanted(profiles, regions):
        name = parse_image_ref(without_reference(repo), allow_reference=False).repository
        if untagged:
            fleet.emit_each(
                app_state,
                profiles,
                regions,
                lambda c, r: ImageService(c.access.client("ecr", r)).untagged(name, limit=most),
                untagged_view,
            )
        else:
            fleet.emit_each(
                app_state,
                profiles,
                regions,
                lambda c, r: ImageService(c.access.client("ecr", r)).tags(
                    name, match=match, sort=how, limit=most
                ),
                tags_view,
            )
        return
    ref, clients = app_state.target(without_reference(repo), allow_reference=False)
    service = ImageService(clients.ecr(), clients.settings.registry_id)
    if untagged:
        app_state.emit(untagged_view(service.untagged(ref.repository, limit=most)))
        return
    renderer = app_state.renderer
    if renderer.format == "text" and renderer.query is None and how != "pushed":
        # Scripts read only the names: ListImages carries them at a third of the bytes.
        names = service.tag_names(ref.repository, match=match, sort=how, limit=most)
        app_state.emit(View(doc=[{"tag": n} for n in names], text=[[n] for n in names]))
        return
    app_state.emit(tags_view(service.tags(ref.repository, match=match, sort=how, limit=most)))


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


def images(
    ctx: typer.Context,
    repo: RepoArg,
    limit: Limit = None,
    replication: Annotated[
        bool,
        typer.Option("--replication", help="Each image's replication status per destination."),
    ] = False,
    profiles: fleet.Profiles = None,
    regions: fleet.Regions = None,
) -> None:
    """One row per image digest, untagged included: tags, pushed, size, media type, scan."""
    most = whole_number("--limit", limit)
    app_state = state(ctx)
    if fleet.wanted(profiles, regions):
        name = parse_image_ref(without_reference(repo), allow_reference=False).repository
        fleet.emit_each(
            app_state,
            profiles,
            regions,
            lambda c, r: ImageService(c.access.client("ecr", r)).images(name, limit=most),
            images_view,
        )
        return
    ref, clients = app_state.target(without_reference(repo), allow_reference=False)
    service = ImageService(clients.ecr(), clients.settings.registry_id)
    found = service.images(ref.repository, limit=most)
    if replication:
        from ecrctl.cli.commands.registry_replication import emit_image_replication

        emit_image_replication(app_state, clients, ref.repository, found)
        return
    app_state.emit(images_view(found))


def images_view(found: list[Image]) -> View:
    rows = []
    text = []
    for image in found:
        doc = image.to_json()
        counts = " ".join(
            f"{s[0]}{image.severity_counts[s]}" for s in SEVERITIES if image.severity_counts.get(s)
        )
        rows.append(
            [
                short_digest(image.digest),
                cell(list(image.tags)),
                short_time(doc["pushedAt"]),
                human_size(image.size_bytes),
                short_media_type(image.media_type),
                short_time(doc["lastPulledAt"]),
                cell(image.scan_status),
                counts or "-",
            ]
        )
        text.append(
            [
                image.digest,
                cell(list(image.tags)),
                cell(doc["pushedAt"]),
                str(image.size_bytes),
                cell(image.media_type),
                cell(doc["lastPulledAt"]),
                cell(image.scan_status),
            ]
        )
    return View(
        doc=json_list(found),
        headers=tuple(c.header for c in IMAGE_COLUMNS),
        columns=IMAGE_COLUMNS,
        rows=rows,
        text=text,
    )


def register(app: typer.Typer) -> None:
    app.command("tags")(tags)
    app.command("images")(images)
