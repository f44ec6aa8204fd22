"""The registry at a glance: every registry-wide setting, each section read on its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ecrctl.core.registry.replication import replication_configuration
from ecrctl.core.registry.settings import blob_mounting, registry_policy, scanning_configuration

if TYPE_CHECKING:
    from ecrctl.core.ecr.api import EcrRegistry


@dataclass
class RegistryOverview:
    """Every registry setting, each section read on its own: one that fails is an error line."""

    registry_id: str | None
    sections: dict[str, Any]
    errors: dict[str, Exception]


def overview(
    registry: EcrRegistry, pull_through_rules: Callable[[], list[dict[str, Any]]]
) -> RegistryOverview:
    from botocore.exceptions import BotoCoreError, ClientError

    registry_id: str | None = None

    def replication() -> Any:
        nonlocal registry_id
        registry_id, rules = replication_configuration(registry)
        return {"rules": rules}

    readers: dict[str, Callable[[], Any]] = {
        "scanning": lambda: scanning_configuration(registry),
        "replication": replication,
        "pullThroughCacheRules": pull_through_rules,
        "blobMounting": lambda: blob_mounting(registry),
        "registryPolicy": lambda: registry_policy(registry),
    }
    sections: dict[str, Any] = {}
    errors: dict[str, Exception] = {}
    for name, read in readers.items():
        try:
            sections[name] = read()
        except (ClientError, BotoCoreError) as error:
            sections[name] = None
            errors[name] = error
    return RegistryOverview(registry_id, sections, errors)
