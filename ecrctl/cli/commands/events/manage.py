"""ecrctl events setup|status|teardown: the webhook integration in one region."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ecrctl.cli.commands.events.options import (
    BusOpt,
    EventOpt,
    NameOpt,
    PasswordStdinOpt,
    RepositoryOpt,
    ResultOpt,
    read_password,
)
from ecrctl.cli.common import DryRun, Yes, confirm, say, state
from ecrctl.cli.output import Column, View, cell
from ecrctl.cli.values import finite
from ecrctl.core.exceptions import InvalidInput, NotFound, Refused

if TYPE_CHECKING:
    from ecrctl.core.events.model import Piece
    from ecrctl.core.events.status import EventsInspector
    from ecrctl.session import Clients


def setup(
    ctx: typer.Context,
    webhook_url: Annotated[
        str | None,
        typer.Option("--webhook-url", metavar="URL", help="https:// URL to POST events to."),
    ] = None,
    username: Annotated[
        str | None,
        typer.Option("--username", metavar="USER", help="Basic-auth user of the webhook."),
    ] = None,
    sns_topic: Annotated[
        str | None,
        typer.Option("--sns-topic", metavar="ARN", help="Publish to this SNS topic instead."),
    ] = None,
    email: Annotated[
        str | None,
        typer.Option(
            "--email", metavar="ADDRESS", help="Make an SNS topic that e-mails this address."
        ),
    ] = None,
    description: Annotated[
        str | None, typer.Option("--description", metavar="TEXT", help="The rule's description.")
    ] = None,
    name: NameOpt = None,
    repository: RepositoryOpt = None,
    event: EventOpt = None,
    result: ResultOpt = None,
    event_bus: Annotated[
        str, typer.Option("--event-bus", metavar="BUS", help="Event bus of the rule.")
    ] = "default",
    rate_limit: Annotated[
        int, typer.Option("--rate-limit", metavar="N", help="Most webhook calls a second (1-300).")
    ] = 300,
    password_stdin: PasswordStdinOpt = False,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            metavar="SECONDS",
            callback=finite,
            help="How long to wait for authorization.",
        ),
    ] = 60.0,
) -> None:
    """Create or update the rule and where it sends to (idempotent).

    To a webhook: connection, API destination, role, rule, target. To SNS: the rule, a
    statement in the topic's policy letting EventBridge publish, the target; --email also
    makes the topic and subscribes the address (pending until the link mailed is followed).
    """
    from ecrctl.core.events.model import Names, SetupSpec
    from ecrctl.core.events.pattern import parse_kinds
    from ecrctl.core.events.setup import EventsSetup, SetupIncomplete

    if wait < 0:
        raise InvalidInput(f"invalid --wait {wait}: seconds, 0 or more")
    names = Names.of(name)
    spec = SetupSpec(
        names=names,
        webhook_url=webhook_url,
        username=username,
        kinds=parse_kinds(event, result),
        repositories=tuple(dict.fromkeys(repository or [])),
        event_bus=event_bus,
        rate_limit=rate_limit,
        description=description,
        sns_topic=sns_topic,
        email=email,
    )
    if spec.target == "webhook":
        password: str | None = read_password(password_stdin)
    elif password_stdin:
        raise InvalidInput("--password-stdin is for --webhook-url only")
    else:
        password = None
    app_state = state(ctx)
    clients = app_state.clients()
    runner = EventsSetup(
        clients.client("events"),
        clients.client("iam"),
        sns=clients.client("sns"),
        sts=clients.client("sts"),
        wait_timeout=wait,
        progress=say,
    )
    try:
        outcome = runner.apply(spec, password)
    except SetupIncomplete as error:
        say(f"events setup {names.base} stopped while {error.step}")
        say(f"exists now: {', '.join(error.existing) or 'nothing'}")
        bus = "" if event_bus == "default" else f" --event-bus {event_bus}"
        say(
            "run the same setup again to finish, or remove it with "
            f"`ecrctl events teardown --name {names.base}{bus} --yes`"
        )
        raise error.cause from None
    if outcome.changed:
        counts: dict[str, int] = {}
        for change in outcome.changes:
            counts[change.action] = counts.get(change.action, 0) + 1
        say(f"events setup {names.base}: " + ", ".join(f"{n} {a}" for a, n in counts.items()))
    else:
        say(f"nothing changed: events setup {names.base} is already as asked")
    app_state.emit(
        View(
            doc=outcome.to_json(),
            headers=("resource", "name", "action", "detail"),
            rows=[[c.kind, c.name, c.action, c.detail or "-"] for c in outcome.changes],
            text=[[c.kind, c.name, c.action, c.arn or "-"] for c in outcome.changes],
        )
    )


def _summary(piece: Piece) -> str:
    d = piece.detail
    if not piece.exists:
        return "-"
    if piece.kind == "connection":
        return f"{d.get('authorizationType')} user={d.get('username')}"
    if piece.kind == "api-destination":
        return f"{d.get('method')} {d.get('url')} ({d.get('rateLimitPerSecond')}/s)"
    if piece.kind == "role":
        return f"event bus {d.get('eventBus') or '-'}"
    if piece.kind == "topic":
        return "created by ecrctl" if d.get("createdByEcrctl") else "given (kept on teardown)"
    if piece.kind == "subscription":
        return "email, pending confirmation" if d.get("pendingConfirmation") else "email"
    if piece.kind == "rule":
        events = cell(d.get("events")) if d.get("events") is not None else "custom pattern"
        repos = d.get("repositories")
        return f"{events}" + (f" on {cell(repos)}" if repos else " on every repository")
    others = d.get("otherTargets") or []
    if piece.name != "ecrctl-webhook":
        sends = f"topic {str(d.get('arn', '-')).rsplit(':', 1)[-1]}"
    else:
        sends = f"role {str(d.get('roleArn', '-')).rsplit('/', 1)[-1]}"
    return sends + (f"; other targets: {cell(others)}" if others else "")


# At 80 columns the detail and problems are cut with an ellipsis (-o json has them whole).
STATUS_COLUMNS = (
    Column("resource"),
    Column("name", min_width=14),
    Column("state"),
    Column("detail", min_width=12),
    Column("problems", min_width=8),
)


def status(ctx: typer.Context, name: NameOpt = None, event_bus: BusOpt = None) -> None:
    """Each piece, its state, the pattern and target; what is missing or drifted (exit 1)."""
    from ecrctl.core.events.model import Names

    names = Names.of(name)
    app_state = state(ctx)
    clients = app_state.clients()
    found = inspector(clients).status(names, event_bus)
    if not found.exists:
        raise NotFound(f"no events setup named {names.base} (looked on bus {found.event_bus})")
    app_state.emit(
        View(
            doc=found.to_json(),
            headers=tuple(c.header for c in STATUS_COLUMNS),
            columns=STATUS_COLUMNS,
            rows=[
                [
                    p.kind,
                    p.name,
                    (p.state or "present") if p.exists else "MISSING",
                    _summary(p),
                    "; ".join(p.problems) or "-",
                ]
                for p in found.pieces
            ],
            text=[
                [
                    p.kind,
                    p.name,
                    (p.state or "present") if p.exists else "missing",
                    p.arn or "-",
                    # the webhook URL, on the API destination's line (as in the table and JSON)
                    cell(p.detail.get("url")) if p.kind == "api-destination" else "-",
                ]
                for p in found.pieces
            ],
        )
    )
    for note in found.notes:
        say(f"note: {note}")
    if not found.healthy:
        for problem in found.problems:
            say(f"problem: {problem}")
        raise Refused(
            f"events setup {names.base} has {len(found.problems)} problem(s); "
            "`ecrctl events setup` with the same arguments repairs it"
        )


def teardown(
    ctx: typer.Context,
    name: NameOpt = None,
    event_bus: BusOpt = None,
    yes: Yes = False,
    dry_run: DryRun = False,
) -> None:
    """Remove what setup made: target, rule, API destination, connection, role; or the SNS
    topic it made (a topic given with --sns-topic stays; only ecrctl's statement leaves it)."""
    from ecrctl.core.events.model import Names
    from ecrctl.core.events.status import TEARDOWN_ORDER

    names = Names.of(name)
    app_state = state(ctx)
    clients = app_state.clients()
    checker = inspector(clients)
    plan = checker.plan_teardown(names, event_bus)
    present = sorted(
        (p for p in plan.pieces if p.exists), key=lambda p: TEARDOWN_ORDER.index(p.kind)
    )

    def view(action: str) -> View:
        return View(
            doc={
                "name": names.base,
                "eventBus": plan.event_bus,
                "removed": not dry_run,
                "resources": [{"kind": p.kind, "name": p.name, "arn": p.arn} for p in present],
            },
            headers=("resource", "name", "action"),
            rows=[[p.kind, p.name, action] for p in present],
            text=[[p.kind, p.name, p.arn or "-"] for p in present],
        )

    if dry_run:
        say("dry run: nothing changed")
        app_state.emit(view("would remove"))
        return
    confirm(f"Remove events setup {names.base} ({len(present)} resources)?", yes=yes)
    removed = checker.teardown(plan)
    kept = [p for p in removed if p.kind == "topic-policy"]
    for piece in kept:
        say(
            f"SNS topic {piece.arn} kept (it was given); ecrctl's statement removed from its policy"
        )
    app_state.emit(view("removed"))


def inspector(clients: Clients) -> EventsInspector:
    from ecrctl.core.events.status import EventsInspector

    return EventsInspector(
        clients.client("events"),
        clients.client("iam"),
        sns=clients.client("sns"),
        sts=clients.client("sts"),
    )


def add_commands(app: typer.Typer) -> None:
    app.command("setup")(setup)
    app.command("status")(status)
    app.command("teardown")(teardown)
