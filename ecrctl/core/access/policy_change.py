"""The ``ecrctl repo policy set|delete`` and ``repo grant-pull|revoke-pull`` use cases: what the
repository policy would become, then making it so.

Each ``plan_*`` reads the current policy and returns a ``RepositoryPolicyChange`` (before, after,
the diff, who may pull after); the command shows it, stops for --dry-run or when nothing
changes, asks, and calls ``apply_policy_change``, which sets (or deletes) the policy and returns
the change marked applied.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ecrctl.core.access.repo_policy import (
    PullAccess,
    RepositoryPolicies,
    canonical,
    diff,
    grant_pull,
    pull_access,
    revoke_pull,
)
from ecrctl.core.exceptions import NotFound
from ecrctl.core.jsontypes import JsonObject


@dataclass(frozen=True)
class RepositoryPolicyChange:
    """A repository's policy, before and after (None: no policy)."""

    repository: str
    before: JsonObject | None
    after: JsonObject | None
    applied: bool = False  # True once the repository has the new policy
    # revoke-pull: accounts and organizations another statement still lets pull
    still_pulling: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """False when the policy would stay as it is (keys sorted: AWS re-orders them)."""
        return canonical(self.before) != canonical(self.after)

    @property
    def diff(self) -> str:
        """Unified diff, current to new, keys sorted; empty when nothing changes."""
        return diff(self.before, self.after, self.repository)

    @property
    def pull_access(self) -> PullAccess:
        """Who may pull once the change is made."""
        return pull_access(self.after)

    @property
    def status(self) -> str:
        """unchanged | would change | changed."""
        if not self.changed:
            return "unchanged"
        return "changed" if self.applied else "would change"

    def to_json(self) -> JsonObject:
        doc: JsonObject = {
            "repository": self.repository,
            "changed": self.applied,
            "policy": self.after,
        }
        if self.changed:
            doc["pullAccess"] = self.pull_access.to_json()
        return doc


def plan_policy_set(
    policies: RepositoryPolicies, repository: str, policy: JsonObject
) -> RepositoryPolicyChange:
    """Replace the repository's policy with ``policy`` (already checked: parse_policy)."""
    return RepositoryPolicyChange(repository, policies.get(repository), policy)


def plan_policy_delete(policies: RepositoryPolicies, repository: str) -> RepositoryPolicyChange:
    """Delete the repository's policy (NotFound when it has none)."""
    current = policies.get(repository)
    if current is None:
        raise NotFound(f"repository {repository} has no repository policy")
    return RepositoryPolicyChange(repository, current, None)


def plan_grant_pull(
    policies: RepositoryPolicies,
    repository: str,
    *,
    accounts: list[str],
    orgs: list[str],
    region: str | None = None,
) -> RepositoryPolicyChange:
    """Add those accounts and organizations to ecrctl's pull statements."""
    current = policies.get(repository)
    after = grant_pull(current, accounts=accounts, orgs=orgs, region=region)
    return RepositoryPolicyChange(repository, current, after)


def plan_revoke_pull(
    policies: RepositoryPolicies, repository: str, *, accounts: list[str], orgs: list[str]
) -> RepositoryPolicyChange:
    """Take those accounts and organizations out of ecrctl's pull statements; ``still_pulling``
    names those another statement of the policy still lets pull."""
    current = policies.get(repository)
    after = revoke_pull(current, accounts=accounts, orgs=orgs)
    still = pull_access(after)
    kept = [a for a in accounts if a in still.accounts] + [o for o in orgs if o in still.orgs]
    return RepositoryPolicyChange(repository, current, after, still_pulling=tuple(kept))


def apply_policy_change(
    policies: RepositoryPolicies, change: RepositoryPolicyChange
) -> RepositoryPolicyChange:
    """Set the new policy (or delete it, when none is left); nothing when nothing changes."""
    if not change.changed:
        return change
    if change.after is None:
        policies.delete(change.repository)
    else:
        policies.set(change.repository, change.after)
    return replace(change, applied=True)
