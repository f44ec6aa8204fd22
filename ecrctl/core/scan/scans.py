"""Image scans: start one, wait for it, read every page of findings, and gate on severity.

Basic scanning (ECR's own) finishes as ``COMPLETE`` with ``findings``; enhanced scanning (Amazon
Inspector) reports ``ACTIVE`` with ``enhancedFindings``; ``core.findings`` normalises both.
ECR may report a scan ``COMPLETE`` a moment before its findings are readable (aws/aws-sdk#289:
``imageScanFindings`` is ``{"findings": []}`` with no counts and no completion time): such a
snapshot is "not ready", never "clean".
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import (
    ImageNotFound,
    InvalidInput,
    NotFound,
    Refused,
    RepositoryNotFound,
    ScanLimitExceeded,
    ScanNotFound,
)
from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.models import iso
from ecrctl.core.polling import Schedule, poll
from ecrctl.core.scan.findings import (
    Finding,
    from_basic,
    from_enhanced,
    severity_counts,
    sort_findings,
)

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import (
        DescribeImageScanFindingsResponseTypeDef,
        ImageIdentifierTypeDef,
        ImageScanFindingsTypeDef,
    )

DONE = frozenset({"COMPLETE", "ACTIVE"})
IN_PROGRESS = frozenset({"IN_PROGRESS", "PENDING"})
# Everything else ECR reports (FAILED, UNSUPPORTED_IMAGE, SCAN_ELIGIBILITY_EXPIRED,
# FINDINGS_UNAVAILABLE, LIMIT_EXCEEDED, IMAGE_ARCHIVED, ...) ends the scan without findings.

_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(h|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0}


def parse_duration(text: str, option: str = "--timeout") -> float:
    """``90s``, ``10m``, ``1h``, ``1h30m`` or plain seconds, as seconds."""
    value = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return float(value)
    if value and re.fullmatch(rf"(?:{_DURATION_RE.pattern})+", value):
        return sum(float(n) * _UNITS[unit] for n, unit in _DURATION_RE.findall(value))
    raise InvalidInput(f"invalid {option} {text!r}: use a duration such as 90s, 10m, 1h or 1h30m")


def format_duration(seconds: float) -> str:
    whole = round(seconds)
    if whole >= 3600 and whole % 3600 == 0:
        return f"{whole // 3600}h"
    if whole >= 60 and whole % 60 == 0:
        return f"{whole // 60}m"
    return f"{whole}s"


@dataclass(frozen=True)
class ScanReport:
    """What ECR says of one image's scan, findings normalised and sorted worst first."""

    repository: str
    registry_id: str | None
    digest: str | None
    tag: str | None
    status: str
    description: str | None = None
    completed_at: datetime | None = None
    source_updated_at: datetime | None = None
    findings: list[Finding] = field(default_factory=list)
    ready: bool = False

    @property
    def scanner(self) -> str:
        if self.status == "ACTIVE" or any(f.scanner == "enhanced" for f in self.findings):
            return "enhanced"
        return "basic"

    @property
    def failed(self) -> bool:
        return self.status not in DONE and self.status not in IN_PROGRESS

    def to_json(self) -> JsonObject:
        return {
            "repository": self.repository,
            "registryId": self.registry_id,
            "imageDigest": self.digest,
            "imageTag": self.tag,
            "status": self.status,
            "statusDescription": self.description,
            "scanner": self.scanner,
            "completedAt": iso(self.completed_at),
            "vulnerabilitySourceUpdatedAt": iso(self.source_updated_at),
            "severityCounts": severity_counts(self.findings),
            "ignoredCount": sum(1 for f in self.findings if f.ignored),
            "findings": [f.to_json() for f in self.findings],
        }


def _readable(
    status: str,
    body: ImageScanFindingsTypeDef | None,
    first_page: ImageScanFindingsTypeDef,
) -> bool:
    """True once the findings of a finished scan can be read (see the module docstring)."""
    if status not in DONE or body is None:
        return False
    counts = body.get("findingSeverityCounts")
    if counts is None and body.get("imageScanCompletedAt") is None:
        return False
    listed = len(first_page.get("findings") or []) + len(first_page.get("enhancedFindings") or [])
    return not (sum((counts or {}).values()) > 0 and listed == 0)


@dataclass(frozen=True)
class StartOutcome:
    started: bool
    status: str | None = None
    message: str | None = None


StatusCallback = Callable[[str, str | None, float], None]


