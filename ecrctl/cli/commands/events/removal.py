"""ecrctl events teardown: remove what setup made, in one region or in each of --regions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from ecrctl.cli.commands.events.options import Which
from ecrctl.cli.commands.events.regions import (
    RegionsOpt,
    chosen,
    inspector,
    merged,
    progress,
)
from ecrctl.cli.common import Consent, confirm, grouped, say, state
from ecrctl.cli.output import View
from ecrctl.core.exceptions import NotFound

if TYPE_CHECKING:
    from ecrctl.core.events.model import EventsStatus, Names, Piece


def _kept_role(plan: EventsStatus, earlier: set[str]) -> list[str]:
    """The other regions whose setup of this name still needs the (global) IAM role once the
    regions torn down before this one in the same run are gone."""
    role = next((p for p in plan.pieces if p.kind == "role" and p.exists), None)  # none: SNS
    if role is None:
        return []
    others = role.detail.get("otherRegions")
    listed = others if isinstance(others, list) else []
    return [str(r) for r in listed if str(r) not in earlier]


def _view(names: Names, plan: EventsStatus, keep: list[str], dry_run: bool) -> View:
    from ecrctl.core.events.status import TEARDOWN_ORDER

    present = sorted(
        (p for p in plan.pieces if p.exists), key=lambda p: TEARDOWN_ORDER.index(p.kind)
    )

    def action(piece: Piece) -> str:
        if piece.kind == "role" and keep:
            return f"{'would keep' if dry_run else 'kept'} (used in {', '.join(keep)})"
        return "would remove" if dry_run else "removed"

    return View(
        doc={
            "name": names.base,
            "eventBus": plan.event_bus,
            "removed": not dry_run,
            "resources": [{"kind": p.kind, "name": p.name, "arn": p.arn} for p in present],
            "kept": [p.name for p in present if p.kind == "role" and keep],
        },
        headers=("resource", "name", "action"),
        rows=[[p.kind, p.name, action(p)] for p in present],
        text=[[p.kind, p.name, p.arn or "-"] for p in present],
    )


@grouped
def teardown(
    ctx: typer.Context, which: Which, consent: Consent, regions: RegionsOpt = None
) -> None:
    """Remove what setup made: target, rule, API destination, connection, role; or the SNS
    topic it made (a topic given with --sns-topic stays; only ecrctl's statement leaves it)."""
    from ecrctl.core.events.model import Names

    names, event_bus = Names.of(which.name), which.event_bus
    app_state = state(ctx)
    clients = app_state.clients()
    where = chosen(clients, regions)
    plans: list[tuple[str | None, EventsStatus]] = []
    for region in where:
        try:
            plans.append((region, inspector(clients, region).plan_teardown(names, event_bus)))
        except NotFound:
            if len(where) == 1:
                raise
            progress(region)(f"no events setup named {names.base}: nothing to remove")
    if not plans:
        raise NotFound(f"no events setup named {names.base} in {', '.join(map(str, where))}")
    earlier: set[str] = set()
    planned = []
    for region, plan in plans:
        planned.append((region, plan, _kept_role(plan, earlier)))
        earlier.add(str(region))
    if consent.dry_run:
        say("dry run: nothing changed")
        app_state.emit(merged([(r, _view(names, p, keep, True)) for r, p, keep in planned]))
        return
    count = sum(1 for _, plan, _ in planned for p in plan.pieces if p.exists)
    places = "" if regions is None else f" in {', '.join(str(r) for r, _ in plans)}"
    confirm(f"Remove events setup {names.base}{places} ({count} resources)?", yes=consent.yes)
    views = []
    for index, (region, plan, keep) in enumerate(planned):
        checker = inspector(clients, region)
        # Another region's teardown may have changed the shared role since the plan was read.
        removed = checker.teardown(plan if index == 0 else checker.plan_teardown(names, event_bus))
        told = progress(region)
        for piece in removed:
            if piece.kind == "topic-policy":
                told(
                    f"SNS topic {piece.arn} kept (it was given); "
                    "ecrctl's statement removed from its policy"
                )
        if keep:
            told(f"IAM role {names.role} kept: the setup in {', '.join(keep)} still uses it")
        views.append((region, _view(names, plan, keep, False)))
    app_state.emit(merged(views))
