"""``--regions`` on events setup, status, teardown, enable and disable: the same setup in each
region an integration covers, in one idempotent command (as ``template --deploy`` does).

Without ``--regions`` a command works in the profile's region and its output is as before; with
it, each row starts with its region and the JSON document is a list, one entry per region.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from ecrctl.cli.common import say
from ecrctl.cli.output import Column, View

if TYPE_CHECKING:
    from ecrctl.core.events.status import EventsInspector
    from ecrctl.session import Clients

RegionsOpt = Annotated[
    str | None,
    typer.Option(
        "--regions",
        metavar="R1,R2",
        help="Do the same in each of these regions (one rule and webhook per region, "
        "one role for all) [the region].",
    ),
]


def chosen(clients: Clients, regions: str | None) -> list[str | None]:
    """The regions to work in; [None] (the profile's region, no region column) without
    ``--regions``."""
    if regions is None:
        return [None]
    from ecrctl.core.events.deploy import parse_regions

    return list(parse_regions(regions, clients.region))


def progress(region: str | None) -> Callable[[str], None]:
    """say(), each line naming its region when there is one."""
    if region is None:
        return say
    return lambda message: say(f"{region}: {message}")


def where(region: str | None) -> str:
    """`` --region R`` for a hint of what to type next ('' without --regions)."""
    return f" --region {region}" if region else ""


def merged(views: Sequence[tuple[str | None, View]]) -> View:
    """One view of every region's: a leading region column, a JSON list of the documents."""
    if len(views) == 1 and views[0][0] is None:
        return views[0][1]
    first = views[0][1] if views else View(doc=[])
    columns = (Column("region"), *first.columns) if first.columns else None
    docs: list[object] = []
    for region, view in views:
        items = view.doc if isinstance(view.doc, list) else [view.doc]  # a listing: each item
        docs += [{"region": region, **i} if isinstance(i, Mapping) else i for i in items]
    return View(
        doc=docs,
        headers=("region", *first.headers),
        rows=[[str(region), *row] for region, view in views for row in view.rows],
        text=[[str(region), *row] for region, view in views for row in (view.text or view.rows)],
        columns=columns,
    )


def inspector(clients: Clients, region: str | None = None) -> EventsInspector:
    """The reader (and remover) of one setup in ``region`` (None: the profile's region)."""
    from ecrctl.core.events.status import EventsInspector

    return EventsInspector(
        clients.client("events", region),
        clients.client("iam", region),
        sns=clients.client("sns", region),
        sts=clients.client("sts", region),
    )
