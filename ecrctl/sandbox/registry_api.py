"""ECR's registry calls that moto lacks, answered as ECR does (shapes from botocore's model).

- Pull-through cache rules: CreatePullThroughCacheRule, DescribePullThroughCacheRules,
  UpdatePullThroughCacheRule, DeletePullThroughCacheRule, ValidatePullThroughCacheRule. A rule
  names one of ECR's upstream registries by its URL; Docker Hub, GitHub, GitLab and Azure take a
  Secrets Manager secret (``ecr-pullthroughcache/...``), which must exist (looked up in the
  sandbox's own Secrets Manager). Validation reads that secret and checks its syntax
  (``username`` and ``accessToken``); the sandbox reaches no upstream, so a well-formed secret is
  taken as valid.
- Account settings: GetAccountSetting and PutAccountSetting for BASIC_SCAN_TYPE_VERSION,
  REGISTRY_POLICY_SCOPE and BLOB_MOUNTING, with the values ECR documents.

State is kept per account and region, in memory, until the sandbox stops or moto is reset.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_ACCOUNT = "123456789012"  # moto's account for any credentials
MAX_RULES = 50  # ECR's quota of pull-through cache rules per registry
DEFAULT_PAGE = 100
_PREFIX_PATTERN = (
    r"^([a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*\/?|ROOT)$"
)
_ARN_PATTERN = (
    r"^arn:aws(-\w+)*:secretsmanager:[a-zA-Z0-9-:]+:secret:ecr\-pullthroughcache\/"
    r"[a-zA-Z0-9\/_+=.@-]+$"
)
_REGISTRY_ID_PATTERN = r"[0-9]{12}"


class ServiceError(Exception):
    """An AWS error answer: ``{"__type": code, "message": ...}`` with HTTP 400."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class _Upstream:
    url: str  # a regular expression for the registry's URL
    credential: str  # "required", "optional" or "none"


# ECR's upstream registries (UpstreamRegistry), the URL each is reached at, and its credential.
UPSTREAMS = {
    "docker-hub": _Upstream(r"registry-1\.docker\.io", "required"),
    "github-container-registry": _Upstream(r"ghcr\.io", "required"),
    "gitlab-container-registry": _Upstream(r"registry\.gitlab\.com", "required"),
    "azure-container-registry": _Upstream(r"[a-z0-9]{5,50}\.azurecr\.io", "required"),
    "quay": _Upstream(r"quay\.io", "optional"),
    "chainguard": _Upstream(r"cgr\.dev", "optional"),
    "k8s": _Upstream(r"registry\.k8s\.io", "none"),
    "ecr-public": _Upstream(r"public\.ecr\.aws", "none"),
    "ecr": _Upstream(r"[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com", "none"),
}

ACCOUNT_SETTINGS = {  # name -> (default, accepted values)
    "BASIC_SCAN_TYPE_VERSION": ("AWS_NATIVE", ("AWS_NATIVE",)),
    "REGISTRY_POLICY_SCOPE": ("V2", ("V1", "V2")),
    "BLOB_MOUNTING": ("DISABLED", ("ENABLED", "DISABLED")),
}


def _constraint(value: Any, member: str, pattern: str) -> None:
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        raise ServiceError(
            "ValidationException",
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {pattern}",
        )


def _upstream_of(url: str, named: str | None) -> str:
    """The upstream registry's name for ``url`` (checked against ``named`` when given)."""
    found = next((name for name, up in UPSTREAMS.items() if re.fullmatch(up.url, url)), None)
    if named is not None and named not in UPSTREAMS:
        raise ServiceError(
            "UnsupportedUpstreamRegistryException",
            f"the ecrctl sandbox does not emulate the upstream registry '{named}'",
        )
    if found is None:
        raise ServiceError(
            "UnsupportedUpstreamRegistryException",
            f"The specified upstream registry '{url}' isn't supported.",
        )
    if named is not None and named != found:
        raise ServiceError(
            "InvalidParameterException",
            f"The upstream registry URL '{url}' does not belong to the upstream registry "
            f"'{named}'.",
        )
    return found


@dataclass
class _Registry:
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)


