"""Pull-through cache rules: a repository prefix in ECR that caches an upstream registry.

``docker pull ACCOUNT.dkr.ecr.REGION.amazonaws.com/docker-hub/library/nginx:1.27`` pulls
Docker Hub's ``library/nginx:1.27`` through the rule whose prefix is ``docker-hub``. Upstreams
that need credentials read them from a Secrets Manager secret whose name starts with
``ecr-pullthroughcache/``; ``add`` can create it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from ecrctl.core.exceptions import InvalidInput, NotFound, Refused
from ecrctl.core.inputs import check_pattern

if TYPE_CHECKING:
    from mypy_boto3_ecr.literals import UpstreamRegistryType
    from mypy_boto3_ecr.type_defs import PullThroughCacheRuleTypeDef
    from mypy_boto3_secretsmanager import SecretsManagerClient

    from ecrctl.core.ecr.api import EcrRegistry

SECRET_PREFIX = "ecr-pullthroughcache/"
# botocore's model: PullThroughCacheRuleRepositoryPrefix (2-30 characters) and CredentialArn.
_PREFIX_RE = re.compile(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*")
_CREDENTIAL_ARN_RE = re.compile(
    r"arn:aws(-\w+)*:secretsmanager:[a-zA-Z0-9-:]+:secret:ecr\-pullthroughcache\/[a-zA-Z0-9\/_+=.@-]+"
)


@dataclass(frozen=True)
class Upstream:
    url: str  # upstreamRegistryUrl, as ECR wants it
    kind: UpstreamRegistryType  # upstreamRegistry (botocore's enum)
    credentials: str  # "required", "optional" or "none"


# What people type (the registry's host or ECR's name for it) -> what ECR takes.
_DOCKER_HUB = Upstream("registry-1.docker.io", "docker-hub", "required")
_GHCR = Upstream("ghcr.io", "github-container-registry", "required")
_GITLAB = Upstream("registry.gitlab.com", "gitlab-container-registry", "required")
_QUAY = Upstream("quay.io", "quay", "optional")
_K8S = Upstream("registry.k8s.io", "k8s", "none")
_ECR_PUBLIC = Upstream("public.ecr.aws", "ecr-public", "none")
_CHAINGUARD = Upstream("cgr.dev", "chainguard", "optional")
UPSTREAMS: dict[str, Upstream] = {
    "docker.io": _DOCKER_HUB,
    "registry-1.docker.io": _DOCKER_HUB,
    "docker-hub": _DOCKER_HUB,
    "ghcr.io": _GHCR,
    "github-container-registry": _GHCR,
    "registry.gitlab.com": _GITLAB,
    "gitlab-container-registry": _GITLAB,
    "quay.io": _QUAY,
    "quay": _QUAY,
    "registry.k8s.io": _K8S,
    "k8s": _K8S,
    "public.ecr.aws": _ECR_PUBLIC,
    "ecr-public": _ECR_PUBLIC,
    "cgr.dev": _CHAINGUARD,
    "chainguard": _CHAINGUARD,
}
_AZURE_RE = re.compile(r"[a-z0-9]{5,50}\.azurecr\.io")


def upstream(text: str) -> Upstream:
    name = text.lower().removeprefix("https://").rstrip("/")
    if name in UPSTREAMS:
        return UPSTREAMS[name]
    if _AZURE_RE.fullmatch(name):
        return Upstream(name, "azure-container-registry", "required")
    known = (
        "docker.io, ghcr.io, quay.io, registry.k8s.io, public.ecr.aws, registry.gitlab.com, "
        "cgr.dev, NAME.azurecr.io"
    )
    raise InvalidInput(f"unsupported --upstream {text!r}: ECR caches {known}")


def validate_prefix(name: str) -> str:
    refusal = (
        f"invalid pull-through cache name {name!r}: 2-30 lower-case letters, digits and "
        "._-/, as a repository name (docker-hub, quay)"
    )
    return check_pattern(name, _PREFIX_RE, range(2, 31), refusal)


def validate_secret_arn(arn: str) -> str:
    refusal = (
        f"invalid --secret-arn {arn!r}: a Secrets Manager secret whose name starts with "
        f"{SECRET_PREFIX} (arn:aws:secretsmanager:REGION:ACCOUNT:secret:"
        f"{SECRET_PREFIX}NAME-xxxxxx)"
    )
    return check_pattern(arn, _CREDENTIAL_ARN_RE, range(613), refusal)


def secret_name(prefix: str) -> str:
    return SECRET_PREFIX + prefix


class PullThroughRule(TypedDict):
    """A pull-through cache rule as ecrctl shows it."""

    name: str
    upstreamRegistryUrl: str
    upstreamRegistry: str | None
    credentialArn: str | None
    registryId: str | None
    createdAt: str | None
    updatedAt: str | None


class RuleCheck(TypedDict):
    """ValidatePullThroughCacheRule's answer as ecrctl shows it."""

    name: str
    upstreamRegistryUrl: str | None
    credentialArn: str | None
    valid: bool
    failure: str | None


