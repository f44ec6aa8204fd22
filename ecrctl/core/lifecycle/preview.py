"""A repository's lifecycle policy on ECR: get, put, delete, its images, and AWS's own preview.

AWS's preview is asynchronous: StartLifecyclePolicyPreview, then GetLifecyclePolicyPreview until
its status is COMPLETE (or FAILED / EXPIRED), then page through ``previewResults`` (at most 100 a
page). botocore's waiter gives up after 100 seconds; this loop waits as long as it is told to.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import LifecyclePolicyNotFound, NotFound, PreviewInProgress, Refused
from ecrctl.core.images.manifests import fetch_index_children
from ecrctl.core.jsontypes import JsonObject, JsonValue
from ecrctl.core.lifecycle.evaluate import Decision
from ecrctl.core.lifecycle.model import ImageRecord, Policy
from ecrctl.core.models import iso
from ecrctl.core.names import INDEX_MEDIA_TYPES, validate_repository_name
from ecrctl.core.polling import Schedule, poll

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import (
        GetLifecyclePolicyPreviewResponseTypeDef,
        ImageDetailTypeDef,
        LifecyclePolicyPreviewResultTypeDef,
    )

StatusCallback = Callable[[str, float], None]


@dataclass(frozen=True)
class StoredPolicy:
    repository: str
    text: str
    last_evaluated_at: datetime | None = None

    @property
    def document(self) -> JsonValue:
        loaded: JsonValue = json.loads(self.text)
        return loaded

    def pretty(self) -> str:
        return json.dumps(self.document, indent=2, ensure_ascii=False)


@dataclass
class RemotePreview:
    """AWS's answer: the affected images in the same shape as the local evaluation."""

    status: str
    affected: list[Decision] = field(default_factory=list)
    expiring_total: int | None = None
    transitioning_total: int | None = None
    policy_text: str | None = None

    def count(self, action: str) -> int:
        return sum(1 for d in self.affected if d.action == action)

    def to_json(self) -> JsonObject:
        return {
            "status": self.status,
            "summary": {
                "expire": self.count("expire"),
                "transition": self.count("transition"),
            },
            "affected": [d.to_json() for d in self.affected],
        }


def _decision(result: LifecyclePolicyPreviewResultTypeDef) -> Decision:
    action = result.get("action")
    image = ImageRecord(
        digest=result["imageDigest"],
        tags=tuple(result.get("imageTags") or ()),
        pushed_at=result["imagePushedAt"],
        storage_class=str(result.get("storageClass") or "STANDARD").lower(),
    )
    kind = str(action.get("type", "EXPIRE") if action else "EXPIRE").lower()
    return Decision(image, kind, result.get("appliedRulePriority"))


@dataclass(frozen=True)
class Inventory:
    """A repository as the evaluator needs it: ``references`` maps each index digest to the
    digests it references; ``unread`` are indexes whose manifest could not be read (archived
    ones cannot be pulled), so what they reference is unknown."""

    images: list[ImageRecord]
    references: dict[str, set[str]] = field(default_factory=dict)
    unread: tuple[str, ...] = ()


