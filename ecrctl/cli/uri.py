"""ecrctl uri / ecrctl policy push|pull|read-only."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ecrctl.cli import fleet
from ecrctl.cli.common import state
from ecrctl.cli.completion import complete_repository
from ecrctl.core.iam import PolicyKind, policy_document
from ecrctl.core.uri import full_uri, resolve_host
from ecrctl.render import View


def uri(
    ctx: typer.Context,
    ref: Annotated[
        str | None,
        typer.Argument(
            metavar="REPO[:TAG|@DIGEST]",
            help="Repository, with an optional tag or digest (none: the registry host only).",
            autocompletion=complete_repository,
        ),
    ] = None,
    profiles: fleet.Profiles = None,
    regions: fleet.Regions = None,
) -> None:
    """Print the full image URI (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG), or with no
    argument the registry host alone (export registry=$(ecrctl uri))."""
    app_state = state(ctx)
    if ref is None or fleet.wanted(profiles, regions):
        from ecrctl.cli.fleet_uri import uris

        uris(app_state, ref, profiles, regions)
        return
    image, clients = app_state.target(ref)
    host = resolve_host(
        image,
        registry_id=clients.settings.registry_id,
        region=lambda: clients.region,
        account=lambda: str(clients.client("sts").get_caller_identity()["Account"]),
    )
    text = full_uri(image, host)
    app_state.emit(
        View(
            doc={
                "uri": text,
                "registry": str(host),
                "registryId": host.account,
                "region": host.region,
                "repository": image.repository,
                "tag": image.tag,
                "digest": image.digest,
            },
            rows=[[text]],
            text=[[text]],
        )
    )


policy_app = typer.Typer(
    help="Print a least-privilege IAM policy document for ECR.", no_args_is_help=True
)

RepoArn = Annotated[
    list[str] | None,
    typer.Option(
        "--repository", metavar="ARN", help="Limit to these repository ARNs (repeatable)."
    ),
]


def _policy(ctx: typer.Context, kind: PolicyKind, arns: list[str] | None) -> None:
    doc = policy_document(kind, arns)
    # The document is JSON in every format: it is meant for `> policy.json` or IaC.
    text = json.dumps(doc, indent=2)
    state(ctx).emit(View(doc=doc, rows=[[text]], text=[[text]]))


@policy_app.command("push")
def push(ctx: typer.Context, repository: RepoArn = None) -> None:
    """Policy to push (and pull) images."""
    _policy(ctx, "push", repository)


@policy_app.command("pull")
def pull(ctx: typer.Context, repository: RepoArn = None) -> None:
    """Policy to pull images."""
    _policy(ctx, "pull", repository)


@policy_app.command("read-only")
def read_only(ctx: typer.Context, repository: RepoArn = None) -> None:
    """Policy to read repositories, images, scans and lifecycle policies."""
    _policy(ctx, "read-only", repository)


def register(app: typer.Typer) -> None:
    app.command("uri")(uri)
    app.add_typer(policy_app, name="policy")
