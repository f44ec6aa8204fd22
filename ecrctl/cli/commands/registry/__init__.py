"""ecrctl registry show|scanning|replication|pull-through|blob-mounting."""

from __future__ import annotations

from collections.abc import Sized
from typing import TYPE_CHECKING, Annotated

import typer

from ecrctl.cli.commands.registry.change import apply_change
from ecrctl.cli.commands.registry.pullthrough import pull_through_app
from ecrctl.cli.commands.registry.replication import replication_app
from ecrctl.cli.common import Consent, grouped, state
from ecrctl.cli.output import View, cell
from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import InvalidInput, Refused
from ecrctl.core.registry import settings as rs
from ecrctl.core.registry.change import plan_blob_mounting, plan_scanning
from ecrctl.core.registry.overview import overview

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ReplicationConfigurationOutputTypeDef

    from ecrctl.core.jsontypes import JsonObject

app = typer.Typer(
    help="Registry-wide settings: scanning, replication, pull-through cache, blob mounting.",
    no_args_is_help=True,
)
scanning_app = typer.Typer(
    help="The registry's image scanning configuration.", no_args_is_help=True
)
blob_app = typer.Typer(
    help="Blob mounting: pushes and copies reuse layers already in the registry.",
    no_args_is_help=True,
)

# -- show -------------------------------------------------------------------------------------


def _scanning_lines(config: rs.ScanningConfiguration | None) -> list[str]:
    if config is None:
        return []
    if not config["rules"]:
        return [f"{config['scanType']}, manual scans only"]
    return [
        f"{config['scanType']}, {rule['scanFrequency']}: "
        + ",".join(f["filter"] for f in rule["repositoryFilters"])
        for rule in config["rules"]
    ]


def _replication_lines(config: ReplicationConfigurationOutputTypeDef | None) -> list[str]:
    if config is None:
        return []
    lines = []
    for rule in config["rules"]:
        where = ",".join(f"{d['registryId']}/{d['region']}" for d in rule["destinations"])
        prefixes = ",".join(f["filter"] for f in rule.get("repositoryFilters", [])) or "*"
        lines.append(f"{prefixes} -> {where}")
    return lines or ["none"]


def _policy_line(policy: JsonObject | None) -> str:
    if policy is None:
        return "none"
    statements = policy.get("Statement", [])
    return f"{len(statements) if isinstance(statements, Sized) else 1} statement(s)"


@app.command("show")
def show(ctx: typer.Context) -> None:
    """Scanning, replication, pull-through cache rules, blob mounting and the registry policy."""
    from ecrctl.cli.errors import classify
    from ecrctl.core.registry.pullthrough import list_rules

    app_state = state(ctx)
    ecr = EcrRegistry(app_state.clients().ecr())
    found = overview(ecr, lambda: list_rules(ecr))
    errors = {name: classify(error).message for name, error in found.errors.items()}
    sections = found.sections
    doc = {"registryId": found.registry_id, **sections, "errors": errors}
    rules = sections["pullThroughCacheRules"]
    rows: list[list[str]] = []
    text: list[list[str]] = []
    sections_shown = (
        ("scanning", "scanning", _scanning_lines(sections["scanning"])),
        ("replication", "replication", _replication_lines(sections["replication"])),
        (
            "pull-through cache",
            "pullThroughCacheRules",
            [f"{r['name']} -> {r['upstreamRegistryUrl']}" for r in rules or []] or ["none"],
        ),
        ("blob mounting", "blobMounting", [cell(sections["blobMounting"])]),
        (
            "registry policy",
            "registryPolicy",
            [_policy_line(sections["registryPolicy"])],
        ),
    )
    for label, key, lines in sections_shown:
        if key in errors:
            lines = [f"unavailable: {errors[key]}"]
        rows.extend([label if i == 0 else "", line] for i, line in enumerate(lines))
        text.extend([label, line] for line in lines)  # scripts get the label on every line
    app_state.emit(View(doc=doc, headers=("setting", "value"), rows=rows, text=text))
    if errors:
        labels = {key: label for label, key, _ in sections_shown}
        raise Refused(f"could not read {', '.join(labels[k] for k in errors)} (see above)")


# -- scanning ---------------------------------------------------------------------------------


@scanning_app.command("show")
def scanning_show(ctx: typer.Context) -> None:
    """The registry scanning configuration: type, frequency, repository filters."""
    app_state = state(ctx)
    config = rs.scanning_configuration(EcrRegistry(app_state.clients().ecr()))
    lines = _scanning_lines(config)
    app_state.emit(
        View(doc=config, rows=[[line] for line in lines], text=[[line] for line in lines])
    )


@scanning_app.command("set")
@grouped
def scanning_set(
    ctx: typer.Context,
    enhanced: Annotated[
        bool, typer.Option("--enhanced", help="Enhanced scanning (Amazon Inspector).")
    ] = False,
    basic: Annotated[bool, typer.Option("--basic", help="Basic scanning (ECR's own).")] = False,
    continuous: Annotated[
        bool, typer.Option("--continuous", help="Rescan as new findings appear (enhanced).")
    ] = False,
    on_push: Annotated[bool, typer.Option("--on-push", help="Scan each image on push.")] = False,
    filter_: Annotated[
        list[str] | None,
        typer.Option(
            "--filter", metavar="PATTERN", help="Only repositories matching PATTERN (repeatable)."
        ),
    ] = None,
    consent: Consent = Consent(),
) -> None:
    """Set the scanning type, frequency and filters (enhanced: continuous unless --on-push)."""
    if enhanced == basic:
        raise InvalidInput("choose one of --enhanced or --basic")
    if continuous and on_push:
        raise InvalidInput("choose one of --continuous or --on-push")
    frequency: rs.ScanFrequency | None = (
        "CONTINUOUS_SCAN" if continuous else "SCAN_ON_PUSH" if on_push else None
    )
    desired = rs.desired_scanning(enhanced=enhanced, frequency=frequency, filters=filter_ or [])
    app_state = state(ctx)
    plan = plan_scanning(EcrRegistry(app_state.clients().ecr()), desired)
    question = f"Change the registry's scanning to {desired['scanType']}?"
    apply_change(app_state, plan, question=question, consent=consent)


# -- blob mounting ----------------------------------------------------------------------------


def _blob(ctx: typer.Context, enable: bool, consent: Consent) -> None:
    app_state = state(ctx)
    plan = plan_blob_mounting(EcrRegistry(app_state.clients().ecr()), enable)
    question = f"{'Enable' if enable else 'Disable'} blob mounting for the registry?"
    apply_change(app_state, plan, question=question, consent=consent)


@blob_app.command("enable")
@grouped
def blob_enable(ctx: typer.Context, consent: Consent) -> None:
    """Turn blob mounting on (the account setting BLOB_MOUNTING)."""
    _blob(ctx, True, consent)


@blob_app.command("disable")
@grouped
def blob_disable(ctx: typer.Context, consent: Consent) -> None:
    """Turn blob mounting off."""
    _blob(ctx, False, consent)


@blob_app.command("show")
def blob_show(ctx: typer.Context) -> None:
    """ENABLED or DISABLED."""
    app_state = state(ctx)
    value = rs.blob_mounting(EcrRegistry(app_state.clients().ecr()))
    app_state.emit(View(doc={"blobMounting": value}, rows=[[value]], text=[[value]]))


app.add_typer(scanning_app, name="scanning")
app.add_typer(replication_app, name="replication")
app.add_typer(pull_through_app, name="pull-through")
app.add_typer(blob_app, name="blob-mounting")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="registry")
