"""ScanService against botocore's Stubber: sequences moto cannot produce."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import NotFound, Refused
from ecrctl.core.scan.scans import ScanService
from ecrctl.sandbox.findings import basic_findings
from tests.fakeclock import FakeClock

REPO = "team/app"
IMAGE = {"imageTag": "v1"}
DIGEST = "sha256:" + "a" * 64
EXPECTED = {"repositoryName": REPO, "imageId": IMAGE, "maxResults": 1000}
DONE_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def page(status: str, body: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    response: dict[str, Any] = {
        "registryId": "123456789012",
        "repositoryName": REPO,
        "imageId": {"imageTag": "v1", "imageDigest": DIGEST},
        "imageScanStatus": {"status": status, "description": f"scan {status.lower()}"},
        **extra,
    }
    if body is not None:
        response["imageScanFindings"] = body
    return response


def complete(findings: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f["severity"]] = counts.get(f["severity"], 0) + 1
    return page(
        "COMPLETE",
        {"imageScanCompletedAt": DONE_AT, "findingSeverityCounts": counts, "findings": findings},
        **extra,
    )


def service(client: Any, fake: FakeClock) -> ScanService:
    return ScanService(EcrRegistry(client), clock=fake.clock, sleep=fake.sleep)


def test_wait_polls_in_progress_until_complete(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response("describe_image_scan_findings", page("IN_PROGRESS"), EXPECTED)
    stubber.add_response("describe_image_scan_findings", page("IN_PROGRESS"), EXPECTED)
    stubber.add_response("describe_image_scan_findings", complete(basic_findings(3)), EXPECTED)
    fake = FakeClock()
    seen: list[str] = []
    report = service(client, fake).wait(
        REPO, IMAGE, timeout=600, on_status=lambda status, reason, elapsed: seen.append(status)
    )
    assert report.ready and report.status == "COMPLETE"
    assert [f.severity for f in report.findings] == ["CRITICAL", "HIGH", "MEDIUM"]
    assert report.digest == DIGEST and report.completed_at == DONE_AT
    assert seen == ["IN_PROGRESS", "IN_PROGRESS"]
    assert fake.sleeps == [2.0, 3.0]  # backs off, never botocore's fixed waiter


def test_complete_before_findings_are_readable_is_waited_for(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    # aws/aws-sdk#289: COMPLETE with {"findings": []}, no counts, no completion time.
    stubber.add_response(
        "describe_image_scan_findings", page("COMPLETE", {"findings": []}), EXPECTED
    )
    # ...or counts that say there are findings while none are listed yet.
    stubber.add_response(
        "describe_image_scan_findings",
        page("COMPLETE", {"findingSeverityCounts": {"HIGH": 2}, "findings": []}),
        EXPECTED,
    )
    stubber.add_response(
        "describe_image_scan_findings", complete(basic_findings(2, severities=("HIGH",))), EXPECTED
    )
    fake = FakeClock()
    reasons: list[str | None] = []
    report = service(client, fake).wait(
        REPO, IMAGE, timeout=60, on_status=lambda s, reason, e: reasons.append(reason)
    )
    assert len(report.findings) == 2 and report.ready
    assert reasons == ["findings not readable yet"] * 2


def test_fetch_does_not_report_a_racing_scan_as_clean(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response(
        "describe_image_scan_findings", page("COMPLETE", {"findings": []}), EXPECTED
    )
    report = ScanService(EcrRegistry(client)).fetch(REPO, IMAGE)
    assert not report.ready and report.findings == []


def test_a_clean_image_is_ready_with_no_findings(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response("describe_image_scan_findings", complete([]), EXPECTED)
    report = ScanService(EcrRegistry(client)).fetch(REPO, IMAGE)
    assert report.ready and report.findings == []


def test_failed_scan_carries_ecr_reason(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response("describe_image_scan_findings", page("IN_PROGRESS"), EXPECTED)
    failed = page("FAILED")
    failed["imageScanStatus"]["description"] = (
        "UnsupportedImageError: operating system not supported"
    )
    stubber.add_response("describe_image_scan_findings", failed, EXPECTED)
    report = service(client, FakeClock()).wait(REPO, IMAGE, timeout=60)
    assert report.failed and report.status == "FAILED"
    assert report.description == "UnsupportedImageError: operating system not supported"


def test_wait_gives_up_at_the_timeout(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    for _ in range(5):  # at 0, 2, 5, 9.5 and a last look at the deadline
        stubber.add_response("describe_image_scan_findings", page("IN_PROGRESS"), EXPECTED)
    fake = FakeClock()
    with pytest.raises(Refused, match=r"still IN_PROGRESS .* after 10s; .*--timeout"):
        service(client, fake).wait(REPO, IMAGE, timeout=10)
    assert sum(fake.sleeps) == pytest.approx(10)  # never sleeps past the deadline


def test_enhanced_active_scan_reads_enhanced_findings(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    enhanced = {
        "findingSeverityCounts": {"CRITICAL": 1, "MEDIUM": 1},
        "enhancedFindings": [
            {
                "severity": "MEDIUM",
                "status": "ACTIVE",
                "title": "CVE-2024-2 - zlib",
                "packageVulnerabilityDetails": {
                    "vulnerabilityId": "CVE-2024-2",
                    "vulnerablePackages": [{"name": "zlib", "version": "1.2.13"}],
                },
            },
            {
                "severity": "CRITICAL",
                "status": "ACTIVE",
                "score": 9.8,
                "title": "CVE-2024-1 - openssl",
                "remediation": {"recommendation": {"url": "https://fix.example/1"}},
                "packageVulnerabilityDetails": {
                    "vulnerabilityId": "CVE-2024-1",
                    "vulnerablePackages": [
                        {"name": "openssl", "version": "3.0.2", "fixedInVersion": "3.0.13"}
                    ],
                },
            },
        ],
    }
    stubber.add_response("describe_image_scan_findings", page("PENDING"), EXPECTED)
    stubber.add_response("describe_image_scan_findings", page("ACTIVE", enhanced), EXPECTED)
    report = service(client, FakeClock()).wait(REPO, IMAGE, timeout=60)
    assert report.ready and report.scanner == "enhanced"
    first = report.findings[0]
    assert (first.id, first.severity, first.package, first.fixed_version, first.link) == (
        "CVE-2024-1",
        "CRITICAL",
        "openssl",
        "3.0.13",
        "https://fix.example/1",
    )
    assert report.to_json()["severityCounts"]["MEDIUM"] == 1


def test_findings_are_paged_to_the_end_with_max_results(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    everything = basic_findings(2500)
    stubber.add_response(
        "describe_image_scan_findings", complete(everything[:1000], nextToken="t1"), EXPECTED
    )
    stubber.add_response(
        "describe_image_scan_findings",
        complete(everything[1000:2000], nextToken="t2"),
        {**EXPECTED, "nextToken": "t1"},
    )
    stubber.add_response(
        "describe_image_scan_findings", complete(everything[2000:]), {**EXPECTED, "nextToken": "t2"}
    )
    report = ScanService(EcrRegistry(client)).fetch(REPO, IMAGE)
    assert len(report.findings) == 2500
    assert len({f.id for f in report.findings}) == 2500


def test_start_limit_exceeded_is_reported_not_raised(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error(
        "start_image_scan",
        service_error_code="LimitExceededException",
        service_message="The scan quota per image has been exceeded. Wait and try again.",
        http_status_code=400,
        expected_params={"repositoryName": REPO, "imageId": IMAGE},
    )
    outcome = ScanService(EcrRegistry(client)).start(REPO, IMAGE)
    assert not outcome.started
    assert outcome.message is not None and "quota" in outcome.message


def test_start_then_wait_tolerates_a_scan_not_yet_visible(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response(
        "start_image_scan",
        {"repositoryName": REPO, "imageId": IMAGE, "imageScanStatus": {"status": "IN_PROGRESS"}},
        {"repositoryName": REPO, "imageId": IMAGE, "registryId": "210987654321"},
    )
    with_registry = {**EXPECTED, "registryId": "210987654321"}
    stubber.add_client_error(
        "describe_image_scan_findings", "ScanNotFoundException", expected_params=with_registry
    )
    stubber.add_response("describe_image_scan_findings", complete([]), with_registry)
    fake = FakeClock()
    scans = ScanService(EcrRegistry(client, "210987654321"), clock=fake.clock, sleep=fake.sleep)
    assert scans.start(REPO, IMAGE).started
    assert scans.wait(REPO, IMAGE, timeout=60, just_started=True).ready


def test_no_scan_without_start_is_not_found_with_a_hint(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error("describe_image_scan_findings", "ScanNotFoundException")
    with pytest.raises(NotFound, match="no scan found for team/app:v1: start one with --start"):
        ScanService(EcrRegistry(client)).fetch(REPO, IMAGE)


def test_wait_without_start_waits_for_a_first_scan_to_appear(
    stubbed: tuple[Any, Stubber],
) -> None:
    """Right after a scan-on-push push, ECR has no scan yet: --wait waits for one."""
    client, stubber = stubbed
    for _ in range(3):
        stubber.add_client_error(
            "describe_image_scan_findings", "ScanNotFoundException", expected_params=EXPECTED
        )
    stubber.add_response("describe_image_scan_findings", page("IN_PROGRESS"), EXPECTED)
    stubber.add_response(
        "describe_image_scan_findings", complete(basic_findings(1, severities=("HIGH",))), EXPECTED
    )
    clock = FakeClock()
    seen: list[tuple[str, str | None]] = []
    scans = ScanService(EcrRegistry(client), clock=clock, sleep=clock.sleep)
    report = scans.wait(REPO, IMAGE, timeout=600, on_status=lambda s, r, _e: seen.append((s, r)))
    assert report.ready and [f.severity for f in report.findings] == ["HIGH"]
    assert seen[0] == ("PENDING", "no scan recorded yet") and len(clock.sleeps) == 4


def test_wait_without_start_gives_up_at_the_timeout_as_not_found(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    clock = FakeClock()
    scans = ScanService(
        EcrRegistry(client), clock=clock, sleep=clock.sleep, first_interval=10, max_interval=10
    )
    for _ in range(4):  # at 0, 10, 20 and 30 seconds
        stubber.add_client_error(
            "describe_image_scan_findings", "ScanNotFoundException", expected_params=EXPECTED
        )
    with pytest.raises(NotFound) as caught:
        scans.wait(REPO, IMAGE, timeout=30)
    assert str(caught.value) == "no scan found for team/app:v1 after 30s: start one with --start"
    assert clock.now == 30