def _rule_json(rule: PullThroughCacheRuleTypeDef) -> PullThroughRule:
    created = rule.get("createdAt")
    updated = rule.get("updatedAt")
    return {
        "name": rule["ecrRepositoryPrefix"],
        "upstreamRegistryUrl": rule["upstreamRegistryUrl"],
        "upstreamRegistry": rule.get("upstreamRegistry"),
        "credentialArn": rule.get("credentialArn"),
        "registryId": rule.get("registryId"),
        "createdAt": created.isoformat() if created else None,
        "updatedAt": updated.isoformat() if updated else None,
    }


def list_rules(registry: EcrRegistry) -> list[PullThroughRule]:
    return [_rule_json(rule) for rule in registry.pull_through_rules()]


def get_rule(registry: EcrRegistry, name: str) -> PullThroughRule | None:
    rule = registry.pull_through_rule(name)
    return None if rule is None else _rule_json(rule)


@dataclass(frozen=True)
class RulePlan:
    """What ``add`` does: create the rule, change its credential, or nothing."""

    name: str
    upstream: Upstream
    credential_arn: str | None
    existing: PullThroughRule | None

    @property
    def action(self) -> str:
        if self.existing is None:
            return "create"
        if self.existing.get("credentialArn") != self.credential_arn:
            return "update"
        return "none"


def plan_rule(
    registry: EcrRegistry, name: str, source: Upstream, credential_arn: str | None
) -> RulePlan:
    existing = get_rule(registry, name)
    if existing is not None and existing["upstreamRegistryUrl"] != source.url:
        raise Refused(
            f"pull-through cache rule {name} already caches {existing['upstreamRegistryUrl']}, "
            f"not {source.url}: remove it first"
        )
    return RulePlan(name, source, credential_arn, existing)


def apply_rule(registry: EcrRegistry, plan: RulePlan) -> None:
    if plan.action == "create":
        registry.create_pull_through_rule(
            plan.name, plan.upstream.url, plan.upstream.kind, plan.credential_arn
        )
    elif plan.action == "update":
        if plan.credential_arn is None:
            raise InvalidInput(
                f"pull-through cache rule {plan.name} has a credential; ECR cannot remove it "
                "from a rule: remove the rule and add it again"
            )
        registry.update_pull_through_rule(plan.name, plan.credential_arn)


def remove_rule(registry: EcrRegistry, name: str) -> bool:
    """Delete the rule; False when there was none (the second run of ``remove``)."""
    return registry.remove_pull_through_rule(name)


def validate_rule(registry: EcrRegistry, name: str) -> RuleCheck:
    got = registry.check_pull_through_rule(name)
    if got is None:
        raise NotFound(f"no pull-through cache rule {name}")
    return {
        "name": got.get("ecrRepositoryPrefix", name),
        "upstreamRegistryUrl": got.get("upstreamRegistryUrl"),
        "credentialArn": got.get("credentialArn"),
        "valid": bool(got.get("isValid")),
        "failure": got.get("failure") or None,
    }


# -- the credential secret --------------------------------------------------------------------


@dataclass(frozen=True)
class SecretPlan:
    """The ``ecr-pullthroughcache/NAME`` secret: create it, change its value, or nothing."""

    name: str
    arn: str | None  # None until created
    action: str  # "create", "update" or "none"


def plan_secret(sm: SecretsManagerClient, name: str, value: dict[str, str]) -> SecretPlan:
    try:
        got = sm.get_secret_value(SecretId=name)
    except sm.exceptions.ResourceNotFoundException:
        return SecretPlan(name, None, "create")
    try:
        same = json.loads(got.get("SecretString", "")) == value
    except ValueError:
        same = False
    return SecretPlan(name, got["ARN"], "none" if same else "update")


def apply_secret(sm: SecretsManagerClient, plan: SecretPlan, value: dict[str, str]) -> str:
    """Create or update the secret; returns its ARN."""
    text = json.dumps(value)
    if plan.action == "create":
        return sm.create_secret(
            Name=plan.name,
            SecretString=text,
            Description="Upstream registry credentials for an ECR pull-through cache rule",
        )["ARN"]
    if plan.action == "update":
        sm.put_secret_value(SecretId=plan.name, SecretString=text)
    assert plan.arn is not None
    return plan.arn