class RegistryApi:
    """The answers; ``secrets(region)`` is a Secrets Manager client on this very sandbox."""

    OPERATIONS = (
        "CreatePullThroughCacheRule",
        "DescribePullThroughCacheRules",
        "UpdatePullThroughCacheRule",
        "DeletePullThroughCacheRule",
        "ValidatePullThroughCacheRule",
        "GetAccountSetting",
        "PutAccountSetting",
    )

    def __init__(self, secrets: Callable[[str], Any]) -> None:
        self.secrets = secrets
        self.registries: dict[tuple[str, str], _Registry] = {}
        self.lock = threading.Lock()

    def reset(self) -> None:
        with self.lock:
            self.registries.clear()

    def answer(self, operation: str, body: dict[str, Any], region: str) -> dict[str, Any]:
        account = body.get("registryId") or DEFAULT_ACCOUNT
        _constraint(account, "registryId", _REGISTRY_ID_PATTERN)
        handler = getattr(self, "_" + re.sub(r"(?<!^)([A-Z])", r"_\1", operation).lower())
        result: dict[str, Any] = handler(body, region, account)
        return result

    def _registry(self, region: str, account: str) -> _Registry:
        with self.lock:
            return self.registries.setdefault((account, region), _Registry())

    # -- pull-through cache rules -------------------------------------------------------

    def _secret(self, region: str, arn: str) -> dict[str, Any] | None:
        sm = self.secrets(region)
        try:
            return dict(sm.get_secret_value(SecretId=arn))
        except sm.exceptions.ResourceNotFoundException:
            return None

    def _check_credential(self, region: str, upstream: str, arn: Any) -> None:
        need = UPSTREAMS[upstream].credential
        if arn is None:
            if need == "required":
                raise ServiceError(
                    "UnsupportedUpstreamRegistryException",
                    "The specified upstream registry requires authentication. Specify a valid "
                    "Secrets Manager ARN",
                )
            return
        _constraint(arn, "credentialArn", _ARN_PATTERN)
        if need == "none":
            raise ServiceError(
                "InvalidParameterException",
                f"The upstream registry '{upstream}' does not take credentials: "
                "remove credentialArn",
            )
        if self._secret(region, str(arn)) is None:
            raise ServiceError(
                "SecretNotFoundException",
                f"The secret '{arn}' specified in the pull through cache rule was not found.",
            )

    def _rule(self, registry: _Registry, prefix: Any, account: str) -> dict[str, Any]:
        _constraint(prefix, "ecrRepositoryPrefix", _PREFIX_PATTERN)
        with self.lock:
            rule = registry.rules.get(str(prefix))
        if rule is None:
            raise ServiceError(
                "PullThroughCacheRuleNotFoundException",
                f"The pull through cache rule with the repository prefix '{prefix}' does not "
                f"exist in the registry with id '{account}'",
            )
        return rule

    def _create_pull_through_cache_rule(
        self, body: dict[str, Any], region: str, account: str
    ) -> dict[str, Any]:
        prefix = body.get("ecrRepositoryPrefix")
        _constraint(prefix, "ecrRepositoryPrefix", _PREFIX_PATTERN)
        url = str(body.get("upstreamRegistryUrl") or "")
        upstream = _upstream_of(url, body.get("upstreamRegistry"))
        arn = body.get("credentialArn")
        self._check_credential(region, upstream, arn)
        registry = self._registry(region, account)
        rule: dict[str, Any] = {
            "ecrRepositoryPrefix": prefix,
            "upstreamRegistryUrl": url,
            "createdAt": time.time(),
            "registryId": account,
            "upstreamRegistry": upstream,
        }
        if arn is not None:
            rule["credentialArn"] = arn
        with self.lock:
            if prefix in registry.rules:
                raise ServiceError(
                    "PullThroughCacheRuleAlreadyExistsException",
                    f"A pull through cache rule with the repository prefix '{prefix}' already "
                    f"exists in the registry with id '{account}'",
                )
            if len(registry.rules) >= MAX_RULES:
                raise ServiceError(
                    "LimitExceededException",
                    f"A registry has at most {MAX_RULES} pull through cache rules",
                )
            registry.rules[str(prefix)] = rule
        return dict(rule)

    def _describe_pull_through_cache_rules(
        self, body: dict[str, Any], region: str, account: str
    ) -> dict[str, Any]:
        registry = self._registry(region, account)
        wanted = body.get("ecrRepositoryPrefixes")
        if wanted:
            rules = [self._rule(registry, prefix, account) for prefix in wanted]
        else:
            with self.lock:
                rules = list(registry.rules.values())  # in the order they were created
        limit = body.get("maxResults") or DEFAULT_PAGE
        if not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise ServiceError("InvalidParameterException", "maxResults must be 1-1000")
        start = str(body.get("nextToken") or "0")
        if not start.isdigit():
            raise ServiceError("InvalidParameterException", "Invalid nextToken")
        page = rules[int(start) : int(start) + limit]
        answer: dict[str, Any] = {"pullThroughCacheRules": [dict(r) for r in page]}
        if int(start) + limit < len(rules):
            answer["nextToken"] = str(int(start) + limit)
        return answer

    def _update_pull_through_cache_rule(
        self, body: dict[str, Any], region: str, account: str
    ) -> dict[str, Any]:
        rule = self._rule(self._registry(region, account), body.get("ecrRepositoryPrefix"), account)
        arn = body.get("credentialArn")
        self._check_credential(region, rule["upstreamRegistry"], arn)
        with self.lock:
            if arn is None:
                rule.pop("credentialArn", None)
            else:
                rule["credentialArn"] = arn
            rule["updatedAt"] = time.time()
            keys = ("ecrRepositoryPrefix", "registryId", "updatedAt", "credentialArn")
            return {key: rule[key] for key in keys if key in rule}

    def _delete_pull_through_cache_rule(
        self, body: dict[str, Any], region: str, account: str
    ) -> dict[str, Any]:
        registry = self._registry(region, account)
        rule = self._rule(registry, body.get("ecrRepositoryPrefix"), account)
        with self.lock:
            registry.rules.pop(rule["ecrRepositoryPrefix"], None)
        return {k: v for k, v in rule.items() if k != "updatedAt"}

    def _validate_pull_through_cache_rule(
        self, body: dict[str, Any], region: str, account: str
    ) -> dict[str, Any]:
        rule = self._rule(self._registry(region, account), body.get("ecrRepositoryPrefix"), account)
        answer: dict[str, Any] = {
            key: rule[key]
            for key in ("ecrRepositoryPrefix", "registryId", "upstreamRegistryUrl", "credentialArn")
            if key in rule
        }
        failure = self._credential_failure(region, rule.get("credentialArn"))
        answer["isValid"] = failure is None
        if failure is not None:
            answer["failure"] = failure
        return answer

    def _credential_failure(self, region: str, arn: str | None) -> str | None:
        """Why the rule's secret cannot authenticate, or None (no secret, or a good one)."""
        if arn is None:
            return None
        secret = self._secret(region, arn)
        if secret is None:
            return f"Unable to retrieve the secret '{arn}': it does not exist"
        try:
            value = json.loads(secret.get("SecretString") or "")
        except ValueError:
            value = None
        if not (
            isinstance(value, dict)
            and isinstance(value.get("username"), str)
            and isinstance(value.get("accessToken"), str)
        ):
            return (
                f"The secret '{arn}' is not valid: it must be JSON with the keys 'username' "
                "and 'accessToken'"
            )
        return None

    # -- account settings ---------------------------------------------------------------

    def _setting_name(self, body: dict[str, Any]) -> str:
        name = str(body.get("name") or "")
        if name not in ACCOUNT_SETTINGS:
            raise ServiceError(
                "InvalidParameterException",
                f"Invalid account setting name '{name}': one of "
                + ", ".join(sorted(ACCOUNT_SETTINGS)),
            )
        return name

    def _get_account_setting(
        self, body: dict[str, Any], region: str, account: str
    ) -> dict[str, Any]:
        name = self._setting_name(body)
        registry = self._registry(region, account)
        with self.lock:
            value = registry.settings.get(name, ACCOUNT_SETTINGS[name][0])
        return {"name": name, "value": value}

    def _put_account_setting(
        self, body: dict[str, Any], region: str, account: str
    ) -> dict[str, Any]:
        name = self._setting_name(body)
        value = str(body.get("value") or "")
        accepted = ACCOUNT_SETTINGS[name][1]
        if value not in accepted:
            raise ServiceError(
                "InvalidParameterException",
                f"Invalid value '{value}' for the account setting {name}: " + " or ".join(accepted),
            )
        registry = self._registry(region, account)
        with self.lock:
            registry.settings[name] = value
        return {"name": name, "value": value}
