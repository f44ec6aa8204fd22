"""ecrctl registry pull-through add|list|remove|validate."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from ecrctl.cli.common import Consent, confirm, grouped, say, state
from ecrctl.cli.output import View, cell
from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import InvalidInput, Refused
from ecrctl.core.registry import pullthrough as pt
from ecrctl.core.registry.pullthrough_change import apply_pull_through_add, plan_pull_through_add

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

pull_through_app = typer.Typer(
    help="Pull-through cache rules: cache Docker Hub, GHCR, Quay, ... in this registry.",
    no_args_is_help=True,
)

MAX_PASSWORD_STDIN = 4096
Name = Annotated[
    str,
    typer.Argument(metavar="NAME", help="The rule's repository prefix (docker-hub, quay, ...)."),
]
FIELDS = [
    ("name", "name"),
    ("upstream", "upstreamRegistryUrl"),
    ("credential", "credentialArn"),
    ("created", "createdAt"),
]


def _read_password() -> str:
    from ecrctl.core.inputs import read_at_most

    text = read_at_most(sys.stdin, MAX_PASSWORD_STDIN, "--password-stdin").rstrip("\r\n")
    if not text:
        raise InvalidInput("--password-stdin: nothing was read from stdin")
    return text


@pull_through_app.command("add")
@grouped
def add(
    ctx: typer.Context,
    name: Name,
    upstream: Annotated[
        str,
        typer.Option(
            "--upstream",
            metavar="REGISTRY",
            help="docker.io, ghcr.io, quay.io, registry.k8s.io, ...",
        ),
    ],
    secret_arn: Annotated[
        str | None,
        typer.Option(
            "--secret-arn", metavar="ARN", help="Secrets Manager secret ecr-pullthroughcache/..."
        ),
    ] = None,
    username: Annotated[
        str | None,
        typer.Option("--username", metavar="USER", help="Upstream user: creates the secret."),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the upstream token from stdin.")
    ] = False,
    consent: Consent = Consent(),
) -> None:
    """Cache an upstream registry under NAME/ (docker pull REGISTRY/NAME/library/nginx)."""
    pt.validate_prefix(name)
    source = pt.upstream(upstream)
    if secret_arn is not None:
        pt.validate_secret_arn(secret_arn)
        if username is not None or password_stdin:
            raise InvalidInput("give --secret-arn or --username/--password-stdin, not both")
    if (username is None) != (not password_stdin):
        raise InvalidInput("--username and --password-stdin go together")
    with_credentials = secret_arn is not None or username is not None
    if source.credentials == "required" and not with_credentials:
        raise InvalidInput(
            f"{source.url} needs credentials: --secret-arn ARN, or --username USER "
            "--password-stdin (creates the secret)"
        )
    if source.credentials == "none" and with_credentials:
        raise InvalidInput(f"{source.url} takes no credentials: drop --secret-arn/--username")
    value = {"username": username, "accessToken": _read_password()} if username else None

    app_state = state(ctx)
    clients = app_state.clients()
    ecr = EcrRegistry(clients.ecr())

    def secrets() -> SecretsManagerClient:
        client: SecretsManagerClient = clients.client("secretsmanager")
        return client

    plan = plan_pull_through_add(
        ecr, name, source, secret_arn=secret_arn, login=value, secrets=secrets
    )
    steps = plan.steps
    if not steps:
        say(f"pull-through cache rule {name} already caches {source.url}; nothing changed")
    elif consent.dry_run:
        say("dry run: would " + "; ".join(steps) + "; nothing changed")
    else:
        confirm(steps[0][0].upper() + "; ".join(steps)[1:] + "?", yes=consent.yes)
        plan = apply_pull_through_add(ecr, plan, secrets)
        say("done: " + "; ".join(steps))
    app_state.emit(
        View.record(
            plan.to_json(dry_run=consent.dry_run),
            [(label, key) for label, key in FIELDS[:3]] + [("changed", "changed")],
        )
    )


@pull_through_app.command("list")
def list_(ctx: typer.Context) -> None:
    """Every pull-through cache rule: name, upstream, credential."""
    app_state = state(ctx)
    clients = app_state.clients()
    rules = pt.list_rules(EcrRegistry(clients.ecr(), clients.settings.registry_id))
    rows = [[cell(rule.get(key)) for _, key in FIELDS] for rule in rules]
    app_state.emit(
        View(doc=rules, headers=tuple(label for label, _ in FIELDS), rows=rows, text=rows)
    )


@pull_through_app.command("remove")
@grouped
def remove(ctx: typer.Context, name: Name, consent: Consent) -> None:
    """Delete the rule (cached repositories and the secret stay)."""
    pt.validate_prefix(name)
    app_state = state(ctx)
    ecr = EcrRegistry(app_state.clients().ecr())
    existing = pt.get_rule(ecr, name)
    removed = False
    if existing is None:
        say(f"no pull-through cache rule {name}; nothing to remove")
    elif consent.dry_run:
        say(f"dry run: would remove pull-through cache rule {name}; nothing changed")
    else:
        confirm(
            f"Remove pull-through cache rule {name} ({existing['upstreamRegistryUrl']})?",
            yes=consent.yes,
        )
        removed = pt.remove_rule(ecr, name)
        say(
            f"removed pull-through cache rule {name}"
            if removed
            else f"no rule {name} left to remove"
        )
    doc = {
        "name": name,
        "removed": removed,
        "wouldChange": existing is not None,
        "dryRun": consent.dry_run,
    }
    app_state.emit(View.record(doc, [("name", "name"), ("removed", "removed")]))


@pull_through_app.command("validate")
def validate(ctx: typer.Context, name: Name) -> None:
    """Ask ECR to reach the upstream with the rule's credential (exit 1 when it cannot)."""
    pt.validate_prefix(name)
    app_state = state(ctx)
    result = pt.validate_rule(EcrRegistry(app_state.clients().ecr()), name)
    app_state.emit(
        View.record(
            result,
            [
                ("name", "name"),
                ("upstream", "upstreamRegistryUrl"),
                ("valid", "valid"),
                ("failure", "failure"),
            ],
        )
    )
    if not result["valid"]:
        reason = result["failure"] or "no reason given"
        raise Refused(f"pull-through cache rule {name} failed validation: {reason}")
