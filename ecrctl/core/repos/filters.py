"""``repo list`` filters that answer a fleet's questions: which repositories have mutable tags,
which have no lifecycle policy."""

from __future__ import annotations

from dataclasses import dataclass

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.models import Repository

_BOOLEANS = {"true": True, "yes": True, "false": False, "no": False}


def parse_boolean(text: str | None, option: str) -> bool | None:
    """``true``/``false`` (or yes/no) -> bool; None when not given."""
    if text is None:
        return None
    value = _BOOLEANS.get(text.strip().lower())
    if value is None:
        raise InvalidInput(f"invalid {option} {text!r}: true or false")
    return value


@dataclass(frozen=True)
class RepositoryFilter:
    immutable: bool | None = None  # tags immutable (IMMUTABLE, IMMUTABLE_WITH_EXCLUSION) or not
    without_lifecycle_policy: bool = False  # one GetLifecyclePolicy per repository left

    def keeps(self, repository: Repository) -> bool:
        if self.immutable is None:
            return True
        return repository.tag_mutability.startswith("IMMUTABLE") == self.immutable

    def apply(self, registry: EcrRegistry, repositories: list[Repository]) -> list[Repository]:
        kept = [r for r in repositories if self.keeps(r)]
        if self.without_lifecycle_policy:
            kept = [r for r in kept if not has_lifecycle_policy(registry, r.name)]
        return kept


def has_lifecycle_policy(registry: EcrRegistry, repository: str) -> bool:
    return registry.lifecycle_policy(repository) is not None
