"""The ``ecrctl registry pull-through add`` use case: the credential secret (with --username),
then the rule, planned together, then made.

``plan_pull_through_add`` reads the rule and, when the caller gives the upstream's login, the
``ecr-pullthroughcache/NAME`` secret; the ``PullThroughAdd`` it returns names the steps (create
or update the secret, create or update the rule) for the command to show and confirm.
``apply_pull_through_add`` writes the secret first, then the rule with the secret's ARN.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.registry import pullthrough as pt

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

    from ecrctl.core.ecr.api import EcrRegistry

Secrets = Callable[[], "SecretsManagerClient"]


@dataclass(frozen=True)
class PullThroughAdd:
    """A pull-through cache rule to add (or give a new credential), and its secret."""

    rule: pt.RulePlan
    secret: pt.SecretPlan | None = None  # with the upstream's login: the secret holding it
    value: dict[str, str] | None = field(default=None, repr=False)  # that login: never shown
    applied: bool = False  # True once the secret and the rule are written

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def upstream(self) -> pt.Upstream:
        return self.rule.upstream

    @property
    def secret_action(self) -> str:
        """create | update | none."""
        return self.secret.action if self.secret else "none"

    @property
    def rule_action(self) -> str:
        """create | update | none (a secret still to be created gives the rule a new ARN)."""
        if self.secret is not None and self.secret.action == "create":
            return "create" if self.rule.existing is None else "update"
        return self.rule.action

    @property
    def steps(self) -> list[str]:
        """What the add does, in order, for a person; none when nothing changes."""
        steps = []
        if self.secret_action != "none":
            steps.append(f"{self.secret_action} secret {pt.secret_name(self.name)}")
        if self.rule_action != "none":
            steps.append(
                f"{self.rule_action} pull-through cache rule {self.name} -> {self.upstream.url}"
            )
        return steps

    @property
    def changed(self) -> bool:
        return bool(self.steps)

    def to_json(self, *, dry_run: bool) -> JsonObject:
        return {
            "name": self.name,
            "upstreamRegistryUrl": self.upstream.url,
            "upstreamRegistry": self.upstream.kind,
            "credentialArn": self.rule.credential_arn,
            "changed": self.applied,
            "wouldChange": self.changed,
            "dryRun": dry_run,
        }


def plan_pull_through_add(
    registry: EcrRegistry,
    name: str,
    source: pt.Upstream,
    *,
    secret_arn: str | None = None,
    login: dict[str, str] | None = None,
    secrets: Secrets | None = None,
) -> PullThroughAdd:
    """Cache ``source`` under ``name``: with ``secret_arn``, an existing secret; with ``login``
    (``{"username", "accessToken"}``), the secret ``ecr-pullthroughcache/NAME`` holding it,
    read and written through ``secrets``."""
    secret = None
    if login is not None:
        if secrets is None:
            raise ValueError("a login to store needs the Secrets Manager client")
        secret = pt.plan_secret(secrets(), pt.secret_name(name), login)
        secret_arn = secret.arn
    return PullThroughAdd(pt.plan_rule(registry, name, source, secret_arn), secret, login)


def apply_pull_through_add(
    registry: EcrRegistry, plan: PullThroughAdd, secrets: Secrets | None = None
) -> PullThroughAdd:
    """Write the secret (its ARN goes on the rule), then the rule."""
    rule = plan.rule
    if plan.secret is not None and plan.value is not None:
        if secrets is None:
            raise ValueError("a login to store needs the Secrets Manager client")
        arn = pt.apply_secret(secrets(), plan.secret, plan.value)
        rule = pt.RulePlan(rule.name, rule.upstream, arn, rule.existing)
    pt.apply_rule(registry, rule)
    return replace(plan, rule=rule, applied=True)
