"""The scan model: durations, severities, normalisation of basic and enhanced findings, the gate."""

from __future__ import annotations

import pytest

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.scan.findings import (
    Finding,
    apply_ignores,
    from_basic,
    from_enhanced,
    parse_ignore_list,
    parse_severity,
    sort_findings,
    tripping,
)
from ecrctl.core.scan.scans import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("10m", 600), ("1h", 3600), ("1h30m", 5400), ("45", 45), ("1.5m", 90)],
)
def test_durations_parse_to_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "x", "10 minutes", "-5s", "10d", "m10"])
def test_bad_durations_name_the_option(text: str) -> None:
    with pytest.raises(InvalidInput, match="--timeout"):
        parse_duration(text)


def test_severity_is_case_insensitive_and_checked() -> None:
    assert parse_severity("high") == "HIGH"
    with pytest.raises(InvalidInput, match="CRITICAL, HIGH, MEDIUM"):
        parse_severity("severe")


def test_ignore_file_takes_one_id_a_line_with_comments() -> None:
    text = "# accepted risks\nCVE-2024-1\n\n  CVE-2024-2   # no fix upstream\n#CVE-2024-3\n"
    assert parse_ignore_list(text) == ["CVE-2024-1", "CVE-2024-2"]


def test_basic_finding_reads_package_and_score_from_attributes() -> None:
    finding = from_basic(
        {
            "name": "CVE-2024-1",
            "uri": "https://example.test/CVE-2024-1",
            "severity": "MEDIUM",
            "attributes": [
                {"key": "package_name", "value": "openssl"},
                {"key": "package_version", "value": "3.0.2"},
                {"key": "CVSS2_SCORE", "value": "5.0"},
                {"key": "CVSS3_SCORE", "value": "6.1"},
            ],
        }
    )
    assert (finding.id, finding.severity, finding.package, finding.installed_version) == (
        "CVE-2024-1",
        "MEDIUM",
        "openssl",
        "3.0.2",
    )
    assert finding.score == 6.1 and finding.fixed_version is None and finding.scanner == "basic"


def test_enhanced_finding_is_normalised_to_the_same_model() -> None:
    finding = from_enhanced(
        {
            "severity": "UNTRIAGED",
            "status": "ACTIVE",
            "title": "CVE-2024-9 - busybox",
            "score": 9.8,
            "packageVulnerabilityDetails": {
                "vulnerabilityId": "CVE-2024-9",
                "sourceUrl": "https://nvd.example/CVE-2024-9",
                "vulnerablePackages": [
                    {
                        "name": "busybox",
                        "version": "1.36.1",
                        "release": "r15",
                        "epoch": 0,
                        "fixedInVersion": "1.36.1-r17",
                    },
                    {
                        "name": "busybox-binsh",
                        "version": "1.36.1",
                        "release": "r15",
                        "fixedInVersion": "NotAvailable",
                    },
                ],
            },
        }
    )
    assert finding.id == "CVE-2024-9"
    assert finding.severity == "UNDEFINED"  # Inspector's UNTRIAGED
    assert finding.package == "busybox, busybox-binsh"
    assert finding.installed_version == "1.36.1-r15"
    assert finding.fixed_version == "1.36.1-r17"  # "NotAvailable" is not a version
    assert finding.link == "https://nvd.example/CVE-2024-9"
    assert finding.scanner == "enhanced" and not finding.ignored


def test_enhanced_finding_suppressed_in_inspector_is_listed_as_ignored() -> None:
    finding = from_enhanced(
        {
            "severity": "CRITICAL",
            "status": "SUPPRESSED",
            "packageVulnerabilityDetails": {"vulnerabilityId": "CVE-1"},
        }
    )
    assert finding.ignored and finding.ignored_because == "Inspector status SUPPRESSED"
    assert tripping([finding], "LOW") == []


def test_findings_sort_worst_first_then_by_score_then_id() -> None:
    findings = [
        Finding("CVE-b", "LOW"),
        Finding("CVE-a", "HIGH", score=7.0),
        Finding("CVE-c", "HIGH", score=8.1),
        Finding("CVE-z", "UNDEFINED"),
        Finding("CVE-d", "CRITICAL"),
        Finding("CVE-e", "INFORMATIONAL"),
    ]
    assert [f.id for f in sort_findings(findings)] == [
        "CVE-d",
        "CVE-c",
        "CVE-a",
        "CVE-b",
        "CVE-e",
        "CVE-z",
    ]


def test_gate_counts_findings_at_or_above_the_threshold_not_ignored() -> None:
    findings = [Finding("C1", "CRITICAL"), Finding("H1", "HIGH"), Finding("M1", "MEDIUM")]
    marked, unmatched = apply_ignores(findings, ["c1", "CVE-unused"])
    assert [f.ignored for f in marked] == [True, False, False]
    assert marked[0].ignored_because == "--ignore"
    assert unmatched == ["CVE-unused"]
    assert [f.id for f in tripping(marked, "HIGH")] == ["H1"]
    assert [f.id for f in tripping(marked, "CRITICAL")] == []
    assert [f.id for f in tripping(marked, "medium")] == ["H1", "M1"]
