"""Lifecycle policies as typed values: the policy and its rules, the images they judge, problems.

The vocabulary follows the ECR user guide ("Lifecycle policy properties in Amazon ECR"):
``rulePriority``, ``selection`` (``tagStatus``, ``tagPrefixList`` / ``tagPatternList``,
``storageClass``, ``countType``, ``countUnit``, ``countNumber``) and ``action`` (``type``,
``targetStorageClass``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.models import iso

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ImageDetailTypeDef

TAG_STATUSES = ("tagged", "untagged", "any")
COUNT_TYPES = (
    "imageCountMoreThan",
    "sinceImagePushed",
    "sinceImagePulled",
    "sinceImageTransitioned",
)
SINCE_COUNT_TYPES = frozenset(COUNT_TYPES[1:])
STORAGE_CLASSES = ("standard", "archive")
ACTION_TYPES = ("expire", "transition")
TARGET_STORAGE_CLASSES = ("archive",)

MIN_POLICY_CHARS = 100  # botocore's LifecyclePolicyText shape: min 100, max 30720
MAX_POLICY_CHARS = 30_720
MAX_RULES = 50
MAX_WILDCARDS = 4  # per tagPatternList entry
MIN_ARCHIVE_DAYS = 90  # archived images stay at least 90 days before a rule may expire them


@dataclass(frozen=True)
class Selection:
    tag_status: str
    count_type: str
    count_number: int
    count_unit: str | None = None
    tag_prefix_list: tuple[str, ...] | None = None
    tag_pattern_list: tuple[str, ...] | None = None
    storage_class: str = "standard"

    def to_json(self) -> JsonObject:
        doc: JsonObject = {"tagStatus": self.tag_status}
        if self.tag_pattern_list is not None:
            doc["tagPatternList"] = list(self.tag_pattern_list)
        if self.tag_prefix_list is not None:
            doc["tagPrefixList"] = list(self.tag_prefix_list)
        if self.storage_class != "standard":
            doc["storageClass"] = self.storage_class
        doc["countType"] = self.count_type
        if self.count_unit is not None:
            doc["countUnit"] = self.count_unit
        doc["countNumber"] = self.count_number
        return doc


@dataclass(frozen=True)
class Action:
    type: str
    target_storage_class: str | None = None

    def to_json(self) -> JsonObject:
        doc: JsonObject = {"type": self.type}
        if self.target_storage_class is not None:
            doc["targetStorageClass"] = self.target_storage_class
        return doc


@dataclass(frozen=True)
class Rule:
    priority: int
    selection: Selection
    action: Action
    description: str | None = None

    def to_json(self) -> JsonObject:
        doc: JsonObject = {"rulePriority": self.priority}
        if self.description is not None:
            doc["description"] = self.description
        doc["selection"] = self.selection.to_json()
        doc["action"] = self.action.to_json()
        return doc


@dataclass(frozen=True)
class Policy:
    """A policy that passed validation; ``text`` is exactly what is (or will be) sent to ECR."""

    rules: tuple[Rule, ...]
    text: str

    def to_json(self) -> JsonObject:
        return {"rules": [rule.to_json() for rule in self.rules]}

    def ordered(self) -> list[Rule]:
        """Rules in the order ECR applies them: lowest rulePriority first."""
        return sorted(self.rules, key=lambda r: r.priority)


@dataclass(frozen=True)
class Problem:
    """One reason a policy is invalid, located by rule (position and priority) and field."""

    message: str
    field: str | None = None
    rule: int | None = None  # 1-based position in ``rules``
    priority: int | None = None
    line: int | None = None
    column: int | None = None

    @property
    def where(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}, column {self.column}")
        if self.rule is not None:
            label = f"rule #{self.rule}"
            if self.priority is not None:
                label += f" (rulePriority {self.priority})"
            parts.append(label)
        if self.field:
            parts.append(self.field)
        return ": ".join(parts) if parts else "policy"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    def to_json(self) -> JsonObject:
        return {
            "rule": self.rule,
            "rulePriority": self.priority,
            "field": self.field,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


class InvalidPolicy(InvalidInput):
    """A policy that ECR would refuse; carries every problem found (exit 2)."""

    def __init__(self, problems: list[Problem], source: str = "policy") -> None:
        self.problems = problems
        self.source = source
        count = len(problems)
        first = "; ".join(str(p) for p in problems[:3])
        more = f"; and {count - 3} more" if count > 3 else ""
        super().__init__(
            f"invalid lifecycle policy {source}: {count} problem{'s' if count != 1 else ''}: "
            f"{first}{more}"
        )


def _utc(value: datetime | None) -> datetime | None:
    """The same instant with datetime.UTC as its zone (botocore gives dateutil's slower tzutc)."""
    if value is None:
        return None
    zone = value.tzinfo
    if zone is UTC:
        return value
    if zone is None or type(zone).__name__ == "tzutc":
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """What a lifecycle rule looks at in one image (DescribeImages' ``imageDetails``)."""

    digest: str
    tags: tuple[str, ...]
    pushed_at: datetime
    last_pulled_at: datetime | None = None
    storage_class: str = "standard"
    last_archived_at: datetime | None = None
    last_activated_at: datetime | None = None
    media_type: str | None = None  # imageManifestMediaType: an index references other images

    @classmethod
    def from_api(cls, data: ImageDetailTypeDef) -> ImageRecord | None:
        """None for an image that is being restored (``ACTIVATING``): no rule selects it."""
        status = data.get("imageStatus") or "ACTIVE"
        if status == "ACTIVATING":
            return None
        pushed = _utc(data["imagePushedAt"])
        assert pushed is not None
        return cls(
            digest=data["imageDigest"],
            tags=tuple(data.get("imageTags") or ()),
            pushed_at=pushed,
            last_pulled_at=_utc(data.get("lastRecordedPullTime")),
            storage_class="archive" if status == "ARCHIVED" else "standard",
            last_archived_at=_utc(data.get("lastArchivedAt")),
            last_activated_at=_utc(data.get("lastActivatedAt")),
            media_type=data.get("imageManifestMediaType"),
        )

    def to_json(self) -> JsonObject:
        return {
            "digest": self.digest,
            "tags": list(self.tags),
            "pushedAt": iso(self.pushed_at),
            "lastPulledAt": iso(self.last_pulled_at),
            "storageClass": self.storage_class,
        }
