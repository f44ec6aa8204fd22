"""ecrctl registry replication set|show|remove."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Annotated

import typer

from ecrctl.cli.commands.registry.change import apply_change
from ecrctl.cli.common import AppState, Consent, confirm, grouped, say, state
from ecrctl.cli.output import View, cell
from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.names import validate_account, validate_region
from ecrctl.core.registry import replication as rp
from ecrctl.core.registry.change import SettingPlan
from ecrctl.core.registry.replication_change import plan_replication_add, plan_replication_remove

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ReplicationRuleOutputTypeDef

    from ecrctl.core.jsontypes import JsonObject
    from ecrctl.core.models import Image
    from ecrctl.core.registry.settings import SettingChangeDoc
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


@dataclass(frozen=True)
class Destination:
    """--to-region and --to-account, the option group of replication set and remove."""

    to_region: ToRegion = None
    to_account: ToAccount = None

    def check(self) -> None:
        """The region and the account, where given, are valid."""
        if self.to_region is not None:
            validate_region(self.to_region)
        if self.to_account is not None:
            validate_account(self.to_account)


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


@replication_app.command("set")
@grouped
def set_(
    ctx: typer.Context,
    destination: Destination,
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
    consent: Consent = Consent(),
) -> None:
    """Replicate to a region (and account); another account also needs a registry policy."""
    to_region, to_account = destination.to_region, destination.to_account
    if to_region is None:
        raise InvalidInput("--to-region REGION is required")
    destination.check()
    for p in prefix or []:
        rp.validate_prefix(p)
    app_state = state(ctx)
    clients = app_state.clients()

    def open_destination(profile: str, region: str) -> EcrRegistry:
        settings = replace(app_state.settings, profile=profile, region=region, registry_id=None)
        return EcrRegistry(app_state.clients(settings).ecr())

    plan = plan_replication_add(
        EcrRegistry(clients.ecr()),
        region=to_region,
        source_region=clients.region,
        account=to_account,
        prefixes=prefix or [],
        destination_profile=apply_destination_profile,
        open_destination=open_destination,
    )
    extra: dict[str, object] = {"destinationPolicyStatement": plan.statement}
    if plan.destination_policy is not None:
        extra["destinationPolicy"] = _destination_policy(
            plan.destination_policy, plan.account, consent
        )
    elif plan.statement is not None:
        say(
            f"account {plan.account} must allow this registry to replicate into it: put this "
            "statement in its registry policy (or rerun with --apply-destination-profile P):\n"
            + json.dumps(plan.statement, indent=2)
        )
    apply_change(
        app_state,
        plan.replication,
        question=f"Replicate to {plan.account} in {to_region}?",
        consent=consent,
        extra=extra,
    )


def _destination_policy(
    policy: SettingPlan[JsonObject | None], account: str, consent: Consent
) -> SettingChangeDoc[JsonObject | None]:
    """The destination account's registry policy: shown, asked for and put first."""
    if not policy.changed:
        say(f"destination registry policy of {account} already allows replication")
        result = policy.apply()
    elif consent.dry_run:
        say(policy.change.describe())
        say("dry run: the destination registry policy is unchanged")
        result = policy.dry_run()
    else:
        say(policy.change.describe())
        confirm(f"Put the replication statement in {account}'s registry policy?", yes=consent.yes)
        result = policy.apply()
        say(f"destination registry policy of {account} changed")
    return result.change.to_json(applied=result.applied)


@replication_app.command("remove")
@grouped
def remove(
    ctx: typer.Context,
    destination: Destination,
    all_: Annotated[
        bool, typer.Option("--all", help="Remove the whole replication configuration.")
    ] = False,
    consent: Consent = Consent(),
) -> None:
    """Stop replicating to a destination (images already replicated stay there)."""
    to_region, to_account = destination.to_region, destination.to_account
    if all_ and (to_region or to_account):
        raise InvalidInput("--all removes every destination: give it without --to-region")
    if to_region is None and not all_:
        raise InvalidInput("name the destination with --to-region REGION (or give --all)")
    destination.check()
    app_state = state(ctx)
    ecr = EcrRegistry(app_state.clients().ecr())
    plan = plan_replication_remove(ecr, region=to_region, account=to_account, everything=all_)
    where = "every destination" if all_ else f"{to_account or 'this account'} in {to_region}"
    apply_change(app_state, plan, question=f"Stop replicating to {where}?", consent=consent)


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
