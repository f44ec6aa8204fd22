"""ecrctl scan as a subprocess against the moto server, with findings injected through moto's
``/moto-api/static/ecr/scan-finding-results`` endpoint (and ECR's paging from the proxy)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecrctl.sandbox.findings import basic_findings, inject_scan_results, scan_response
from ecrctl.sandbox.images import seed_repository
from tests.sarif_schema import validate_sarif

pytestmark = pytest.mark.e2e
REPO = "team/app"


@pytest.fixture
def scanned(server_ecr: Any, moto_server: str) -> Any:
    """Seed tags, start their scans, and return a function that injects a tag's results."""
    server_ecr.create_repository(repositoryName=REPO)
    seed_repository(server_ecr, REPO, ["v1", "v2"])
    for tag in ("v1", "v2"):
        server_ecr.start_image_scan(repositoryName=REPO, imageId={"imageTag": tag})

    def inject(tag: str, **response: Any) -> None:
        inject_scan_results(moto_server, [scan_response(REPO, {"imageTag": tag}, **response)])

    return inject


def test_fail_on_gates_on_chosen_findings(run_ecrctl: Any, scanned: Any) -> None:
    scanned("v1", findings=basic_findings(4, severities=("MEDIUM", "LOW")))
    scanned("v2", findings=basic_findings(3, severities=("LOW", "CRITICAL", "HIGH")))
    clean = run_ecrctl("scan", f"{REPO}:v1", "--fail-on", "HIGH")
    assert clean.exit_code == 0, clean.stderr
    assert [line.split("\t")[1] for line in clean.stdout.splitlines()] == [
        "MEDIUM",
        "MEDIUM",
        "LOW",
        "LOW",
    ]
    gated = run_ecrctl("scan", REPO, "v2", "--fail-on", "HIGH")
    assert gated.exit_code == 5
    assert [line.split("\t")[0] for line in gated.stdout.splitlines()] == [
        "CVE-2026-10001",
        "CVE-2026-10002",
        "CVE-2026-10000",
    ]
    assert "2 finding(s) at HIGH or worse" in gated.stderr
    assert "CVE-2026-10001, CVE-2026-10002" in gated.stderr


