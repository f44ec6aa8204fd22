"""core/scanning.scan_image: the ScanOutcome of `ecrctl scan`, on moto (findings injected through
moto's documented scan-finding-results API) and on botocore's Stubber where moto cannot answer
(a scan not readable yet, a failed scan, a scan not recorded a moment after its start)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from botocore.stub import Stubber

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import GateTripped, NotFound, Refused
from ecrctl.core.names import Reference
from ecrctl.core.scan.outcome import scan_image
from ecrctl.core.scan.scans import ScanService
from ecrctl.sandbox.findings import basic_findings, scan_response
from ecrctl.sandbox.images import seed_repository
from tests.conftest import REGION
from tests.fakeclock import FakeClock

REPO = "team/app"
REF = Reference(REPO, tag="v1")
# One finding of each severity but INFORMATIONAL (CVE-2026-10004), which is ignored below.
FINDINGS = basic_findings(6)
IGNORED = "CVE-2026-10004"
MOTO_API = "http://motoapi.amazonaws.com/moto-api/static/ecr/scan-finding-results"


@pytest.fixture
def scanned(ecr: Any) -> ScanService:
    """An image whose scan lists FINDINGS, as moto is told to answer."""
    ecr.create_repository(repositoryName=REPO)
    seed_repository(ecr, REPO, ["v1"])
    results = [scan_response(REPO, REF.image_id, findings=FINDINGS)]
    requests.post(MOTO_API, json={"results": results, "region": REGION}, timeout=10)
    ecr.start_image_scan(repositoryName=REPO, imageId=REF.image_id)
    return ScanService(EcrRegistry(ecr))


@pytest.mark.parametrize(
    ("threshold", "failed"),
    [
        ("CRITICAL", ("CRITICAL",)),
        ("HIGH", ("CRITICAL", "HIGH")),
        ("MEDIUM", ("CRITICAL", "HIGH", "MEDIUM")),
        ("LOW", ("CRITICAL", "HIGH", "MEDIUM", "LOW")),
        ("INFORMATIONAL", ("CRITICAL", "HIGH", "MEDIUM", "LOW")),
        ("UNDEFINED", ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNDEFINED")),
    ],
)
def test_gate_names_the_severities_at_or_above_the_threshold(
    scanned: ScanService, threshold: str, failed: tuple[str, ...]
) -> None:
    outcome = scan_image(scanned, REF, ignore=[IGNORED], fail_on=threshold)
    gate = outcome.gate
    assert (gate.threshold, gate.verdict, gate.failed_severities) == (threshold, "tripped", failed)
    assert isinstance(gate.error, GateTripped) and not gate.passed
    assert str(gate.error).startswith(
        f"{len(failed)} finding(s) at {threshold} or worse in team/app:v1 (--fail-on {threshold}): "
    )
    assert IGNORED not in str(gate.error)
    assert [f.id for f in gate.tripping] == [f"CVE-2026-1000{i}" for i in range(6) if i != 4][
        : len(failed)
    ]


def test_ignoring_every_finding_at_the_threshold_passes_the_gate(scanned: ScanService) -> None:
    critical_and_high = ["CVE-2026-10000", "cve-2026-10001"]  # ids match in any case
    outcome = scan_image(scanned, REF, ignore=critical_and_high, fail_on="HIGH")
    assert (outcome.gate.verdict, outcome.gate.failed_severities) == ("passed", ())
    assert outcome.gate.passed and outcome.gate.error is None
    ignored = [f.id for f in outcome.report.findings if f.ignored]
    assert ignored == ["CVE-2026-10000", "CVE-2026-10001"]


def test_without_fail_on_the_gate_is_off_and_unmatched_ignores_are_reported(
    scanned: ScanService,
) -> None:
    outcome = scan_image(scanned, REF, ignore=["CVE-0000-0001", IGNORED])
    assert (outcome.gate.verdict, outcome.gate.error) == ("off", None)
    assert outcome.unmatched_ignores == ("CVE-0000-0001",)
    assert outcome.ready and len(outcome.report.findings) == 6
    assert (outcome.name, outcome.started) == ("team/app:v1", None)


def test_start_outcome_is_heard_before_the_findings_are_read(ecr: Any) -> None:
    ecr.create_repository(repositoryName=REPO)
    seed_repository(ecr, REPO, ["v1"])
    heard: list[bool] = []
    first = scan_image(
        ScanService(EcrRegistry(ecr)), REF, start=True, on_started=lambda s: heard.append(s.started)
    )
    # ECR (and moto) allow one manual scan a day: the second start is refused, not an error.
    second = scan_image(
        ScanService(EcrRegistry(ecr)), REF, start=True, on_started=lambda s: heard.append(s.started)
    )
    assert heard == [True, False]
    assert first.started is not None and first.started.started
    assert second.started is not None and not second.started.started and second.ready


@pytest.fixture
def stubber_region() -> str:
    return REGION


FETCH = {"repositoryName": REPO, "imageId": REF.image_id, "maxResults": 1000}


def test_findings_not_readable_yet_leave_the_gate_undecided(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    # ECR says COMPLETE a moment before the findings can be read (no counts, no completion).
    early = scan_response(REPO, REF.image_id, findings=[])
    del early["imageScanFindings"]["findingSeverityCounts"]
    stubber.add_response("describe_image_scan_findings", early, FETCH)
    outcome = scan_image(ScanService(EcrRegistry(client)), REF, fail_on="LOW")
    assert not outcome.ready and outcome.pending_reason == "findings are not readable yet"
    assert outcome.gate.verdict == "undecided" and isinstance(outcome.gate.error, Refused)
    assert str(outcome.gate.error) == (
        "cannot apply --fail-on LOW: the findings are not readable yet (COMPLETE)"
    )


def test_a_failed_scan_is_refused(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    failed = scan_response(REPO, REF.image_id, status="UNSUPPORTED_IMAGE", description="no OS")
    stubber.add_response("describe_image_scan_findings", failed, FETCH)
    with pytest.raises(Refused, match="the scan of team/app:v1 ended UNSUPPORTED_IMAGE: no OS"):
        scan_image(ScanService(EcrRegistry(client)), REF, fail_on="LOW")


def test_a_scan_just_started_and_not_recorded_yet_is_pending(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    ids = {"repositoryName": REPO, "imageId": REF.image_id}
    stubber.add_response(
        "start_image_scan", {**ids, "imageScanStatus": {"status": "IN_PROGRESS"}}, ids
    )
    stubber.add_client_error("describe_image_scan_findings", "ScanNotFoundException", "none")
    outcome = scan_image(ScanService(EcrRegistry(client)), REF, start=True, fail_on="HIGH")
    assert outcome.report.status == "PENDING" and outcome.pending_reason == "scan is not done"
    assert outcome.gate.verdict == "undecided"


def test_no_scan_and_none_started_is_not_found(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error("describe_image_scan_findings", "ScanNotFoundException", "none")
    with pytest.raises(NotFound, match="start one with --start"):
        scan_image(ScanService(EcrRegistry(client)), REF)


def test_wait_reports_each_poll_then_gates_the_findings(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    running = scan_response(REPO, REF.image_id, status="IN_PROGRESS", description="scanning")
    del running["imageScanFindings"]
    stubber.add_response("describe_image_scan_findings", running, FETCH)
    done = scan_response(REPO, REF.image_id, findings=basic_findings(2))
    stubber.add_response("describe_image_scan_findings", done, FETCH)
    clock = FakeClock()
    polls: list[tuple[str, str | None]] = []
    service = ScanService(EcrRegistry(client), clock=clock.clock, sleep=clock.sleep)
    outcome = scan_image(
        service,
        REF,
        wait=True,
        timeout=60,
        fail_on="CRITICAL",
        on_status=lambda status, reason, _elapsed: polls.append((status, reason)),
    )
    assert polls == [("IN_PROGRESS", "scanning")] and len(clock.sleeps) == 1
    assert outcome.gate.failed_severities == ("CRITICAL",)
