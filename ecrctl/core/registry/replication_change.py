"""The ``ecrctl registry replication set|remove`` use cases.

``plan_replication_add`` plans this registry's new replication configuration and, for another
account, the registry-policy statement that account needs; given a way to open the destination
registry with the destination's own credentials (``--apply-destination-profile``), it checks
that they are the destination account's and plans that policy too. The command shows each
``SettingPlan``, asks, and applies it (the destination's policy first: replication into an
account that does not allow it fails).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.registry import replication as rp
from ecrctl.core.registry.change import SettingPlan

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ReplicationConfigurationOutputTypeDef

    from ecrctl.core.ecr.api import EcrRegistry

# (profile, region) -> the destination registry, with that profile's credentials
OpenRegistry = Callable[[str, str], "EcrRegistry"]


@dataclass(frozen=True)
class ReplicationPlan:
    """A destination added to this registry's replication."""

    registry_id: str  # this registry's
    region: str
    account: str  # the destination account (this registry's own unless --to-account)
    # this registry's replication configuration
    replication: SettingPlan[ReplicationConfigurationOutputTypeDef]
    statement: JsonObject | None = None  # what another account's registry policy needs
    # that policy, with the destination's profile
    destination_policy: SettingPlan[JsonObject | None] | None = None

    @property
    def cross_account(self) -> bool:
        return self.statement is not None


def plan_replication_add(
    registry: EcrRegistry,
    *,
    region: str,
    source_region: str,
    account: str | None,
    prefixes: list[str],
    destination_profile: str | None = None,
    open_destination: OpenRegistry | None = None,
) -> ReplicationPlan:
    """Replicate to ``region`` (and ``account``) the repositories starting with ``prefixes``
    (none: every one); with ``destination_profile``, plan the destination's registry policy
    with that profile (``open_destination`` opens its registry)."""
    registry_id, change = rp.plan_add(
        registry, region=region, source_region=source_region, account=account, prefixes=prefixes
    )
    replication = SettingPlan(change, lambda planned: rp.apply(registry, planned))
    if account is None or account == registry_id:
        if destination_profile:
            raise InvalidInput(
                "--apply-destination-profile is for another account (--to-account ID)"
            )
        return ReplicationPlan(registry_id, region, registry_id, replication)
    statement = rp.destination_statement(source_account=registry_id, account=account, region=region)
    plan = ReplicationPlan(registry_id, region, account, replication, statement)
    if destination_profile is None or open_destination is None:
        return plan
    destination = open_destination(destination_profile, region)
    destination_id, _ = rp.replication_configuration(destination)
    if destination_id != account:
        raise InvalidInput(
            f"--apply-destination-profile {destination_profile} is account {destination_id}, "
            f"not the destination {account}"
        )
    policy = SettingPlan(
        rp.plan_destination_policy(destination, statement),
        lambda planned: rp.apply_destination_policy(destination, planned),
    )
    return ReplicationPlan(registry_id, region, account, replication, statement, policy)


def plan_replication_remove(
    registry: EcrRegistry, *, region: str | None, account: str | None, everything: bool
) -> SettingPlan[ReplicationConfigurationOutputTypeDef]:
    """Stop replicating to ``region`` (and ``account``), or to every destination."""
    change = rp.plan_remove(registry, region=region, account=account, everything=everything)
    return SettingPlan(change, lambda planned: rp.apply(registry, planned))
