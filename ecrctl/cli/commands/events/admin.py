"""ecrctl events disable|enable|template|check-role: pause delivery, the integration role."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ecrctl.cli.commands.events.options import EventOpt, RepositoryOpt, ResultOpt, Which
from ecrctl.cli.commands.events.regions import RegionsOpt, chosen, merged, progress
from ecrctl.cli.common import Consent, DryRun, confirm, grouped, say, state
from ecrctl.cli.output import View
from ecrctl.cli.values import finite

if TYPE_CHECKING:
    from mypy_boto3_sts.type_defs import CredentialsTypeDef

    from ecrctl.core.ecr.api import EcrRegistry
    from ecrctl.core.events.model import Change, Names


def _pause(
    ctx: typer.Context,
    names: Names,
    bus: str | None,
    enabled: bool,
    consent: Consent,
    regions: str | None,
) -> None:
    from ecrctl.core.events.pause import RulePause

    clients = state(ctx).clients()
    verb = "enable" if enabled else "disable"
    dry_run = consent.dry_run
    planned = []
    for region in chosen(clients, regions):
        pause = RulePause(clients.client("events", region), clients.client("iam", region))
        change, found_bus = pause.plan(names, bus, enabled)
        planned.append((region, pause, change, found_bus))

    def view(change: Change, found_bus: str, action: str) -> View:
        doc = {**change.to_json(), "action": action, "eventBus": found_bus, "dryRun": dry_run}
        return View(
            doc=doc,
            headers=("resource", "name", "action", "detail"),
            rows=[["rule", change.name, action, change.detail]],
            text=[["rule", change.name, action, change.arn or "-"]],
        )

    to_change = [p for p in planned if p[2].action != "unchanged"]
    for region, _, change, _ in planned:
        if change.action == "unchanged":
            what = change.detail.removeprefix("already ")
            progress(region)(f"nothing changed: rule {change.name} is {what}")
    if dry_run and to_change:
        say("dry run: nothing changed")
    elif to_change and not enabled:
        places = "" if regions is None else f" in {', '.join(str(p[0]) for p in to_change)}"
        confirm(
            f"Disable rule {names.rule}{places} (ECR events stop until `events enable`)?",
            yes=consent.yes,
        )
    views = []
    for region, pause, change, found_bus in planned:
        action = change.action
        if action != "unchanged" and dry_run:
            action = f"would {verb}"
        elif action != "unchanged":
            pause.apply(change, found_bus, enabled)
        views.append((region, view(change, found_bus, action)))
    state(ctx).emit(merged(views))


NamedArg = Annotated[
    str | None,
    typer.Argument(
        metavar="[NAME]",
        help="Deprecated: use --name (the argument goes in a later release).",
        show_default=False,
    ),
]


def _named(argument: str | None, option: str | None) -> Names:
    """--name, or (for one release) the setup's name as an argument, with a note."""
    from ecrctl.core.events.model import Names
    from ecrctl.core.exceptions import InvalidInput

    if argument is not None and option is not None and argument != option:
        raise InvalidInput(f"two names: {argument!r} and --name {option!r}; give --name only")
    if argument is not None and option is None:
        say(f"note: NAME as an argument is deprecated; use --name {argument}")
    return Names.of(option or argument)


@grouped
def disable(
    ctx: typer.Context,
    legacy_name: NamedArg = None,
    which: Which = Which(),
    consent: Consent = Consent(),
    regions: RegionsOpt = None,
) -> None:
    """Pause delivery: disable the rule, keep everything else (idempotent)."""
    _pause(ctx, _named(legacy_name, which.name), which.event_bus, False, consent, regions)


@grouped
def enable(
    ctx: typer.Context,
    legacy_name: NamedArg = None,
    which: Which = Which(),
    dry_run: DryRun = False,
    regions: RegionsOpt = None,
) -> None:
    """Resume delivery paused by `events disable` (idempotent)."""
    resume = Consent(yes=True, dry_run=dry_run)  # resuming delivery is never asked about
    _pause(ctx, _named(legacy_name, which.name), which.event_bus, True, resume, regions)


@grouped
def template(
    ctx: typer.Context,
    format: Annotated[
        str, typer.Option("--format", metavar="yaml|json", help="Template format.")
    ] = "yaml",
    event: EventOpt = None,
    result: ResultOpt = None,
    repository: RepositoryOpt = None,
    read_only_role: Annotated[
        bool,
        typer.Option("--read-only-role", help="Only the cross-account read-only role."),
    ] = False,
    deploy: Annotated[
        bool,
        typer.Option("--deploy", help="Deploy the read-only-role template; print AssumeRoleArn."),
    ] = False,
    stack_name: Annotated[
        str, typer.Option("--stack-name", metavar="NAME", help="Stack name for --deploy.")
    ] = "public-templates-ecr-integration",
    regions: Annotated[
        str | None,
        typer.Option("--regions", metavar="R1,R2", help="Regions for --deploy [the region]."),
    ] = None,
    trusted_account: Annotated[
        str | None,
        typer.Option("--trusted-account", metavar="ID", help="The account that may assume it."),
    ] = None,
    external_id: Annotated[
        str | None,
        typer.Option("--external-id", metavar="X", help="The sts:ExternalId it must pass."),
    ] = None,
    role_name: Annotated[
        str | None,
        typer.Option(
            "--role-name",
            metavar="NAME",
            help="Name the read-only role (the RoleName parameter's default), the same in "
            "every account, for ecrctl --accounts.",
        ),
    ] = None,
    wait: Annotated[
        float,
        typer.Option("--wait", metavar="SECONDS", callback=finite, help="Longest wait per stack."),
    ] = 600.0,
    consent: Consent = Consent(),
) -> None:
    """CloudFormation for the same setup, plus a cross-account read-only role (ExternalId).

    With --deploy: the read-only-role template as stack --stack-name in each of --regions
    (CreateStack or UpdateStack, idempotent), waiting for each, printing its AssumeRoleArn;
    --dry-run shows each region's change set instead and leaves nothing behind.
    """
    from ecrctl.core.events.pattern import parse_kinds
    from ecrctl.core.events.template import build_role_template, build_template, render_template
    from ecrctl.core.exceptions import InvalidInput
    from ecrctl.core.names import validate_repository_name
    from ecrctl.core.org.accounts import check_role_name

    if role_name is not None:
        check_role_name(role_name)
    if deploy:
        _deploy(ctx, stack_name, regions, trusted_account, external_id, role_name, wait, consent)
        return
    for flag, given in (
        ("--regions", regions),
        ("--trusted-account", trusted_account),
        ("--external-id", external_id),
        ("--dry-run", consent.dry_run or None),
    ):
        if given is not None:
            raise InvalidInput(f"{flag} goes with --deploy")
    for repo in repository or []:
        validate_repository_name(repo)
    if read_only_role:
        doc = build_role_template(role_name or "")
    else:
        doc = build_template(
            parse_kinds(event, result), tuple(dict.fromkeys(repository or [])), role_name or ""
        )
    text = render_template(doc, format.lower()).rstrip("\n")
    state(ctx).emit(View(doc=doc, rows=[[text]], text=[[text]]))


