"""One model for scan findings, whichever scanner found them; sorting, ignoring, gating.

Basic scanning (ECR's own) lists ``findings`` with attributes; enhanced scanning (Amazon
Inspector) lists ``enhancedFindings`` with packages and fixes. Both become a ``Finding``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.models import SEVERITIES

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import (
        EnhancedImageScanFindingTypeDef,
        ImageScanFindingTypeDef,
        VulnerablePackageTypeDef,
    )

_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
# Inspector's severities are ECR's, except that it says UNTRIAGED where ECR says UNDEFINED.
_SEVERITY_ALIASES = {"UNTRIAGED": "UNDEFINED"}
_NO_FIX = {"", "NOTAVAILABLE", "NONE", "N/A"}


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

    def to_json(self) -> JsonObject:
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


def _float(value: float | str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def from_basic(data: ImageScanFindingTypeDef) -> Finding:
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


def _package_version(package: VulnerablePackageTypeDef) -> str | None:
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


def from_enhanced(data: EnhancedImageScanFindingTypeDef) -> Finding:
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
