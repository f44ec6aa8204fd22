"""ecrctl repo policy get|set|delete, repo grant-pull|revoke-pull: who else may use a repository.

Every change is checked locally first (exit 2), shown as a diff on stderr, takes --dry-run, and
asks on a terminal (--yes otherwise): it changes who may read the images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer

from ecrctl.cli.common import AppState, Consent, RepoArg, confirm, grouped, say, state
from ecrctl.cli.output import View
from ecrctl.core.access.policy_change import (
    RepositoryPolicyChange,
    apply_policy_change,
    plan_grant_pull,
    plan_policy_delete,
    plan_policy_set,
    plan_revoke_pull,
)
from ecrctl.core.access.repo_policy import (
    RepositoryPolicies,
    canonical,
    parse_policy,
    pull_access,
    validate_accounts,
    validate_orgs,
)
from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import InvalidInput, NotFound
from ecrctl.core.names import without_reference
from ecrctl.session import Clients

policy_app = typer.Typer(
    help="Read, replace or delete a repository's policy (who else may use it).",
    no_args_is_help=True,
)

Accounts = Annotated[
    list[str] | None,
    typer.Option("--account", metavar="ID", help="An AWS account id (repeatable)."),
]
Orgs = Annotated[
    list[str] | None,
    typer.Option("--org", metavar="o-xxxx", help="An AWS Organizations id (repeatable)."),
]


def _service(app_state: AppState, repo: str) -> tuple[str, RepositoryPolicies, Clients]:
    ref, clients = app_state.target(without_reference(repo), allow_reference=False)
    return (
        ref.repository,
        RepositoryPolicies(EcrRegistry(clients.ecr(), clients.settings.registry_id)),
        clients,
    )


@policy_app.command("get")
def get(ctx: typer.Context, repo: RepoArg) -> None:
    """Print the repository policy (JSON in every format)."""
    app_state = state(ctx)
    name, policies, _ = _service(app_state, repo)
    doc = policies.get(name)
    if doc is None:
        raise NotFound(f"repository {name} has no repository policy")
    text = canonical(doc).rstrip("\n")
    app_state.emit(View(doc=doc, rows=[[text]], text=[[text]]))


def _decide(
    app_state: AppState,
    policies: RepositoryPolicies,
    change: RepositoryPolicyChange,
    *,
    question: str,
    consent: Consent,
) -> None:
    """Show the diff, then (unless a dry run, or nothing changes) ask and apply it."""
    name = change.repository
    say(change.diff.rstrip("\n") if change.changed else f"{name}: nothing to change")
    if change.changed and not consent.dry_run:
        confirm(question, yes=consent.yes)
        change = apply_policy_change(policies, change)
        say(f"{name}: {change.summary()}")
    elif consent.dry_run:
        say("dry run: nothing changed")
    status = change.status
    app_state.emit(View(doc=change.to_json(), rows=[[name, status]], text=[[name, status]]))


@policy_app.command("set")
@grouped
def set_(
    ctx: typer.Context,
    repo: RepoArg,
    file: Annotated[str, typer.Argument(metavar="FILE", help="Policy JSON file ('-': stdin).")],
    consent: Consent,
) -> None:
    """Replace the repository policy with FILE (checked locally first: JSON, size, actions)."""
    import sys

    from ecrctl.core.access.repo_policy import MAX_POLICY_CHARS
    from ecrctl.core.inputs import read_at_most, read_file_at_most

    hint = f"; ECR takes a repository policy of at most {MAX_POLICY_CHARS:,} (nothing was sent)"
    if file == "-":
        text = read_at_most(sys.stdin, MAX_POLICY_CHARS, "<stdin>", hint)
    else:
        text = read_file_at_most(file, MAX_POLICY_CHARS, hint)
    new = parse_policy(text, source=file)
    app_state = state(ctx)
    name, policies, _ = _service(app_state, repo)
    change = plan_policy_set(policies, name, new)
    question = f"Replace the policy on {name}?"
    _decide(app_state, policies, change, question=question, consent=consent)


@policy_app.command("delete")
@grouped
def delete(ctx: typer.Context, repo: RepoArg, consent: Consent) -> None:
    """Delete the repository policy (only the repository's own account may then use it)."""
    app_state = state(ctx)
    name, policies, _ = _service(app_state, repo)
    change = plan_policy_delete(policies, name)
    question = f"Delete the policy on {name}?"
    _decide(app_state, policies, change, question=question, consent=consent)


@dataclass(frozen=True)
class Principals:
    """--account and --org, the option group of grant-pull and revoke-pull: who pulls."""

    account: Accounts = None
    org: Orgs = None

    def checked(self) -> tuple[list[str], list[str]]:
        """The account ids and organization ids, checked; at least one of them."""
        ids, org_ids = validate_accounts(self.account or []), validate_orgs(self.org or [])
        if not ids and not org_ids:
            raise InvalidInput("name who: --account ID (repeatable) and/or --org o-xxxx")
        return ids, org_ids


@grouped
def grant(ctx: typer.Context, repo: RepoArg, pullers: Principals, consent: Consent) -> None:
    """Let other accounts (or an organization) pull: adds the least-privilege pull statement
    (BatchGetImage, GetDownloadUrlForLayer, BatchCheckLayerAvailability); every other statement
    is kept."""
    ids, org_ids = pullers.checked()
    app_state = state(ctx)
    name, policies, clients = _service(app_state, repo)
    change = plan_grant_pull(policies, name, accounts=ids, orgs=org_ids, region=clients.region)
    question = f"Grant pull on {name}?"
    _decide(app_state, policies, change, question=question, consent=consent)


@grouped
def revoke(ctx: typer.Context, repo: RepoArg, pullers: Principals, consent: Consent) -> None:
    """Take back what grant-pull gave those accounts or organizations; other statements stay
    (a note names any that still let them pull)."""
    ids, org_ids = pullers.checked()
    app_state = state(ctx)
    name, policies, _ = _service(app_state, repo)
    change = plan_revoke_pull(policies, name, accounts=ids, orgs=org_ids)
    for who in change.still_pulling:
        say(f"note: {who} may still pull through another statement of the policy")
    question = f"Revoke pull on {name}?"
    _decide(app_state, policies, change, question=question, consent=consent)


def pull_summary(clients: Clients, name: str) -> str:
    """For repo show: who may pull, in one line."""
    policies = RepositoryPolicies(EcrRegistry(clients.ecr(), clients.settings.registry_id))
    return pull_access(policies.get(name)).summary()


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")
    app.command("grant-pull")(grant)
    app.command("revoke-pull")(revoke)
