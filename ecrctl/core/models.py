"""Typed results of core/; ``to_json`` gives the stable, documented JSON shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypedDict

from ecrctl.core.severities import SEVERITIES as SEVERITIES  # where the commands took it from
from ecrctl.core.sizes import human_size as human_size  # where the commands took it from

if TYPE_CHECKING:
    from mypy_boto3_ecr.literals import ImageTagMutabilityType
    from mypy_boto3_ecr.type_defs import ImageDetailTypeDef, RepositoryTypeDef


def iso(value: datetime | None) -> str | None:
    """ISO-8601 in UTC with a Z, or None."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class RepositoryJson(TypedDict):
    name: str
    uri: str
    arn: str
    registryId: str
    createdAt: str | None
    tagMutability: str
    tagMutabilityExceptions: list[str]
    scanOnPush: bool
    encryption: str
    kmsKey: str | None


class RepositoryDetailsJson(RepositoryJson):
    tags: dict[str, str]
    imageCount: int
    totalSizeBytes: int
    lifecyclePolicy: bool
    repositoryPolicy: bool


class ImageJson(TypedDict):
    digest: str
    tags: list[str]
    pushedAt: str | None
    sizeBytes: int
    mediaType: str | None
    lastPulledAt: str | None
    scanStatus: str | None
    severityCounts: dict[str, int]
    platforms: list[str]


class TagEntryJson(TypedDict):
    tag: str
    digest: str
    pushedAt: str | None
    sizeBytes: int


class RemovalPlanJson(TypedDict):
    name: str
    imageCount: int
    sizeBytes: int
    removable: bool
    reason: str | None


@dataclass(frozen=True)
class Repository:
    name: str
    uri: str
    arn: str
    registry_id: str
    created_at: datetime | None
    tag_mutability: ImageTagMutabilityType
    scan_on_push: bool
    encryption: str = "AES256"
    kms_key: str | None = None
    # Wildcard patterns of tags excepted from ``tag_mutability`` (the *_WITH_EXCLUSION modes).
    mutability_exceptions: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, data: RepositoryTypeDef) -> Repository:
        encryption = data.get("encryptionConfiguration")
        exclusions = data.get("imageTagMutabilityExclusionFilters") or []
        return cls(
            name=data["repositoryName"],
            uri=data["repositoryUri"],
            arn=data["repositoryArn"],
            registry_id=data["registryId"],
            created_at=data.get("createdAt"),
            tag_mutability=data.get("imageTagMutability", "MUTABLE"),
            scan_on_push=bool((data.get("imageScanningConfiguration") or {}).get("scanOnPush")),
            encryption=encryption.get("encryptionType", "AES256") if encryption else "AES256",
            kms_key=encryption.get("kmsKey") if encryption else None,
            mutability_exceptions=tuple(f["filter"] for f in exclusions if f.get("filter")),
        )

    @property
    def mutability(self) -> str:
        """``immutable``, ``mutable``, or ``immutable except dev-*,test-*`` (for tables)."""
        base = self.tag_mutability.split("_WITH_EXCLUSION", 1)[0].lower()
        if self.mutability_exceptions:
            return f"{base} except {','.join(self.mutability_exceptions)}"
        return base

    def to_json(self) -> RepositoryJson:
        return {
            "name": self.name,
            "uri": self.uri,
            "arn": self.arn,
            "registryId": self.registry_id,
            "createdAt": iso(self.created_at),
            "tagMutability": self.tag_mutability,
            "tagMutabilityExceptions": list(self.mutability_exceptions),
            "scanOnPush": self.scan_on_push,
            "encryption": self.encryption,
            "kmsKey": self.kms_key,
        }


@dataclass(frozen=True)
class RepositoryDetails:
    repository: Repository
    image_count: int
    total_size_bytes: int
    has_lifecycle_policy: bool
    has_repository_policy: bool
    resource_tags: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> RepositoryDetailsJson:
        return {
            **self.repository.to_json(),
            "tags": dict(self.resource_tags),
            "imageCount": self.image_count,
            "totalSizeBytes": self.total_size_bytes,
            "lifecyclePolicy": self.has_lifecycle_policy,
            "repositoryPolicy": self.has_repository_policy,
        }


@dataclass(frozen=True)
class Image:
    """One image digest with what DescribeImages says of it."""

    digest: str
    tags: tuple[str, ...]
    pushed_at: datetime | None
    size_bytes: int
    media_type: str | None = None
    artifact_media_type: str | None = None
    last_pulled_at: datetime | None = None
    scan_status: str | None = None
    severity_counts: dict[str, int] = field(default_factory=dict)
    platforms: tuple[str, ...] = ()  # an index's children (os/arch[/variant]), in its order

    @classmethod
    def from_api(cls, data: ImageDetailTypeDef) -> Image:
        summary = data.get("imageScanFindingsSummary") or {}
        return cls(
            digest=data["imageDigest"],
            tags=tuple(data.get("imageTags") or ()),
            pushed_at=data.get("imagePushedAt"),
            size_bytes=int(data.get("imageSizeInBytes") or 0),
            media_type=data.get("imageManifestMediaType"),
            artifact_media_type=data.get("artifactMediaType"),
            last_pulled_at=data.get("lastRecordedPullTime"),
            scan_status=(data.get("imageScanStatus") or {}).get("status"),
            severity_counts={
                k: int(v) for k, v in (summary.get("findingSeverityCounts") or {}).items()
            },
        )

    def to_json(self) -> ImageJson:
        return {
            "digest": self.digest,
            "tags": list(self.tags),
            "pushedAt": iso(self.pushed_at),
            "sizeBytes": self.size_bytes,
            "mediaType": self.media_type,
            "lastPulledAt": iso(self.last_pulled_at),
            "scanStatus": self.scan_status,
            "severityCounts": {
                s: self.severity_counts[s] for s in SEVERITIES if s in self.severity_counts
            },
            "platforms": list(self.platforms),
        }


@dataclass(frozen=True)
class TagEntry:
    tag: str
    digest: str
    pushed_at: datetime | None
    size_bytes: int

    def to_json(self) -> TagEntryJson:
        return {
            "tag": self.tag,
            "digest": self.digest,
            "pushedAt": iso(self.pushed_at),
            "sizeBytes": self.size_bytes,
        }


@dataclass(frozen=True)
class RemovalPlan:
    """What ``repo remove`` would do for one repository."""

    name: str
    image_count: int
    allowed: bool
    reason: str | None = None
    size_bytes: int = 0

    def to_json(self) -> RemovalPlanJson:
        return {
            "name": self.name,
            "imageCount": self.image_count,
            "sizeBytes": self.size_bytes,
            "removable": self.allowed,
            "reason": self.reason,
        }
