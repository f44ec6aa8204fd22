"""A scan report as SARIF 2.1.0, for GitHub and GitLab code scanning.

One rule per vulnerability id (with GitHub's ``security-severity`` score), one result per
finding located at the image's repository; ignored findings carry a SARIF suppression so code
scanning shows them as dismissed rather than losing them.
"""

from __future__ import annotations

from typing import Any

from ecrctl import __version__
from ecrctl.core.findings import Finding
from ecrctl.core.scan import ScanReport

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

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


def _security_severity(findings: list[Finding]) -> str:
    worst = min(findings, key=lambda f: f.rank)
    scores = [f.score for f in findings if f.score is not None and f.rank == worst.rank]
    value = max(scores) if scores else _DEFAULT_SCORES[worst.severity]
    return f"{value:.1f}"


def _rule(rule_id: str, findings: list[Finding]) -> dict[str, Any]:
    worst = min(findings, key=lambda f: f.rank)
    summary = worst.title or f"{rule_id} ({worst.severity})"
    rule: dict[str, Any] = {
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
    if worst.link:
        rule["helpUri"] = worst.link
    return rule


def _message(finding: Finding) -> str:
    where = finding.package or "an unnamed package"
    if finding.installed_version:
        where += f" {finding.installed_version}"
    fix = f"; fixed in {finding.fixed_version}" if finding.fixed_version else ""
    return f"{finding.id} ({finding.severity}) in {where}{fix}"


def to_sarif(report: ScanReport, image_uri: str) -> dict[str, Any]:
    """The SARIF log of one scan report; ``image_uri`` names the scanned image."""
    by_rule: dict[str, list[Finding]] = {}
    for finding in report.findings:
        by_rule.setdefault(finding.id, []).append(finding)
    rule_ids = list(by_rule)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    results = []
    for finding in report.findings:
        result: dict[str, Any] = {
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
                },
            }
        ],
    }
