"""EcrRegistry-wide settings: scanning configuration, blob mounting, the registry policy, one view.

Every change is planned first (``SettingChange``: the document before and after), so a command
can show it, stop there for --dry-run, say "nothing changed" when the two are equal, and only
then apply it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ecrctl.core.exceptions import InvalidInput

if TYPE_CHECKING:
    from ecrctl.core.ecr.api import EcrRegistry

ScanFrequency = Literal["CONTINUOUS_SCAN", "SCAN_ON_PUSH"]

BLOB_MOUNTING = "BLOB_MOUNTING"
# botocore's model: ScanningRepositoryFilterValue (a wildcard pattern), 1-255 characters.
_SCAN_FILTER_RE = re.compile(r"[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*")


def validate_scan_filter(pattern: str) -> str:
    if not (1 <= len(pattern) <= 255 and _SCAN_FILTER_RE.fullmatch(pattern)):
        raise InvalidInput(
            f"invalid --filter {pattern!r}: a repository name pattern in lower case, "
            "with * as wildcard (prod/*, *-api, *)"
        )
    return pattern


@dataclass(frozen=True)
class SettingChange:
    """One setting, before and after: ``changed`` is False when applying would do nothing."""

    what: str
    before: Any
    after: Any

    @property
    def changed(self) -> bool:
        return _canonical(self.before) != _canonical(self.after)

    def describe(self) -> str:
        """The change for a person: before -> after, as compact JSON."""
        return f"{self.what}: {_canonical(self.before)} -> {_canonical(self.after)}"

    def to_json(self, *, applied: bool) -> dict[str, Any]:
        return {
            "setting": self.what,
            "before": self.before,
            "after": self.after,
            "changed": applied and self.changed,
            "wouldChange": self.changed,
        }


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# -- scanning ---------------------------------------------------------------------------------


def scanning_configuration(registry: EcrRegistry) -> dict[str, Any]:
    """``{"scanType": ..., "rules": [...]}`` with each rule's filters sorted (for comparing)."""
    got = registry.ecr.get_registry_scanning_configuration().get("scanningConfiguration", {})
    rules = [
        {
            "scanFrequency": rule["scanFrequency"],
            "repositoryFilters": sorted(
                (
                    {"filter": f["filter"], "filterType": f["filterType"]}
                    for f in rule.get("repositoryFilters", [])
                ),
                key=lambda f: f["filter"],
            ),
        }
        for rule in got.get("rules", [])
    ]
    return {"scanType": got.get("scanType", "BASIC"), "rules": rules}


def desired_scanning(
    *, enhanced: bool, frequency: ScanFrequency | None, filters: list[str]
) -> dict[str, Any]:
    """The configuration ``scanning set`` asks for; checked here, before any call.

    Enhanced scanning scans continuously unless told ``--on-push``; basic scanning is manual
    unless told ``--on-push``. Filters default to every repository (``*``)."""
    for pattern in filters:
        validate_scan_filter(pattern)
    if not enhanced and frequency == "CONTINUOUS_SCAN":
        raise InvalidInput("--continuous needs --enhanced: basic scanning scans on push or by hand")
    if not enhanced and frequency is None:
        if filters:
            raise InvalidInput("--filter with --basic needs --on-push (which repositories to scan)")
        return {"scanType": "BASIC", "rules": []}
    repository_filters = [
        {"filter": pattern, "filterType": "WILDCARD"} for pattern in sorted(set(filters or ["*"]))
    ]
    rule = {
        "scanFrequency": frequency or "CONTINUOUS_SCAN",
        "repositoryFilters": repository_filters,
    }
    return {"scanType": "ENHANCED" if enhanced else "BASIC", "rules": [rule]}


def plan_scanning(registry: EcrRegistry, desired: dict[str, Any]) -> SettingChange:
    return SettingChange("registry scanning", scanning_configuration(registry), desired)


def apply_scanning(registry: EcrRegistry, change: SettingChange) -> None:
    if change.changed:
        registry.ecr.put_registry_scanning_configuration(
            scanType=change.after["scanType"], rules=change.after["rules"]
        )


# -- blob mounting ----------------------------------------------------------------------------


def blob_mounting(registry: EcrRegistry) -> str:
    """``ENABLED`` or ``DISABLED`` (the account setting BLOB_MOUNTING)."""
    return str(registry.ecr.get_account_setting(name=BLOB_MOUNTING).get("value", "DISABLED"))


def plan_blob_mounting(registry: EcrRegistry, enable: bool) -> SettingChange:
    return SettingChange(
        "blob mounting", blob_mounting(registry), "ENABLED" if enable else "DISABLED"
    )


def apply_blob_mounting(registry: EcrRegistry, change: SettingChange) -> None:
    if change.changed:
        registry.ecr.put_account_setting(name=BLOB_MOUNTING, value=str(change.after))


# -- registry policy --------------------------------------------------------------------------


def registry_policy(registry: EcrRegistry) -> dict[str, Any] | None:
    try:
        text = registry.ecr.get_registry_policy().get("policyText")
    except registry.ecr.exceptions.RegistryPolicyNotFoundException:
        return None
    policy: dict[str, Any] | None = json.loads(text) if text else None
    return policy
