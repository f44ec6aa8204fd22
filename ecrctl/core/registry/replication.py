"""EcrRegistry replication: add or remove a destination, and the policy another account needs.

ECR keeps one replication configuration per registry: a list of rules, each with destinations
(region, account) and optional repository-name prefix filters. ``set`` adds a destination to
the rule with the same filters (or a new rule); ``remove`` takes it out again, dropping rules
left without a destination.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypedDict

from ecrctl.core.access.iam import partition
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.inputs import check_pattern
from ecrctl.core.jsontypes import JsonObject, JsonValue
from ecrctl.core.names import validate_account, validate_region
from ecrctl.core.registry.settings import SettingChange, registry_policy

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import (
        ReplicationConfigurationOutputTypeDef,
        ReplicationDestinationTypeDef,
        ReplicationRuleOutputTypeDef,
        RepositoryFilterTypeDef,
    )

    from ecrctl.core.ecr.api import EcrRegistry

# botocore's model: RepositoryFilterValue (a repository name prefix), 2-256 characters.
_PREFIX_RE = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]*)*/)*[a-z0-9]*(?:[._-][a-z0-9]*)*")
MAX_RULES = 10
MAX_DESTINATIONS = 25


def validate_prefix(prefix: str) -> str:
    refusal = (
        f"invalid --prefix {prefix!r}: a repository name prefix of 2-256 lower-case "
        "letters, digits and ._-/ (prod/, team-a)"
    )
    return check_pattern(prefix, _PREFIX_RE, range(2, 257), refusal)


def replication_configuration(
    registry: EcrRegistry,
) -> tuple[str, list[ReplicationRuleOutputTypeDef]]:
    """The registry id and its replication rules (empty when nothing replicates)."""
    got = registry.registry_replication()
    rules = (got.get("replicationConfiguration") or {"rules": []}).get("rules", [])
    return str(got["registryId"]), [rule.copy() for rule in rules]


def _filters(prefixes: list[str]) -> list[RepositoryFilterTypeDef]:
    return [{"filter": p, "filterType": "PREFIX_MATCH"} for p in sorted(set(prefixes))]


def _same_filters(
    rule: ReplicationRuleOutputTypeDef, filters: list[RepositoryFilterTypeDef]
) -> bool:
    have = sorted((f["filter"], f["filterType"]) for f in rule.get("repositoryFilters", []))
    return have == [(f["filter"], f["filterType"]) for f in filters]


def _check_limits(rules: list[ReplicationRuleOutputTypeDef]) -> None:
    if len(rules) > MAX_RULES:
        raise InvalidInput(f"a registry has at most {MAX_RULES} replication rules")
    if sum(len(rule["destinations"]) for rule in rules) > MAX_DESTINATIONS:
        raise InvalidInput(f"a registry replicates to at most {MAX_DESTINATIONS} destinations")


def plan_add(
    registry: EcrRegistry,
    *,
    region: str,
    source_region: str,
    account: str | None,
    prefixes: list[str],
) -> tuple[str, SettingChange[ReplicationConfigurationOutputTypeDef]]:
    """Add the destination (region, account or this registry's own) to the rule with these
    prefix filters; returns this registry's id and the change."""
    validate_region(region)
    if account is not None:
        validate_account(account)
    for prefix in prefixes:
        validate_prefix(prefix)
    registry_id, rules = replication_configuration(registry)
    destination: ReplicationDestinationTypeDef = {
        "region": region,
        "registryId": account or registry_id,
    }
    if destination == {"region": source_region, "registryId": registry_id}:
        raise InvalidInput(
            f"--to-region {region}: that is this registry itself; replicate to another region "
            "or another account"
        )
    filters = _filters(prefixes)
    after = copy.deepcopy(rules)
    for rule in after:
        if _same_filters(rule, filters):
            if destination not in rule["destinations"]:
                rule["destinations"].append(destination)
            break
    else:
        added: ReplicationRuleOutputTypeDef = {"destinations": [destination]}
        if filters:
            added["repositoryFilters"] = filters
        after.append(added)
    _check_limits(after)
    return registry_id, SettingChange("replication", {"rules": rules}, {"rules": after})


def plan_remove(
    registry: EcrRegistry, *, region: str | None, account: str | None, everything: bool
) -> SettingChange[ReplicationConfigurationOutputTypeDef]:
    """Remove the destination (region, and account if given) from every rule; or all rules."""
    if region is None and not everything:
        raise InvalidInput("name the destination with --to-region R (or remove --all)")
    if region is not None:
        validate_region(region)
    if account is not None:
        validate_account(account)
    registry_id, rules = replication_configuration(registry)
    if everything:
        return SettingChange("replication", {"rules": rules}, {"rules": []})
    target_account = account or registry_id
    after: list[ReplicationRuleOutputTypeDef] = []
    for rule in copy.deepcopy(rules):
        rule["destinations"] = [
            d
            for d in rule["destinations"]
            if not (d["region"] == region and d["registryId"] == target_account)
        ]
        if rule["destinations"]:
            after.append(rule)
    return SettingChange("replication", {"rules": rules}, {"rules": after})


def apply(
    registry: EcrRegistry, change: SettingChange[ReplicationConfigurationOutputTypeDef]
) -> None:
    if change.changed:
        registry.set_replication(change.after)


# -- the destination's side -------------------------------------------------------------------


def destination_statement(*, source_account: str, account: str, region: str) -> JsonObject:
    """The registry-policy statement AWS documents for cross-account replication: the source
    account may create repositories and replicate images into the destination registry."""
    part = partition(region)
    return {
        "Sid": f"ReplicationFrom{source_account}",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{part}:iam::{source_account}:root"},
        "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
        "Resource": f"arn:{part}:ecr:{region}:{account}:repository/*",
    }


def with_statement(policy: JsonObject | None, statement: JsonObject) -> JsonObject:
    """The policy with this statement added or replaced (by Sid); other statements kept."""
    document: JsonObject = (
        copy.deepcopy(policy) if policy else {"Version": "2012-10-17", "Statement": []}
    )
    found = document.get("Statement", [])
    statements: list[JsonValue] = (
        [found] if isinstance(found, Mapping) else list(found) if isinstance(found, list) else []
    )
    sids = [s.get("Sid") if isinstance(s, Mapping) else None for s in statements]
    if statement["Sid"] in sids:
        statements[sids.index(statement["Sid"])] = statement  # in place: no spurious change
    else:
        statements.append(statement)
    document["Statement"] = statements
    return document


def plan_destination_policy(
    dest: EcrRegistry, statement: JsonObject
) -> SettingChange[JsonObject | None]:
    before = registry_policy(dest)
    return SettingChange("destination registry policy", before, with_statement(before, statement))


def apply_destination_policy(dest: EcrRegistry, change: SettingChange[JsonObject | None]) -> None:
    if change.changed:
        dest.write_registry_policy(json.dumps(change.after))


# -- each image's replication status ----------------------------------------------------------


class ReplicationStatus(TypedDict):
    region: str | None
    registryId: str | None
    status: str | None
    failureCode: str | None


def image_replication(
    registry: EcrRegistry, repository: str, digest: str
) -> list[ReplicationStatus]:
    """Where one image has been replicated to: region, account, status, failure code."""
    return [
        {
            "region": status.get("region"),
            "registryId": status.get("registryId"),
            "status": status.get("status"),
            "failureCode": status.get("failureCode") or None,
        }
        for status in registry.replication_statuses(repository, digest)
    ]
