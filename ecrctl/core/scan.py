"""Image scans: start one, wait for it, read every page of findings, and gate on severity.

Basic scanning (ECR's own) finishes as ``COMPLETE`` with ``findings``; enhanced scanning (Amazon
Inspector) reports ``ACTIVE`` with ``enhancedFindings``. Both become one ``Finding`` model here.
ECR may report a scan ``COMPLETE`` a moment before its findings are readable (aws/aws-sdk#289:
``imageScanFindings`` is ``{"findings": []}`` with no counts and no completion time): such a
snapshot is "not ready", never "clean".
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ecrctl.core.exceptions import InvalidInput, NotFound, Refused
from ecrctl.core.models import SEVERITIES, iso
from ecrctl.core.paging import MAX_PAGE

DONE = frozenset({"COMPLETE", "ACTIVE"})
IN_PROGRESS = frozenset({"IN_PROGRESS", "PENDING"})
# Everything else ECR reports (FAILED, UNSUPPORTED_IMAGE, SCAN_ELIGIBILITY_EXPIRED,
# FINDINGS_UNAVAILABLE, LIMIT_EXCEEDED, IMAGE_ARCHIVED, ...) ends the scan without findings.

_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
# Inspector's severities are ECR's, except that it says UNTRIAGED where ECR says UNDEFINED.
_SEVERITY_ALIASES = {"UNTRIAGED": "UNDEFINED"}
_NO_FIX = {"", "NOTAVAILABLE", "NONE", "N/A"}
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(h|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0}


def normalise_severity(value: str | None) -> str:
    text = (value or "").strip().upper()
    text = _SEVERITY_ALIASES.get(text, text)
    return text if text in _RANK else "UNDEFINED"


def parse_severity(value: str) -> str:
    """A ``--fail-on`` value: one of ECR's severities, any case."""
    text = value.strip().upper()
    if text not in _RANK:
        raise InvalidInput(f"invalid --fail-on {value!r}: use one of {', '.join(SEVERITIES)}")
    return text


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


def parse_ignore_list(text: str) -> list[str]:
    """An ``--ignore-file``: one finding id a line; ``#`` starts a comment."""
    ids = []
    for line in text.splitlines():
        value = line.split("#", 1)[0].strip()
        if value:
            ids.append(value)
    return ids


@dataclass(frozen=True)
class Finding:
    """One vulnerability in one image, whichever scanner found it."""

    id: str
    severity: str
    package: str | None = None
    installed_version: str | None = None
    fixed_version: str | None = None
    link: str | None = None
    title: str | None = None
    score: float | None = None
    scanner: str = "basic"
    ignored: bool = False
    ignored_because: str | None = None

    @property
    def rank(self) -> int:
        return _RANK[self.severity]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "package": self.package,
            "installedVersion": self.installed_version,
            "fixedVersion": self.fixed_version,
            "link": self.link,
            "title": self.title,
            "score": self.score,
            "scanner": self.scanner,
            "ignored": self.ignored,
            "ignoredBecause": self.ignored_because,
        }


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def from_basic(data: dict[str, Any]) -> Finding:
    attributes = {a.get("key"): a.get("value") for a in data.get("attributes") or []}
    score = _float(attributes.get("CVSS3_SCORE"))
    if score is None:
        score = _float(attributes.get("CVSS2_SCORE"))
    return Finding(
        id=str(data.get("name") or "-"),
        severity=normalise_severity(data.get("severity")),
        package=attributes.get("package_name"),
        installed_version=attributes.get("package_version"),
        link=data.get("uri"),
        title=data.get("description"),
        score=score,
        scanner="basic",
    )


def _package_version(package: dict[str, Any]) -> str | None:
    version = package.get("version")
    if not version:
        return None
    text = str(version)
    if package.get("release"):
        text = f"{text}-{package['release']}"
    if package.get("epoch"):
        text = f"{package['epoch']}:{text}"
    return text


def _joined(values: Iterable[str | None]) -> str | None:
    present = [v for v in values if v]
    return ", ".join(dict.fromkeys(present)) if present else None


