"""The ``ecrctl lifecycle put`` use case: what putting a policy would change, then putting it.

``plan_policy_change`` reads the repository's current policy and images and evaluates the new
policy on them now; the ``PolicyChange`` it returns carries the difference from the current
policy and what the new one would expire. The command shows it, asks, and calls
``apply_policy_change``.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, replace
from datetime import datetime

from ecrctl.core.jsontypes import JsonObject, JsonValue
from ecrctl.core.lifecycle.evaluate import Evaluation, evaluate
from ecrctl.core.lifecycle.model import Policy
from ecrctl.core.lifecycle.preview import LifecycleService, StoredPolicy

# The parts of an evaluation that ``lifecycle put`` reports (not the kept images or the rules).
_PUT_KEYS = ("at", "summary", "affected", "later")


@dataclass(frozen=True)
class PolicyEvaluation:
    """A policy evaluated on a repository's images; ``unread``: index manifests that could not
    be read, so the images they reference may be shown as expiring although ECR keeps them."""

    policy: Policy
    evaluation: Evaluation
    unread: tuple[str, ...] = ()


def evaluate_on(
    service: LifecycleService, repository: str, policy: Policy | None, at: datetime
) -> PolicyEvaluation:
    """``policy`` (None: the repository's current one) evaluated at ``at`` on the repository's
    images as they are now."""
    if policy is None:
        from ecrctl.core.lifecycle.validate import parse_policy

        stored = service.get(repository)
        policy = parse_policy(stored.text, f"(the current policy of {repository})")
    inventory = service.inventory(repository)
    evaluation = evaluate(policy, inventory.images, at, inventory.references)
    return PolicyEvaluation(policy, evaluation, inventory.unread)


@dataclass(frozen=True)
class PolicyChange:
    """A new lifecycle policy for a repository, next to the current one, and what it would do."""

    repository: str
    current: StoredPolicy | None
    proposed: PolicyEvaluation
    put: bool = False  # True once the policy is on the repository

    @property
    def policy(self) -> Policy:
        return self.proposed.policy

    @property
    def evaluation(self) -> Evaluation:
        return self.proposed.evaluation

    @property
    def unread(self) -> tuple[str, ...]:
        return self.proposed.unread

    @property
    def document(self) -> JsonValue:
        loaded: JsonValue = json.loads(self.policy.text)
        return loaded

    @property
    def changed(self) -> bool:
        """False when the repository has this policy already (the same JSON document)."""
        return self.current is None or self.current.document != self.document

    @property
    def diff(self) -> list[str]:
        """Unified diff, current (pretty JSON, as ``lifecycle get`` shows it) to new; no line
        when nothing changes."""
        if not self.changed:
            return []
        before = self.current.pretty().splitlines() if self.current is not None else []
        after = json.dumps(self.document, indent=2, ensure_ascii=False).splitlines()
        name = self.repository
        old = f"{name} (current)" if self.current is not None else f"{name} (no policy)"
        return list(difflib.unified_diff(before, after, old, f"{name} (new)", lineterm=""))

    @property
    def expiring(self) -> int:
        """Images the new policy would expire now (AWS acts within 24 hours)."""
        return self.evaluation.count("expire")

    def to_json(self) -> JsonObject:
        evaluation = self.evaluation.to_json()
        return {
            "repository": self.repository,
            "changed": self.changed,
            "put": self.put,
            "policy": self.document,
            **{key: evaluation[key] for key in _PUT_KEYS},
        }


def plan_policy_change(
    service: LifecycleService, repository: str, policy: Policy, *, at: datetime
) -> PolicyChange:
    """The current policy, and ``policy`` evaluated at ``at`` on the repository's images."""
    current = service.current(repository)
    return PolicyChange(repository, current, evaluate_on(service, repository, policy, at))


def apply_policy_change(service: LifecycleService, change: PolicyChange) -> PolicyChange:
    """Put the new policy on the repository."""
    service.put(change.repository, change.policy)
    return replace(change, put=True)
