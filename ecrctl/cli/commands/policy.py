"""ecrctl policy push|pull|read-only: least-privilege IAM documents, printed or attached inline."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from ecrctl.cli.common import AppState, Consent, confirm, grouped, say, state
from ecrctl.cli.completion import complete_repository
from ecrctl.cli.output import View
from ecrctl.core.access.iam import (
    InlinePolicies,
    PolicyKind,
    PrincipalKind,
    is_repository_arn,
    policy_document,
    repository_arn,
    validate_policy_name,
    validate_principal,
)
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.names import resolve_host

if TYPE_CHECKING:
    from ecrctl.session import Clients

policy_app = typer.Typer(
    help="Print a least-privilege IAM policy document for ECR, or put it inline on a role or user.",
    no_args_is_help=True,
)


Repository = Annotated[
    list[str] | None,
    typer.Option(
        "--repository",
        metavar="NAME|ARN",
        help="Limit to these repositories: names, URIs or ARNs (repeatable).",
        autocompletion=complete_repository,
    ),
]


AttachRole = Annotated[
    str | None,
    typer.Option("--attach-role", metavar="NAME", help="Put the policy inline on this IAM role."),
]


AttachUser = Annotated[
    str | None,
    typer.Option("--attach-user", metavar="NAME", help="Put the policy inline on this IAM user."),
]


Detach = Annotated[
    bool,
    typer.Option("--detach", help="Remove the inline policy from the role or user instead."),
]


PolicyName = Annotated[
    str | None,
    typer.Option(
        "--policy-name", metavar="NAME", help="Inline policy name (default: ecrctl-KIND)."
    ),
]


def _repository_arns(app_state: AppState, given: list[str] | None) -> list[str] | None:
    """ARNs as given; names and URIs become the ARN in their registry and region (every name
    is checked before the one STS call that a name without --registry-id needs)."""
    if not given:
        return None
    targets = [
        (text, None)
        if is_repository_arn(text)
        else (text, app_state.target(text, allow_reference=False))
        for text in given
    ]
    accounts: dict[int, str] = {}

    def account_of(clients: Clients) -> str:
        if id(clients) not in accounts:
            accounts[id(clients)] = str(clients.client("sts").get_caller_identity()["Account"])
        return accounts[id(clients)]

    arns: list[str] = []
    for text, target in targets:
        if target is None:
            arns.append(text)
            continue
        ref, clients = target
        host = resolve_host(
            ref,
            registry_id=clients.settings.registry_id,
            region=lambda: clients.region,  # noqa: B023  (called at once, inside the loop)
            account=lambda: account_of(clients),  # noqa: B023
        )
        arns.append(repository_arn(ref.repository, account=host.account, region=host.region))
    return arns


def _policy(
    ctx: typer.Context,
    kind: PolicyKind,
    repositories: list[str] | None,
    *,
    role: str | None = None,
    user: str | None = None,
    detach: bool = False,
    policy_name: str | None = None,
    consent: Consent,
) -> None:
    if role and user:
        raise InvalidInput("give --attach-role or --attach-user, not both")
    if detach and not (role or user):
        raise InvalidInput("--detach needs --attach-role NAME or --attach-user NAME")
    principal_kind: PrincipalKind = "role" if role else "user"
    principal = role or user
    if principal is not None:
        validate_principal(principal_kind, principal)
    name = validate_policy_name(policy_name or f"ecrctl-{kind}")
    for text in repositories or []:
        if is_repository_arn(text):
            policy_document(kind, [text])  # checks the ARN before any call
    app_state = state(ctx)
    doc = policy_document(kind, _repository_arns(app_state, repositories))
    if principal is None:
        # The document is JSON in every format: it is meant for `> policy.json` or IaC.
        text = json.dumps(doc, indent=2)
        app_state.emit(View(doc=doc, rows=[[text]], text=[[text]]))
        return
    inline = InlinePolicies(app_state.clients().client("iam"), principal_kind, principal)
    change = inline.plan(name, None if detach else doc)
    where = f"{principal_kind} {principal}"
    if not change.changed:
        if detach:
            say(f"{where} has no inline policy {name}; nothing to detach")
        else:
            say(f"inline policy {name} on {where} is already this document; nothing changed")
    else:
        say(change.diff.rstrip("\n"))
        verb = f"remove inline policy {name} from" if detach else f"put inline policy {name} on"
        if consent.dry_run:
            say(f"dry run: would {verb} {where}; nothing changed")
        else:
            confirm(f"{verb.capitalize()} {where}?", yes=consent.yes)
            inline.apply(change)
            done = (
                f"removed inline policy {name} from" if detach else f"put inline policy {name} on"
            )
            say(f"{done} {where}")
    result = {**change.to_json(), "dryRun": consent.dry_run}
    if consent.dry_run or not change.changed:
        result["changed"] = False
        result["wouldChange"] = change.changed
    app_state.emit(
        View.record(
            result,
            [
                ("principal type", "principalType"),
                ("principal", "principal"),
                ("policy name", "policyName"),
                ("attached", "attached"),
                ("changed", "changed"),
            ],
        )
    )


def _command(kind: PolicyKind, doc: str) -> Callable[..., None]:
    """One of push, pull, read-only: the same options, another document."""

    @grouped
    def command(
        ctx: typer.Context,
        repository: Repository = None,
        attach_role: AttachRole = None,
        attach_user: AttachUser = None,
        detach: Detach = False,
        policy_name: PolicyName = None,
        consent: Consent = Consent(),
    ) -> None:
        _policy(
            ctx,
            kind,
            repository,
            role=attach_role,
            user=attach_user,
            detach=detach,
            policy_name=policy_name,
            consent=consent,
        )

    command.__doc__ = doc
    return command


for _kind, _doc in (
    ("push", "Policy to push and pull images (pull too: a build pulls its base and cache images)."),
    ("pull", "Policy to pull images."),
    ("read-only", "Policy to read repositories, images, scans and lifecycle policies."),
):
    policy_app.command(_kind)(_command(_kind, _doc))  # type: ignore[arg-type]


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")