def from_enhanced(data: dict[str, Any]) -> Finding:
    details = data.get("packageVulnerabilityDetails") or {}
    packages = details.get("vulnerablePackages") or []
    recommendation = (data.get("remediation") or {}).get("recommendation") or {}
    references = details.get("referenceUrls") or []
    score = _float(data.get("score"))
    if score is None:
        cvss = [_float(c.get("baseScore")) for c in details.get("cvss") or []]
        score = max((c for c in cvss if c is not None), default=None)
    fixed = [p.get("fixedInVersion") for p in packages]
    status = str(data.get("status") or "ACTIVE").upper()
    return Finding(
        id=str(details.get("vulnerabilityId") or data.get("title") or data.get("findingArn")),
        severity=normalise_severity(data.get("severity")),
        package=_joined(p.get("name") for p in packages),
        installed_version=_joined(_package_version(p) for p in packages),
        fixed_version=_joined(f for f in fixed if f and f.strip().upper() not in _NO_FIX),
        link=details.get("sourceUrl") or recommendation.get("url") or next(iter(references), None),
        title=data.get("title") or data.get("description"),
        score=score,
        scanner="enhanced",
        # Inspector's own suppression rules close or suppress a finding: shown, never gated on.
        ignored=status != "ACTIVE",
        ignored_because=None if status == "ACTIVE" else f"Inspector status {status}",
    )


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Worst first: severity, then score, then id and package so the order is stable."""
    return sorted(
        findings,
        key=lambda f: (f.rank, -(f.score or 0.0), f.id, f.package or "", f.installed_version or ""),
    )


def apply_ignores(findings: list[Finding], ids: Iterable[str]) -> tuple[list[Finding], list[str]]:
    """Mark findings whose id is listed (case-insensitively); return them and unmatched ids."""
    wanted = {i.strip().upper(): i.strip() for i in ids if i.strip()}
    matched: set[str] = set()
    out = []
    for finding in findings:
        key = finding.id.upper()
        if key in wanted:
            matched.add(key)
            if not finding.ignored:
                finding = replace(finding, ignored=True, ignored_because="--ignore")
        out.append(finding)
    return out, [wanted[k] for k in wanted if k not in matched]


def tripping(findings: Iterable[Finding], threshold: str) -> list[Finding]:
    """Findings not ignored at ``threshold`` or worse."""
    limit = _RANK[parse_severity(threshold)]
    return [f for f in findings if not f.ignored and f.rank <= limit]


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts


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

    def to_json(self) -> dict[str, Any]:
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


def _readable(status: str, body: dict[str, Any] | None, first_page: dict[str, Any]) -> bool:
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
        ecr: Any,
        registry_id: str | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        first_interval: float = 2.0,
        max_interval: float = 15.0,
    ) -> None:
        self.ecr = ecr
        self.registry_id = registry_id
        self.clock = clock
        self.sleep = sleep
        self.first_interval = first_interval
        self.max_interval = max_interval

    def _params(self, repository: str, image_id: dict[str, str]) -> dict[str, Any]:
        params: dict[str, Any] = {"repositoryName": repository, "imageId": image_id}
        if self.registry_id:
            params["registryId"] = self.registry_id
        return params

    def start(self, repository: str, image_id: dict[str, str]) -> StartOutcome:
        """Start a basic scan; ECR's one-scan-per-image-per-24-hours refusal is not an error."""
        try:
            response = self.ecr.start_image_scan(**self._params(repository, image_id))
        except self.ecr.exceptions.LimitExceededException as error:
            message = str(error.response.get("Error", {}).get("Message") or "").strip()
            return StartOutcome(started=False, message=message or None)
        status = (response.get("imageScanStatus") or {}).get("status")
        return StartOutcome(started=True, status=status)

    def fetch(self, repository: str, image_id: dict[str, str]) -> ScanReport:
        """The scan as ECR reports it now; every page of findings once it is readable."""
        params = self._params(repository, image_id)
        try:
            page = self.ecr.describe_image_scan_findings(**params, maxResults=MAX_PAGE)
        except self.ecr.exceptions.ScanNotFoundException:
            name = repository + _reference(image_id)
            raise NotFound(f"no scan found for {name}: start one with --start") from None
        state = page.get("imageScanStatus") or {}
        status = str(state.get("status") or "PENDING")
        body = page.get("imageScanFindings")
        ready = _readable(status, body, body or {})
        findings: list[Finding] = []
        while ready:
            findings.extend(_normalise(page.get("imageScanFindings") or {}))
            token = page.get("nextToken")
            if not token:
                break
            page = self.ecr.describe_image_scan_findings(
                **params, maxResults=MAX_PAGE, nextToken=token
            )
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
        image_id: dict[str, str],
        *,
        timeout: float,
        on_status: StatusCallback | None = None,
        just_started: bool = False,
    ) -> ScanReport:
        """Poll until the findings are readable or the scan failed; Refused after ``timeout``."""
        deadline = self.clock() + timeout
        interval = self.first_interval
        started_at = self.clock()
        while True:
            try:
                report = self.fetch(repository, image_id)
            except NotFound:
                if not just_started:
                    raise
                # A scan started a moment ago may not be visible yet.
                report = ScanReport(repository, self.registry_id, None, None, "PENDING")
            if report.ready or report.failed:
                return report
            if report.status in DONE:
                reason: str | None = "findings not readable yet"
            else:
                reason = report.description
            if on_status is not None:
                on_status(report.status, reason, self.clock() - started_at)
            remaining = deadline - self.clock()
            if remaining <= 0:
                name = repository + _reference(image_id)
                state = f"{report.status} ({reason})" if reason else report.status
                raise Refused(
                    f"the scan of {name} is still {state} after {format_duration(timeout)}; "
                    "try again later or raise --timeout"
                )
            self.sleep(min(interval, remaining))
            interval = min(interval * 1.5, self.max_interval)


def _normalise(body: dict[str, Any]) -> list[Finding]:
    return [from_basic(f) for f in body.get("findings") or []] + [
        from_enhanced(f) for f in body.get("enhancedFindings") or []
    ]


def _reference(image_id: dict[str, str]) -> str:
    if image_id.get("imageDigest"):
        return "@" + image_id["imageDigest"]
    if image_id.get("imageTag"):
        return ":" + image_id["imageTag"]
    return ""