class LifecycleService:
    def __init__(
        self,
        registry: EcrRegistry,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry
        self.sleep = sleep
        self.clock = clock

    def current(self, repository: str) -> StoredPolicy | None:
        """The repository's policy, or None when it has none."""
        validate_repository_name(repository)
        response = self.registry.lifecycle_policy(repository)
        if response is None:
            return None
        return StoredPolicy(
            repository, response["lifecyclePolicyText"], response.get("lastEvaluatedAt")
        )

    def get(self, repository: str) -> StoredPolicy:
        stored = self.current(repository)
        if stored is None:
            raise NotFound(f"repository {repository} has no lifecycle policy")
        return stored

    def put(self, repository: str, policy: Policy) -> None:
        validate_repository_name(repository)
        self.registry.set_lifecycle_policy(repository, policy.text)

    def delete(self, repository: str) -> StoredPolicy:
        validate_repository_name(repository)
        response = self.registry.remove_lifecycle_policy(repository)
        if response is None:
            raise NotFound(f"repository {repository} has no lifecycle policy")
        return StoredPolicy(
            repository, response["lifecyclePolicyText"], response.get("lastEvaluatedAt")
        )

    def images(self, repository: str) -> list[ImageRecord]:
        """Every image a rule may select: active and archived (not those being restored)."""
        records = (ImageRecord.from_api(d) for d in self._details(repository))
        return [r for r in records if r is not None]

    def inventory(self, repository: str) -> Inventory:
        """The images a rule may select, and what each index in the repository references
        (DescribeImages, then BatchGetImage of the index digests only, 100 a call)."""
        details = self._details(repository)
        records = [r for r in (ImageRecord.from_api(d) for d in details) if r is not None]
        indexes = [
            str(d["imageDigest"])
            for d in details
            if d.get("imageManifestMediaType") in INDEX_MEDIA_TYPES
        ]
        references: dict[str, set[str]] = {}
        if indexes:
            references = fetch_index_children(self.registry, repository, indexes)
        unread = tuple(d for d in indexes if d not in references)
        return Inventory(records, references, unread)

    def _details(self, repository: str) -> list[ImageDetailTypeDef]:
        validate_repository_name(repository)
        return list(self.registry.images(repository, {"imageStatus": "ANY"}))

    def remote_preview(
        self,
        repository: str,
        policy: Policy | None = None,
        *,
        timeout: float = 600.0,
        on_status: StatusCallback | None = None,
    ) -> RemotePreview:
        """Run AWS's preview (of ``policy``, or of the current policy) and collect every page."""
        validate_repository_name(repository)
        try:
            self.registry.start_lifecycle_preview(
                repository, policy.text if policy is not None else None
            )
        except LifecyclePolicyNotFound:
            raise NotFound(
                f"repository {repository} has no lifecycle policy to preview; pass --policy FILE"
            ) from None
        except PreviewInProgress:
            raise Refused(
                f"a lifecycle policy preview is already running for {repository}; "
                "try again when it has finished"
            ) from None

        def check(elapsed: float) -> GetLifecyclePolicyPreviewResponseTypeDef | None:
            page = self.registry.lifecycle_preview(repository)
            status = str(page.get("status", "IN_PROGRESS"))
            if on_status is not None:
                on_status(status, elapsed)
            if status in ("FAILED", "EXPIRED"):
                raise Refused(f"AWS's lifecycle policy preview for {repository} ended {status}")
            last[0] = status
            return page if status == "COMPLETE" else None

        def timed_out(elapsed: float) -> Exception:
            return Refused(
                f"AWS's lifecycle policy preview for {repository} is still {last[0]} after "
                f"{elapsed:.0f} s; run the command again later for its results "
                "(or raise --timeout)"
            )

        last = ["IN_PROGRESS"]
        schedule = Schedule(timeout, first=1.0, longest=5.0, clock=self.clock, sleep=self.sleep)
        page = poll(check, schedule, timed_out=timed_out)
        summary = page.get("summary") or {}
        transitions = summary.get("transitioningImageTotalCounts") or []
        preview = RemotePreview(
            status="COMPLETE",
            expiring_total=summary.get("expiringImageTotalCount"),
            transitioning_total=sum(int(t.get("imageTotalCount", 0)) for t in transitions),
            policy_text=page.get("lifecyclePolicyText"),
        )
        results = list(page.get("previewResults") or [])
        next_token = page.get("nextToken")
        if next_token:
            results += self.registry.lifecycle_preview_results(repository, next_token)
        decisions = [_decision(r) for r in results]
        decisions.sort(
            key=lambda d: (d.rule_priority or 0, iso(d.image.pushed_at) or "", d.image.digest)
        )
        preview.affected = decisions
        return preview
