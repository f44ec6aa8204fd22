"""Registry-wide settings: scanning configuration, blob mounting, the registry policy, one view.

Every change is planned first (``SettingChange``: the document before and after), so a command
can show it, stop there for --dry-run, say "nothing changed" when the two are equal, and only
then apply it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Literal, TypedDict, TypeVar

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.inputs import check_pattern
from ecrctl.core.jsontypes import JsonObject

if TYPE_CHECKING:
    from mypy_boto3_ecr.literals import ScanTypeType
    from mypy_boto3_ecr.type_defs import RegistryScanningRuleOutputTypeDef

    from ecrctl.core.ecr.api import EcrRegistry

ScanFrequency = Literal["CONTINUOUS_SCAN", "SCAN_ON_PUSH"]
T = TypeVar("T")


class ScanningConfiguration(TypedDict):
    """The registry's scanning configuration as ecrctl shows and compares it."""

    scanType: ScanTypeType
    rules: list[RegistryScanningRuleOutputTypeDef]


BLOB_MOUNTING = "BLOB_MOUNTING"
# botocore's model: ScanningRepositoryFilterValue (a wildcard pattern), 1-255 characters.
_SCAN_FILTER_RE = re.compile(r"[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*")


def validate_scan_filter(pattern: str) -> str:
    refusal = (
        f"invalid --filter {pattern!r}: a repository name pattern in lower case, "
        "with * as wildcard (prod/*, *-api, *)"
    )
    return check_pattern(pattern, _SCAN_FILTER_RE, range(1, 256), refusal)


class SettingChangeDoc(TypedDict, Generic[T]):
    setting: str
    before: T
    after: T
    changed: bool
    wouldChange: bool


@dataclass(frozen=True)
class SettingChange(Generic[T]):
    """One setting, before and after: ``changed`` is False when applying would do nothing."""

    what: str
    before: T
    after: T

    @property
    def changed(self) -> bool:
        return _canonical(self.before) != _canonical(self.after)

    def describe(self) -> str:
        """The change for a person: before -> after, as compact JSON."""
        return f"{self.what}: {_canonical(self.before)} -> {_canonical(self.after)}"

    def to_json(self, *, applied: bool) -> SettingChangeDoc[T]:
        return {
            "setting": self.what,
            "before": self.before,
            "after": self.after,
            "changed": applied and self.changed,
            "wouldChange": self.changed,
        }


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# -- scanning ---------------------------------------------------------------------------------


def scanning_configuration(registry: EcrRegistry) -> ScanningConfiguration:
    """``{"scanType": ..., "rules": [...]}`` with each rule's filters sorted (for comparing)."""
    got = registry.registry_scanning()
    rules: list[RegistryScanningRuleOutputTypeDef] = [
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
) -> ScanningConfiguration:
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
    rule: RegistryScanningRuleOutputTypeDef = {
        "scanFrequency": frequency or "CONTINUOUS_SCAN",
        "repositoryFilters": [
            {"filter": pattern, "filterType": "WILDCARD"}
            for pattern in sorted(set(filters or ["*"]))
        ],
    }
    return {"scanType": "ENHANCED" if enhanced else "BASIC", "rules": [rule]}


def plan_scanning(
    registry: EcrRegistry, desired: ScanningConfiguration
) -> SettingChange[ScanningConfiguration]:
    return SettingChange("registry scanning", scanning_configuration(registry), desired)


def apply_scanning(registry: EcrRegistry, change: SettingChange[ScanningConfiguration]) -> None:
    if change.changed:
        registry.set_registry_scanning(change.after["scanType"], change.after["rules"])


# -- blob mounting ----------------------------------------------------------------------------


def blob_mounting(registry: EcrRegistry) -> str:
    """``ENABLED`` or ``DISABLED`` (the account setting BLOB_MOUNTING)."""
    value = registry.account_setting(BLOB_MOUNTING)
    return "DISABLED" if value is None else str(value)


def plan_blob_mounting(registry: EcrRegistry, enable: bool) -> SettingChange[str]:
    return SettingChange(
        "blob mounting", blob_mounting(registry), "ENABLED" if enable else "DISABLED"
    )


def apply_blob_mounting(registry: EcrRegistry, change: SettingChange[str]) -> None:
    if change.changed:
        registry.set_account_setting(BLOB_MOUNTING, change.after)


# -- registry policy --------------------------------------------------------------------------


def registry_policy(registry: EcrRegistry) -> JsonObject | None:
    """The registry policy (None when there is none)."""
    text = registry.registry_policy_text()
    policy: JsonObject | None = json.loads(text) if text else None
    return policy