def test_ignore_file_lets_the_build_pass_and_keeps_the_findings(
    run_ecrctl: Any, scanned: Any, tmp_path: Path
) -> None:
    scanned("v2", findings=basic_findings(3, severities=("LOW", "CRITICAL", "HIGH")))
    ignores = tmp_path / ".ecrctl-ignore"
    ignores.write_text("CVE-2026-10001  # fixed in the next base image\nCVE-2026-10002\n")
    result = run_ecrctl(
        "-o", "json", "scan", f"{REPO}:v2", "--fail-on", "HIGH", "--ignore-file", str(ignores)
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [(f["id"], f["ignored"]) for f in doc["findings"]] == [
        ("CVE-2026-10001", True),
        ("CVE-2026-10002", True),
        ("CVE-2026-10000", False),
    ]


def test_enhanced_findings_end_to_end(run_ecrctl: Any, scanned: Any) -> None:
    enhanced = [
        {
            "severity": "HIGH",
            "status": "ACTIVE",
            "title": "CVE-2024-6119 - openssl",
            "score": 7.5,
            "packageVulnerabilityDetails": {
                "vulnerabilityId": "CVE-2024-6119",
                "sourceUrl": "https://nvd.nist.gov/vuln/detail/CVE-2024-6119",
                "vulnerablePackages": [
                    {
                        "name": "openssl",
                        "version": "3.0.13",
                        "release": "1~deb12u1",
                        "fixedInVersion": "3.0.14-1~deb12u2",
                        "packageManager": "OS",
                    }
                ],
            },
        }
    ]
    scanned("v1", enhanced=enhanced)
    result = run_ecrctl("-o", "json", "scan", REPO, "v1", "--wait", "--fail-on", "CRITICAL")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["status"] == "ACTIVE" and doc["scanner"] == "enhanced"
    finding = doc["findings"][0]
    assert finding["installedVersion"] == "3.0.13-1~deb12u1"
    assert finding["fixedVersion"] == "3.0.14-1~deb12u2"
    assert run_ecrctl("scan", REPO, "v1", "--fail-on", "HIGH").exit_code == 5


def test_thousands_of_findings_are_read_page_by_page(
    run_ecrctl: Any, scanned: Any, ecr_proxy: Any
) -> None:
    scanned("v1", findings=basic_findings(2500))
    proxy = ecr_proxy()
    result = run_ecrctl(
        shell=f"ecrctl -o text scan {REPO}:v1 | cut -f2 | sort | uniq -c",
        env={"AWS_ENDPOINT_URL": proxy.url},
    )
    assert result.exit_code == 0, result.stderr
    counts = {line.split()[1]: int(line.split()[0]) for line in result.stdout.splitlines()}
    assert sum(counts.values()) == 2500 and counts["CRITICAL"] == 417
    assert proxy.counts["DescribeImageScanFindings"] == 3  # 1000 + 1000 + 500


def test_sarif_end_to_end_is_valid(run_ecrctl: Any, scanned: Any) -> None:
    scanned("v1", findings=basic_findings(12))
    result = run_ecrctl("-o", "sarif", "scan", f"{REPO}:v1", "--ignore", "CVE-2026-10000")
    assert result.exit_code == 0, result.stderr
    log = json.loads(result.stdout)
    validate_sarif(log)
    results = log["runs"][0]["results"]
    assert len(results) == 12
    assert [r["level"] for r in results[:2]] == ["error", "error"]
    assert sum(1 for r in results if r.get("suppressions")) == 1


def test_complete_but_unreadable_is_never_reported_clean(
    run_ecrctl: Any, scanned: Any, moto_server: str
) -> None:
    # ECR's race: COMPLETE with an empty findings list and no counts or completion time.
    racing = {
        **scan_response(REPO, {"imageTag": "v1"}),
        "imageScanFindings": {"findings": []},
    }
    inject_scan_results(moto_server, [racing])
    gated = run_ecrctl("scan", REPO, "v1", "--fail-on", "HIGH")
    assert gated.exit_code == 1
    assert "cannot apply --fail-on HIGH: the findings are not readable yet (COMPLETE)" in (
        gated.stderr
    )
    sarif = run_ecrctl("-o", "sarif", "scan", REPO, "v1")
    assert sarif.exit_code == 1 and sarif.stdout == ""  # an empty log would close every alert
    assert "no SARIF log: the findings are not readable yet (COMPLETE)" in sarif.stderr
    waited = run_ecrctl("scan", REPO, "v1", "--wait", "--timeout", "3s")
    assert waited.exit_code == 1
    assert "still COMPLETE (findings not readable yet) after 3s" in waited.stderr


def test_failed_scan_exits_1_with_ecr_reason(run_ecrctl: Any, scanned: Any) -> None:
    scanned("v1", status="FAILED", description="UnsupportedImageError: unknown OS")
    result = run_ecrctl("scan", REPO, "v1", "--wait")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "ecrctl: the scan of team/app:v1 ended FAILED: UnsupportedImageError: unknown OS"
    )


def test_wait_reports_progress_on_stderr_and_gives_up_at_the_timeout(
    run_ecrctl: Any, scanned: Any
) -> None:
    scanned("v1", status="IN_PROGRESS", description="scanning layers")
    result = run_ecrctl("-o", "json", "scan", REPO, "v1", "--wait", "--timeout", "3s")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    # Without a terminal: one line per change of state, not a spinner.
    assert lines == [
        "scan of team/app:v1 IN_PROGRESS: scanning layers; waiting (up to 3s)",
        "ecrctl: the scan of team/app:v1 is still IN_PROGRESS (scanning layers) after 3s; "
        "try again later or raise --timeout",
    ]
