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
    Which,
    read_password,
)
from ecrctl.cli.commands.events.regions import (
    RegionsOpt,
    chosen,
    inspector,
    merged,
    progress,
    where,
)
from ecrctl.cli.commands.events.removal import teardown
from ecrctl.cli.common import grouped, say, state
from ecrctl.cli.output import Column, View, cell
from ecrctl.cli.values import finite
from ecrctl.core.exceptions import InvalidInput, NotFound, Refused

if TYPE_CHECKING:
    from ecrctl.core.events.model import EventsStatus, Piece, SetupResult


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
    regions: RegionsOpt = None,
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
    done = []
    for region in chosen(clients, regions):
        told = progress(region)
        runner = EventsSetup(
            clients.client("events", region),
            clients.client("iam", region),
            sns=clients.client("sns", region),
            sts=clients.client("sts", region),
            wait_timeout=wait,
            progress=told,
        )
        try:
            outcome = runner.apply(spec, password)
        except SetupIncomplete as error:
            told(f"events setup {names.base} stopped while {error.step}")
            told(f"exists now: {', '.join(error.existing) or 'nothing'}")
            bus = "" if event_bus == "default" else f" --event-bus {event_bus}"
            told(
                "run the same setup again to finish, or remove it with "
                f"`ecrctl events teardown --name {names.base}{bus}{where(region)} --yes`"
            )
            raise error.cause from None
        if outcome.changed:
            counts: dict[str, int] = {}
            for change in outcome.changes:
                counts[change.action] = counts.get(change.action, 0) + 1
            told(f"events setup {names.base}: " + ", ".join(f"{n} {a}" for a, n in counts.items()))
        else:
            told(f"nothing changed: events setup {names.base} is already as asked")
        done.append((region, _setup_view(outcome)))
    app_state.emit(merged(done))


def _setup_view(outcome: SetupResult) -> View:
    return View(
        doc=outcome.to_json(),
        headers=("resource", "name", "action", "detail"),
        rows=[[c.kind, c.name, c.action, c.detail or "-"] for c in outcome.changes],
        text=[[c.kind, c.name, c.action, c.arn or "-"] for c in outcome.changes],
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


@grouped
def status(ctx: typer.Context, which: Which, regions: RegionsOpt = None) -> None:
    """Each piece, its state, the pattern and target; what is missing or drifted (exit 1)."""
    from ecrctl.core.events.model import Names

    names, event_bus = Names.of(which.name), which.event_bus
    app_state = state(ctx)
    clients = app_state.clients()
    views: list[tuple[str | None, View]] = []
    missing: list[str] = []
    problems = 0
    for region in chosen(clients, regions):
        found = inspector(clients, region).status(names, event_bus)
        told = progress(region)
        if not found.exists:
            missing.append(f"{region} (bus {found.event_bus})")
            continue
        views.append((region, _status_view(found)))
        for note in found.notes:
            told(f"note: {note}")
        for problem in found.problems:
            told(f"problem: {problem}")
        problems += len(found.problems)
    if not views:
        looked = f"bus {event_bus or 'default'}" if regions is None else ", ".join(missing)
        raise NotFound(f"no events setup named {names.base} (looked on {looked})")
    app_state.emit(merged(views))
    if missing:
        say(f"problem: no events setup named {names.base} in {', '.join(missing)}")
    if problems or missing:
        count = problems + len(missing)
        raise Refused(
            f"events setup {names.base} has {count} problem(s); "
            "`ecrctl events setup` with the same arguments repairs it"
        )


def _status_view(found: EventsStatus) -> View:
    return View(
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


LIST_COLUMNS = (
    Column("name", min_width=14),
    Column("state"),
    Column("sends to", min_width=12),
    Column("events", min_width=8),
    Column("repositories", min_width=8, drop=1),
)


def list_setups(ctx: typer.Context, event_bus: BusOpt = None, regions: RegionsOpt = None) -> None:
    """The events setups ecrctl made in the region: name, state, where they send, what."""
    from ecrctl.core.events.listing import SetupLister

    app_state = state(ctx)
    clients = app_state.clients()
    views: list[tuple[str | None, View]] = []
    for region in chosen(clients, regions):
        found = SetupLister(clients.client("events", region), clients.client("iam", region))
        setups = found.setups(event_bus)
        if not setups:
            progress(region)(f"no events setups on bus {event_bus or 'default'}")
        views.append(
            (
                region,
                View(
                    doc=[s.to_json() for s in setups],
                    headers=tuple(c.header for c in LIST_COLUMNS),
                    columns=LIST_COLUMNS,
                    rows=[
                        [
                            s.name,
                            "paused" if s.paused else s.state,
                            f"{s.target} {s.sends_to or '-'}",
                            cell(list(s.events)) if s.events is not None else "custom pattern",
                            cell(list(s.repositories)) if s.repositories else "every repository",
                        ]
                        for s in setups
                    ],
                    text=[
                        [s.name, s.state, s.target, cell(s.sends_to), cell(list(s.events or ()))]
                        for s in setups
                    ],
                ),
            )
        )
    app_state.emit(merged(views))


def add_commands(app: typer.Typer) -> None:
    app.command("setup")(setup)
    app.command("status")(status)
    app.command("list")(list_setups)
    app.command("teardown")(teardown)