class ScanService:
    """Scans of one registry's images; ``clock`` and ``sleep`` are injectable for tests."""

    def __init__(
        self,
        registry: EcrRegistry,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        first_interval: float = 2.0,
        max_interval: float = 15.0,
    ) -> None:
        self.registry = registry
        self.registry_id = registry.registry_id
        self.clock = clock
        self.sleep = sleep
        self.first_interval = first_interval
        self.max_interval = max_interval

    def start(self, repository: str, image_id: ImageIdentifierTypeDef) -> StartOutcome:
        """Start a basic scan; ECR's one-scan-per-image-per-24-hours refusal is not an error."""
        try:
            response = self.registry.start_scan(repository, image_id)
        except ScanLimitExceeded as refusal:
            return StartOutcome(started=False, message=str(refusal) or None)
        status = (response.get("imageScanStatus") or {}).get("status")
        return StartOutcome(started=True, status=status)

    def fetch(self, repository: str, image_id: ImageIdentifierTypeDef) -> ScanReport:
        """The scan as ECR reports it now; every page of findings once it is readable."""
        pages = self.registry.scan_findings(repository, image_id)
        try:
            page: DescribeImageScanFindingsResponseTypeDef = next(pages)
        except ScanNotFound:
            name = repository + _reference(image_id)
            raise NotFound(f"no scan found for {name}: start one with --start") from None
        state = page.get("imageScanStatus") or {}
        status = str(state.get("status") or "PENDING")
        body = page.get("imageScanFindings")
        ready = _readable(status, body, body or {})
        findings: list[Finding] = []
        if ready:
            findings.extend(_normalise(body or {}))
            for page in pages:
                findings.extend(_normalise(page.get("imageScanFindings") or {}))
        returned = page.get("imageId") or {}
        body = body or {}
        return ScanReport(
            repository=repository,
            registry_id=page.get("registryId") or self.registry_id,
            digest=returned.get("imageDigest") or image_id.get("imageDigest"),
            tag=returned.get("imageTag") or image_id.get("imageTag"),
            status=status,
            description=state.get("description"),
            completed_at=body.get("imageScanCompletedAt"),
            source_updated_at=body.get("vulnerabilitySourceUpdatedAt"),
            findings=sort_findings(findings),
            ready=ready,
        )

    def wait(
        self,
        repository: str,
        image_id: ImageIdentifierTypeDef,
        *,
        timeout: float,
        on_status: StatusCallback | None = None,
        just_started: bool = False,
    ) -> ScanReport:
        """Poll until the findings are readable or the scan failed; Refused after ``timeout``.

        A scan not recorded yet is waited for too (one started a moment ago, or the scan on
        push of an image just pushed); if none appears within ``timeout``: NotFound."""
        name = repository + _reference(image_id)
        last: dict[str, str | bool | None] = {}

        def check(elapsed: float) -> ScanReport | None:
            found = True
            try:
                report = self.fetch(repository, image_id)
            except (RepositoryNotFound, ImageNotFound):
                raise  # no such repository or image: nothing to wait for
            except NotFound:
                found = False
                report = ScanReport(repository, self.registry_id, None, None, "PENDING")
            if report.ready or report.failed:
                return report
            if not found:
                reason: str | None = "no scan recorded yet"
            elif report.status in DONE:
                reason = "findings not readable yet"
            else:
                reason = report.description
            if on_status is not None:
                on_status(report.status, reason, elapsed)
            last.update(found=found, status=report.status, reason=reason)
            return None

        def timed_out(_elapsed: float) -> Exception:
            if not last["found"] and not just_started:
                return NotFound(
                    f"no scan found for {name} after {format_duration(timeout)}: "
                    "start one with --start"
                )
            reason = last["reason"]
            state = f"{last['status']} ({reason})" if reason else last["status"]
            return Refused(
                f"the scan of {name} is still {state} after {format_duration(timeout)}; "
                "try again later or raise --timeout"
            )

        schedule = Schedule(
            timeout,
            first=self.first_interval,
            longest=self.max_interval,
            factor=1.5,
            clock=self.clock,
            sleep=self.sleep,
        )
        return poll(check, schedule, timed_out=timed_out)


def _normalise(body: ImageScanFindingsTypeDef) -> list[Finding]:
    return [from_basic(f) for f in body.get("findings") or []] + [
        from_enhanced(f) for f in body.get("enhancedFindings") or []
    ]


def _reference(image_id: ImageIdentifierTypeDef) -> str:
    if image_id.get("imageDigest"):
        return "@" + image_id["imageDigest"]
    if image_id.get("imageTag"):
        return ":" + image_id["imageTag"]
    return ""
