"""The registry at a glance: every registry-wide setting, each section read on its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, TypeVar

from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.registry.replication import replication_configuration
from ecrctl.core.registry.settings import (
    ScanningConfiguration,
    blob_mounting,
    registry_policy,
    scanning_configuration,
)

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ReplicationConfigurationOutputTypeDef

    from ecrctl.core.ecr.api import EcrRegistry
    from ecrctl.core.registry.pullthrough import PullThroughRule

T = TypeVar("T")


class RegistrySections(TypedDict):
    """Each registry-wide setting; None where it could not be read."""

    scanning: ScanningConfiguration | None
    replication: ReplicationConfigurationOutputTypeDef | None
    pullThroughCacheRules: list[PullThroughRule] | None
    blobMounting: str | None
    registryPolicy: JsonObject | None


@dataclass
class RegistryOverview:
    """Every registry setting, each section read on its own: one that fails is an error line."""

    registry_id: str | None
    sections: RegistrySections
    errors: dict[str, Exception]


def overview(
    registry: EcrRegistry, pull_through_rules: Callable[[], list[PullThroughRule]]
) -> RegistryOverview:
    from botocore.exceptions import BotoCoreError, ClientError

    errors: dict[str, Exception] = {}

    def read(name: str, reader: Callable[[], T]) -> T | None:
        try:
            return reader()
        except (ClientError, BotoCoreError) as error:
            errors[name] = error
            return None

    scanning = read("scanning", lambda: scanning_configuration(registry))
    replicated = read("replication", lambda: replication_configuration(registry))
    sections: RegistrySections = {
        "scanning": scanning,
        "replication": None if replicated is None else {"rules": replicated[1]},
        "pullThroughCacheRules": read("pullThroughCacheRules", pull_through_rules),
        "blobMounting": read("blobMounting", lambda: blob_mounting(registry)),
        "registryPolicy": read("registryPolicy", lambda: registry_policy(registry)),
    }
    registry_id = None if replicated is None else replicated[0]
    return RegistryOverview(registry_id, sections, errors)
