"""ecrctl images: one row per image digest, untagged included."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ecrctl.cli.common import FleetOptions, Limit, grouped, json_list, state
from ecrctl.cli.completers import complete_repository
from ecrctl.cli.output import Column, View, cell, date_only, short_digest, short_time
from ecrctl.cli.params import fail_on_option
from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.images.listing import ImageService
from ecrctl.core.models import SEVERITIES, Image, human_size
from ecrctl.core.names import parse_image_ref, short_media_type, without_reference

# Shorter names of the media types, for a narrow terminal (docker-manifest-list fits as
# docker-list rather than being cut to docker-ma…).
COMPACT_TYPES = {
    "docker-manifest": "docker",
    "docker-manifest-list": "docker-list",
    "oci-manifest": "oci",
    "oci-index": "oci-index",
}


def compact_type(text: str) -> str:
    return COMPACT_TYPES.get(text, text)


def compact_platforms(text: str) -> str:
    """``linux/amd64,linux/arm64`` -> ``amd64,arm64`` (linux is what nearly every one is)."""
    return ",".join(p.removeprefix("linux/") for p in text.split(","))


# At 80 columns: dates lose their time, types and platforms take their short forms, then last
# pulled, scan, findings go, in that order; tags and platforms are cut with an ellipsis. The
# digest, tags, pushed, size, type and platforms stay.
IMAGE_COLUMNS = (
    Column("digest"),
    Column("tags", min_width=12),
    Column("pushed", compact=date_only),
    Column("size"),
    Column("type", compact=compact_type),
    Column("platforms", min_width=11, compact=compact_platforms),
    Column("last pulled", compact=date_only, drop=1),
    Column("scan", min_width=8, drop=2),
    Column("findings", min_width=8, drop=3),
)


@grouped
def images(
    ctx: typer.Context,
    repo: Annotated[
        str,
        typer.Argument(
            metavar="REPO[:TAG|@DIGEST]",
            help="Repository name or URI; with a tag or digest, that image only.",
            autocompletion=complete_repository,
        ),
    ],
    limit: Limit = None,
    replication: Annotated[
        bool,
        typer.Option("--replication", help="Each image's replication status per destination."),
    ] = False,
    fail_on: Annotated[
        str | None, fail_on_option("an image's findings summary has this severity or worse")
    ] = None,
    fleet_options: FleetOptions = FleetOptions(),
) -> None:
    """One row per image digest, untagged included: tags, pushed, size, media type, scan.

    REPO:TAG or REPO@sha256:... shows that one image (exit 3 when it is not there).
    """
    from ecrctl.core.scan.findings import parse_severity
    from ecrctl.core.scan.summary_gate import summary_gate

    threshold = parse_severity(fail_on) if fail_on is not None else None
    app_state = state(ctx)
    one = parse_image_ref(repo)
    image_id = one.image_id if one.tag or one.digest else None
    if fleet_options.wanted:
        from ecrctl.cli import fleet

        def gate(outcomes: list[Any]) -> Exception | None:
            found = [(o.source.describe(), i) for o in outcomes for i in o.value or []]
            return summary_gate(found, threshold) if threshold else None

        fleet.emit_each(
            app_state,
            fleet_options,
            lambda c, r: ImageService(c.access.registry(r)).images(
                one.repository, limit=limit, image_id=image_id
            ),
            images_view,
            gate=gate,
        )
        return
    ref, clients = app_state.target(without_reference(repo), allow_reference=False)
    service = ImageService(EcrRegistry(clients.ecr(), clients.settings.registry_id))
    found = service.images(ref.repository, limit=limit, image_id=image_id)
    if replication:
        from ecrctl.cli.commands.registry.replication import emit_image_replication

        emit_image_replication(app_state, clients, ref.repository, found)
        return
    app_state.emit(images_view(found))
    tripped = summary_gate([(ref.repository, i) for i in found], threshold) if threshold else None
    if tripped is not None:
        raise tripped


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
                cell(list(image.platforms)),
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
                cell(list(image.platforms)),
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
    app.command("images")(images)
