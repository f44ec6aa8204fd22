"""A scan report as SARIF 2.1.0, for GitHub and GitLab code scanning.

One rule per vulnerability id (with GitHub's ``security-severity`` score), one result per
finding located at the image's repository; ignored findings carry a SARIF suppression so code
scanning shows them as dismissed rather than losing them.

GitHub code scanning rejects a run with more than 25,000 results or rules: the most severe
25,000 findings are kept (open before ignored at equal severity) and the run's properties say
how many of each severity were dropped (``droppedResults``), so the caller can tell the user.
"""

from __future__ import annotations

import urllib.parse
from typing import TypedDict

from ecrctl import __version__
from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.scan.findings import Finding
from ecrctl.core.scan.scans import ScanReport

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# GitHub code scanning's limits per run (results, and rules).
MAX_RESULTS = 25_000
# RFC 3986 characters that may stand as they are (reserved, unreserved, and '%' of escapes).
_URI_SAFE = ":/?#[]@!$&'()*+,;=-._~%"

_LEVELS = {
    "CRITICAL": "error",
    "HIGH": "error",
    "MEDIUM": "warning",
    "LOW": "note",
    "INFORMATIONAL": "note",
    "UNDEFINED": "note",
}
# GitHub reads rule.properties["security-severity"] (a CVSS-like number as a string):
# >= 9 critical, >= 7 high, >= 4 medium, > 0 low. Used when ECR gives no score.
_DEFAULT_SCORES = {
    "CRITICAL": 9.5,
    "HIGH": 8.0,
    "MEDIUM": 5.5,
    "LOW": 2.0,
    "INFORMATIONAL": 0.0,
    "UNDEFINED": 0.0,
}


class SarifRunProperties(TypedDict):
    image: str
    imageDigest: str | None
    scanStatus: str
    scanner: str
    droppedResults: dict[str, int]  # severity -> findings left out (GitHub's MAX_RESULTS)


class SarifRun(TypedDict):
    tool: JsonObject
    automationDetails: JsonObject
    results: list[JsonObject]
    properties: SarifRunProperties


SarifLog = TypedDict("SarifLog", {"$schema": str, "version": str, "runs": list[SarifRun]})


def _security_severity(findings: list[Finding]) -> str:
    worst = min(findings, key=lambda f: f.rank)
    scores = [f.score for f in findings if f.score is not None and f.rank == worst.rank]
    value = max(scores) if scores else _DEFAULT_SCORES[worst.severity]
    return f"{value:.1f}"


def _rule(rule_id: str, findings: list[Finding]) -> JsonObject:
    worst = min(findings, key=lambda f: f.rank)
    summary = worst.title or f"{rule_id} ({worst.severity})"
    rule: JsonObject = {
        "id": rule_id,
        "name": rule_id,
        "shortDescription": {"text": summary.splitlines()[0][:1000] if summary else rule_id},
        "fullDescription": {"text": worst.title or rule_id},
        "defaultConfiguration": {"level": _LEVELS[worst.severity]},
        "help": {"text": f"{rule_id}: {worst.link}" if worst.link else rule_id},
        "properties": {
            "security-severity": _security_severity(findings),
            "tags": ["security", "vulnerability", worst.severity.lower()],
        },
    }
    help_uri = valid_uri(worst.link)
    if help_uri:
        rule["helpUri"] = help_uri
    return rule


def valid_uri(link: str | None) -> str | None:
    """``link`` as an absolute http(s) URI, percent-encoded (ECR's can hold spaces); else None."""
    if not link:
        return None
    text = urllib.parse.quote(link.strip(), safe=_URI_SAFE)
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return text


def _keep(findings: list[Finding], limit: int) -> tuple[list[Finding], dict[str, int]]:
    """The ``limit`` most severe findings (open before ignored), in their order; dropped counts."""
    ranked = sorted(range(len(findings)), key=lambda i: (findings[i].rank, findings[i].ignored))
    kept = set(ranked[:limit])
    dropped: dict[str, int] = {}
    for i in ranked[limit:]:
        dropped[findings[i].severity] = dropped.get(findings[i].severity, 0) + 1
    return [f for i, f in enumerate(findings) if i in kept], dropped


def _message(finding: Finding) -> str:
    where = finding.package or "an unnamed package"
    if finding.installed_version:
        where += f" {finding.installed_version}"
    fix = f"; fixed in {finding.fixed_version}" if finding.fixed_version else ""
    return f"{finding.id} ({finding.severity}) in {where}{fix}"


def to_sarif(report: ScanReport, image_uri: str, *, limit: int = MAX_RESULTS) -> SarifLog:
    """The SARIF log of one scan report; ``image_uri`` names the scanned image.

    At most ``limit`` results (hence rules): see the module docstring."""
    findings, dropped = _keep(report.findings, limit)
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.id, []).append(finding)
    rule_ids = list(by_rule)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    results: list[JsonObject] = []
    for finding in findings:
        result: JsonObject = {
            "ruleId": finding.id,
            "ruleIndex": index[finding.id],
            "level": _LEVELS[finding.severity],
            "message": {"text": _message(finding)},
            "locations": [
                {
                    "physicalLocation": {"artifactLocation": {"uri": report.repository}},
                    "logicalLocations": [
                        {"name": finding.package or "-", "kind": "package"},
                    ],
                }
            ],
            "partialFingerprints": {
                "ecrctl/v1": "/".join(
                    [finding.id, finding.package or "-", finding.installed_version or "-"]
                )
            },
            "properties": {
                "severity": finding.severity,
                "package": finding.package,
                "installedVersion": finding.installed_version,
                "fixedVersion": finding.fixed_version,
                "scanner": finding.scanner,
            },
        }
        if finding.ignored:
            result["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": f"ignored ({finding.ignored_because or 'ecrctl'})",
                }
            ]
        results.append(result)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ecrctl",
                        "version": __version__,
                        "rules": [_rule(r, by_rule[r]) for r in rule_ids],
                    }
                },
                "automationDetails": {"id": f"ecrctl/scan/{report.repository}/"},
                "results": results,
                "properties": {
                    "image": image_uri,
                    "imageDigest": report.digest,
                    "scanStatus": report.status,
                    "scanner": report.scanner,
                    "droppedResults": dropped,
                },
            }
        ],
    }
