"""The ECR API side of a copy: the destination repository's mutability, and ``--create`` with
the source repository's settings (mutability, scan on push, encryption)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ecrctl.core.exceptions import RepositoryNotFound

if TYPE_CHECKING:
    from ecrctl.core.ecr.api import EcrRegistry


@dataclass(frozen=True)
class RepositorySettings:
    immutable: bool = False
    scan_on_push: bool = False
    encryption: tuple[str, str | None] = ("AES256", None)  # (type, KMS key)

    def to_json(self) -> dict[str, Any]:
        return {
            "imageTagMutability": "IMMUTABLE" if self.immutable else "MUTABLE",
            "scanOnPush": self.scan_on_push,
            "encryptionType": self.encryption[0],
            "kmsKey": self.encryption[1],
        }


def repository_settings(registry: EcrRegistry, repository: str) -> RepositorySettings | None:
    """The repository's settings, or None when it does not exist."""
    try:
        repo = registry.repository(repository)
    except RepositoryNotFound:
        return None
    encryption: dict[str, Any] = dict(repo.get("encryptionConfiguration") or {})
    return RepositorySettings(
        immutable=str(repo.get("imageTagMutability", "MUTABLE")).startswith("IMMUTABLE"),
        scan_on_push=bool((repo.get("imageScanningConfiguration") or {}).get("scanOnPush")),
        encryption=(
            str(encryption.get("encryptionType") or "AES256"),
            encryption.get("kmsKey"),
        ),
    )


def create_repository(registry: EcrRegistry, repository: str, settings: RepositorySettings) -> None:
    """Create the destination repository like the source (a KMS key of another account's
    registry is kept only within one account: a key is not shared by a copy)."""
    encryption: dict[str, Any] = {"encryptionType": settings.encryption[0]}
    if settings.encryption[1]:
        encryption["kmsKey"] = settings.encryption[1]
    registry.create_repo(
        {
            "repositoryName": repository,
            "imageTagMutability": "IMMUTABLE" if settings.immutable else "MUTABLE",
            "imageScanningConfiguration": {"scanOnPush": settings.scan_on_push},
            "encryptionConfiguration": encryption,  # type: ignore[typeddict-item]
        }
    )