def _deploy(
    ctx: typer.Context,
    stack_name: str,
    regions: str | None,
    trusted_account: str | None,
    external_id: str | None,
    role_name: str | None,
    wait: float,
    consent: Consent,
) -> None:
    from ecrctl.core.events.deploy import (
        StackDeployer,
        check_account,
        check_external_id,
        check_stack_name,
        parse_regions,
    )
    from ecrctl.core.events.template import build_role_template
    from ecrctl.core.exceptions import InvalidInput

    check_stack_name(stack_name)
    if trusted_account is None or external_id is None:
        raise InvalidInput("--deploy needs --trusted-account ID and --external-id X")
    parameters = {
        "TrustedAccountId": check_account(trusted_account),
        "ExternalId": check_external_id(external_id),
    }
    if wait <= 0:
        raise InvalidInput(f"invalid --wait {wait}: seconds, more than 0")
    app_state = state(ctx)
    clients = app_state.clients()
    chosen = parse_regions(regions, clients.region)
    if role_name:
        if len(chosen) > 1:
            raise InvalidInput(
                f"--role-name {role_name}: a named role is one per account (IAM is global); "
                "deploy it in one region"
            )
        parameters["RoleName"] = role_name
    doc = build_role_template(role_name or "")
    dry_run = consent.dry_run
    if not dry_run:
        confirm(
            f"Deploy stack {stack_name} (a role account {trusted_account} may assume) "
            f"to {', '.join(chosen)}?",
            yes=consent.yes,
        )
    results = []
    for region in chosen:
        deployer = StackDeployer(
            clients.client("cloudformation", region), timeout=wait, progress=say
        )
        if dry_run:
            results.append(deployer.preview(stack_name, doc, parameters))
        else:
            results.append(deployer.deploy(stack_name, doc, parameters))
    if dry_run:
        say("dry run: nothing changed")
        rows = [
            [r.region, r.action, c["action"] or "-", c["logicalId"] or "-", c["type"] or "-"]
            for r in results
            for c in r.changes or [{"action": None, "logicalId": None, "type": None}]
        ]
        headers: tuple[str, ...] = ("region", "stack", "change", "resource", "type")
    else:
        if all(r.action == "unchanged" for r in results):
            say(f"nothing changed: stack {stack_name} is already as asked in every region")
        rows = [[r.region, r.action, r.assume_role_arn or "-"] for r in results]
        headers = ("region", "stack", "AssumeRoleArn")
    app_state.emit(
        View(
            doc={
                "stackName": stack_name,
                "dryRun": dry_run,
                "regions": [r.to_json() for r in results],
            },
            headers=headers,
            rows=rows,
            text=rows,
        )
    )


def check_role(
    ctx: typer.Context,
    role_arn: Annotated[str, typer.Argument(metavar="ROLE_ARN", help="The role to assume.")],
    external_id: Annotated[
        str, typer.Option("--external-id", metavar="X", help="The sts:ExternalId to pass.")
    ],
) -> None:
    """Assume the role with the ExternalId and read ECR, as the partner will (exit 4 if not)."""
    from ecrctl.core.ecr.api import EcrRegistry
    from ecrctl.core.events.deploy import check_external_id, check_role_arn
    from ecrctl.core.events.deploy import check_role as run_check

    check_role_arn(role_arn)
    check_external_id(external_id)
    app_state = state(ctx)
    clients = app_state.clients()

    def ecr_for(credentials: CredentialsTypeDef) -> EcrRegistry:
        return EcrRegistry(clients.assumed_ecr(credentials))

    found = run_check(clients.client("sts"), role_arn, external_id, ecr_for)
    more = "+" if found.more else ""
    say(f"ok: assumed {role_arn} and listed {found.repositories}{more} repositories")
    app_state.emit(
        View(
            doc=found.to_json(),
            headers=("role", "assumed as", "repositories"),
            rows=[[role_arn, found.assumed_arn, f"{found.repositories}{more}"]],
            text=[[role_arn, found.assumed_arn, f"{found.repositories}{more}"]],
        )
    )


def add_commands(app: typer.Typer) -> None:
    app.command("disable")(disable)
    app.command("enable")(enable)
    app.command("template")(template)
    app.command("check-role")(check_role)
