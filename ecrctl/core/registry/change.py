"""A registry setting's change as a use case: planned (``SettingPlan``: the change, before and
after, and how to make it), shown and confirmed by the command, then applied, which returns a
``SettingResult``. The plans of scanning and blob mounting are here; replication's are in
``replication_change``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from ecrctl.core.registry import settings as rs
from ecrctl.core.registry.settings import ScanningConfiguration, SettingChange, SettingChangeDoc

if TYPE_CHECKING:
    from ecrctl.core.ecr.api import EcrRegistry

T = TypeVar("T")


class SettingResultDoc(SettingChangeDoc[T], Generic[T]):
    dryRun: bool


@dataclass(frozen=True)
class SettingResult(Generic[T]):
    """The setting after the command: ``applied`` once the registry has the new value."""

    change: SettingChange[T]
    applied: bool = False
    dry_run: bool = False

    def to_json(self) -> SettingResultDoc[T]:
        return {**self.change.to_json(applied=self.applied), "dryRun": self.dry_run}


@dataclass(frozen=True)
class SettingPlan(Generic[T]):
    """One setting's planned change, and the call that makes it."""

    change: SettingChange[T]
    put: Callable[[SettingChange[T]], None] = field(repr=False, compare=False)

    @property
    def changed(self) -> bool:
        return self.change.changed

    def apply(self) -> SettingResult[T]:
        """Make the change (nothing is called when nothing would change)."""
        if not self.change.changed:
            return SettingResult(self.change)
        self.put(self.change)
        return SettingResult(self.change, applied=True)

    def dry_run(self) -> SettingResult[T]:
        return SettingResult(self.change, dry_run=True)


def plan_scanning(
    registry: EcrRegistry, desired: ScanningConfiguration
) -> SettingPlan[ScanningConfiguration]:
    """The registry's scanning configuration -> ``desired`` (rs.desired_scanning)."""
    return SettingPlan(
        rs.plan_scanning(registry, desired), lambda change: rs.apply_scanning(registry, change)
    )


def plan_blob_mounting(registry: EcrRegistry, enable: bool) -> SettingPlan[str]:
    """The account setting BLOB_MOUNTING -> ENABLED or DISABLED."""
    return SettingPlan(
        rs.plan_blob_mounting(registry, enable),
        lambda change: rs.apply_blob_mounting(registry, change),
    )
