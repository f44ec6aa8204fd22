"""Chosen scan findings for the emulator: the demo, tests and benchmarks.

moto answers DescribeImageScanFindings with one fake HIGH finding unless it is given the exact
response to return through ``POST /moto-api/static/ecr/scan-finding-results``; the response is
then handed out for the repository (and tag or digest) named in it, once a scan exists.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from ecrctl.core.models import SEVERITIES


def basic_findings(count: int, *, severities: tuple[str, ...] = SEVERITIES) -> list[dict[str, Any]]:
    """``count`` basic findings cycling through ``severities``, each with a package."""
    return [
        {
            "name": f"CVE-2026-{10000 + i}",
            "description": f"synthetic vulnerability {i}",
            "uri": f"https://nvd.nist.gov/vuln/detail/CVE-2026-{10000 + i}",
            "severity": severities[i % len(severities)],
            "attributes": [
                {"key": "package_name", "value": f"pkg{i % 97}"},
                {"key": "package_version", "value": f"1.{i % 13}.{i % 7}"},
                {"key": "CVSS3_SCORE", "value": f"{(i % 100) / 10:.1f}"},
            ],
        }
        for i in range(count)
    ]


def severity_summary(findings: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in findings:
        severity = str(finding.get("severity") or "UNDEFINED")
        if severity == "UNTRIAGED":
            severity = "UNDEFINED"
        counts[severity] = counts.get(severity, 0) + 1
    return counts


def scan_response(
    repository: str,
    image_id: dict[str, str],
    *,
    findings: list[dict[str, Any]] | None = None,
    enhanced: list[dict[str, Any]] | None = None,
    status: str | None = None,
    description: str = "The scan was completed successfully.",
    registry_id: str = "123456789012",
) -> dict[str, Any]:
    """A whole DescribeImageScanFindings response, basic or (with ``enhanced``) Inspector's."""
    body: dict[str, Any] = {
        "findingSeverityCounts": severity_summary([*(findings or []), *(enhanced or [])]),
    }
    if enhanced is not None:
        body["enhancedFindings"] = enhanced
    else:
        body["findings"] = findings or []
    return {
        "registryId": registry_id,
        "repositoryName": repository,
        "imageId": image_id,
        "imageScanStatus": {
            "status": status or ("ACTIVE" if enhanced is not None else "COMPLETE"),
            "description": description,
        },
        "imageScanFindings": body,
    }


def inject_scan_results(
    endpoint: str, responses: list[dict[str, Any]], *, region: str = "us-east-1"
) -> None:
    """Queue responses on a moto server (the emulator) for the images they name."""
    request = urllib.request.Request(
        endpoint.rstrip("/") + "/moto-api/static/ecr/scan-finding-results",
        data=json.dumps({"results": responses, "region": region}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        reply.read()
