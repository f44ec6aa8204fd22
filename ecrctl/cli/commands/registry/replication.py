"""ecrctl registry replication set|show|remove."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer

from ecrctl.cli.commands.registry.change import apply_change
from ecrctl.cli.common import AppState, DryRun, Yes, confirm, say, state
from ecrctl.cli.output import View, cell
from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.registry import replication as rp
from ecrctl.core.registry.settings import SettingChange, validate_account, validate_region

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ReplicationRuleOutputTypeDef

    from ecrctl.core.jsontypes import JsonObject
    from ecrctl.core.models import Image
    from ecrctl.session import Clients

replication_app = typer.Typer(
    help="Replicate images to other regions and accounts.", no_args_is_help=True
)

ToRegion = Annotated[
    str | None, typer.Option("--to-region", metavar="REGION", help="Destination region.")
]
ToAccount = Annotated[
    str | None,
    typer.Option(
        "--to-account", metavar="ID", help="Destination account (default: this registry's)."
    ),
]


def _rows(rules: list[ReplicationRuleOutputTypeDef]) -> list[list[str]]:
    rows = []
    for rule in rules:
        prefixes = [f["filter"] for f in rule.get("repositoryFilters", [])] or ["*"]
        for destination in rule["destinations"]:
            rows.append([destination["region"], destination["registryId"], cell(prefixes)])
    return rows


@replication_app.command("show")
def show(ctx: typer.Context) -> None:
    """Each destination (region, account) and the repository prefixes it receives."""
    app_state = state(ctx)
    registry_id, rules = rp.replication_configuration(EcrRegistry(app_state.clients().ecr()))
    rows = _rows(rules)
    app_state.emit(
        View(
            doc={"registryId": registry_id, "rules": rules},
            headers=("region", "account", "prefixes"),
            rows=rows,
            text=rows,
        )
    )
    if not rules:
        say("this registry replicates nothing")


def _destination_change(
    app_state: AppState, profile: str, account: str, region: str, statement: JsonObject
) -> tuple[SettingChange[JsonObject | None], EcrRegistry]:
    """Plan the destination registry policy with the destination's own credentials."""
    settings = replace(app_state.settings, profile=profile, region=region, registry_id=None)
    dest_ecr = EcrRegistry(app_state.clients(settings).ecr())
    registry_id, _ = rp.replication_configuration(dest_ecr)
    if registry_id != account:
        raise InvalidInput(
            f"--apply-destination-profile {profile} is account {registry_id}, "
            f"not the destination {account}"
        )
    return rp.plan_destination_policy(dest_ecr, statement), dest_ecr


@replication_app.command("set")
def set_(
    ctx: typer.Context,
    to_region: ToRegion = None,
    to_account: ToAccount = None,
    prefix: Annotated[
        list[str] | None,
        typer.Option(
            "--prefix", metavar="P", help="Only repositories whose name starts with P (repeatable)."
        ),
    ] = None,
    apply_destination_profile: Annotated[
        str | None,
        typer.Option(
            "--apply-destination-profile",
            metavar="PROFILE",
            help="Also put the registry policy the destination account needs, with this profile.",
        ),
    ] = None,
    yes: Yes = False,
    dry_run: DryRun = False,
) -> None:
    """Replicate to a region (and account); another account also needs a registry policy."""
    if to_region is None:
        raise InvalidInput("--to-region REGION is required")
    validate_region(to_region)
    if to_account is not None:
        validate_account(to_account)
    for p in prefix or []:
        rp.validate_prefix(p)
    app_state = state(ctx)
    clients = app_state.clients()
    ecr = EcrRegistry(clients.ecr())
    registry_id, change = rp.plan_add(
        ecr,
        region=to_region,
        source_region=clients.region,
        account=to_account,
        prefixes=prefix or [],
    )
    cross_account = to_account is not None and to_account != registry_id
    statement = (
        rp.destination_statement(source_account=registry_id, account=to_account, region=to_region)
        if cross_account and to_account is not None
        else None
    )
    if apply_destination_profile and statement is None:
        raise InvalidInput("--apply-destination-profile is for another account (--to-account ID)")
    extra: dict[str, object] = {"destinationPolicyStatement": statement}
    if statement is not None and apply_destination_profile is not None and to_account:
        dest_change, dest_ecr = _destination_change(
            app_state, apply_destination_profile, to_account, to_region, statement
        )
        if dest_change.changed:
            say(dest_change.describe())
            if dry_run:
                say("dry run: the destination registry policy is unchanged")
            else:
                confirm(
                    f"Put the replication statement in {to_account}'s registry policy?", yes=yes
                )
                rp.apply_destination_policy(dest_ecr, dest_change)
                say(f"destination registry policy of {to_account} changed")
        else:
            say(f"destination registry policy of {to_account} already allows replication")
        extra["destinationPolicy"] = dest_change.to_json(applied=not dry_run)
    elif statement is not None:
        say(
            f"account {to_account} must allow this registry to replicate into it: put this "
            "statement in its registry policy (or rerun with --apply-destination-profile P):\n"
            + json.dumps(statement, indent=2)
        )
    apply_change(
        app_state,
        change,
        lambda: rp.apply(ecr, change),
        question=f"Replicate to {to_account or registry_id} in {to_region}?",
        yes=yes,
        dry_run=dry_run,
        extra=extra,
    )


@replication_app.command("remove")
def remove(
    ctx: typer.Context,
    to_region: ToRegion = None,
    to_account: ToAccount = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Remove the whole replication configuration.")
    ] = False,
    yes: Yes = False,
    dry_run: DryRun = False,
) -> None:
    """Stop replicating to a destination (images already replicated stay there)."""
    if all_ and (to_region or to_account):
        raise InvalidInput("--all removes every destination: give it without --to-region")
    if to_region is None and not all_:
        raise InvalidInput("name the destination with --to-region REGION (or give --all)")
    if to_region is not None:
        validate_region(to_region)
    if to_account is not None:
        validate_account(to_account)
    app_state = state(ctx)
    ecr = EcrRegistry(app_state.clients().ecr())
    change = rp.plan_remove(ecr, region=to_region, account=to_account, everything=all_)
    where = "every destination" if all_ else f"{to_account or 'this account'} in {to_region}"
    apply_change(
        app_state,
        change,
        lambda: rp.apply(ecr, change),
        question=f"Stop replicating to {where}?",
        yes=yes,
        dry_run=dry_run,
    )


def emit_image_replication(
    app_state: AppState, clients: Clients, repository: str, found: list[Image]
) -> None:
    """``ecrctl images REPO --replication``: one row per image and destination."""
    ecr = EcrRegistry(clients.ecr(), clients.settings.registry_id)
    docs = []
    rows = []
    for image in found:
        statuses = rp.image_replication(ecr, repository, image.digest)
        docs.append({"digest": image.digest, "tags": list(image.tags), "replication": statuses})
        for status in statuses or [
            {"region": None, "registryId": None, "status": None, "failureCode": None}
        ]:
            rows.append(
                [
                    image.digest,
                    cell(list(image.tags)),
                    cell(status["region"]),
                    cell(status["registryId"]),
                    cell(status["status"]),
                    cell(status["failureCode"]),
                ]
            )
    app_state.emit(
        View(
            doc=docs,
            headers=("digest", "tags", "region", "account", "status", "failure"),
            rows=rows,
            text=rows,
        )
    )
