"""SARIF 2.1.0 from a scan report, checked against the OASIS schema (tests/data)."""

from __future__ import annotations

import copy

import jsonschema
import pytest

from ecrctl.core.scan.findings import Finding
from ecrctl.core.scan.sarif import to_sarif
from ecrctl.core.scan.scans import ScanReport
from tests.sarif_schema import validate_sarif

URI = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app@sha256:" + "c" * 64


def report() -> ScanReport:
    return ScanReport(
        repository="team/app",
        registry_id="123456789012",
        digest="sha256:" + "c" * 64,
        tag="v1",
        status="ACTIVE",
        ready=True,
        findings=[
            Finding(
                "CVE-1",
                "CRITICAL",
                "openssl",
                "3.0.2",
                "3.0.13",
                "https://x.test/1",
                "CVE-1 - openssl",
                9.8,
                "enhanced",
            ),
            Finding(
                "CVE-1",
                "CRITICAL",
                "libssl3",
                "3.0.2",
                None,
                "https://x.test/1",
                None,
                None,
                "enhanced",
            ),
            Finding(
                "CVE-2",
                "MEDIUM",
                None,
                None,
                None,
                None,
                None,
                None,
                "enhanced",
                ignored=True,
                ignored_because="--ignore",
            ),
            Finding("CVE-3", "UNDEFINED", "zlib", "1.2", None, None, None, None, "enhanced"),
        ],
    )


def test_sarif_log_is_valid_and_groups_rules_by_vulnerability() -> None:
    log = to_sarif(report(), URI)
    validate_sarif(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["CVE-1", "CVE-2", "CVE-3"]
    assert rules[0]["properties"]["security-severity"] == "9.8"
    assert rules[1]["properties"]["security-severity"] == "5.5"  # no score: by severity
    assert [r["ruleIndex"] for r in run["results"]] == [0, 0, 1, 2]
    assert [r["level"] for r in run["results"]] == ["error", "error", "warning", "note"]
    assert run["results"][0]["message"]["text"] == (
        "CVE-1 (CRITICAL) in openssl 3.0.2; fixed in 3.0.13"
    )
    assert "suppressions" not in run["results"][0]
    assert run["results"][2]["suppressions"][0]["justification"] == "ignored (--ignore)"
    assert run["properties"]["image"] == URI


def test_the_schema_check_catches_a_broken_log() -> None:
    log = to_sarif(report(), URI)
    broken = copy.deepcopy(log)
    broken["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif(broken)
    missing = copy.deepcopy(log)
    del missing["runs"][0]["tool"]
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif(missing)


def test_a_clean_image_is_a_valid_log_with_no_results() -> None:
    clean = ScanReport("team/app", None, None, "v1", "COMPLETE", ready=True)
    log = to_sarif(clean, "team/app:v1")
    validate_sarif(log)
    assert log["runs"][0]["results"] == []


def _many(count: int) -> ScanReport:
    """``count`` findings, each its own vulnerability id, severities worst first in bands."""
    bands = [("CRITICAL", 100), ("HIGH", 4_900), ("MEDIUM", 15_000), ("LOW", 5_000)]
    severities = [s for s, n in bands for _ in range(n)]
    severities += ["INFORMATIONAL"] * (count - len(severities))
    findings = [
        Finding(f"CVE-2026-{i:05d}", severity, f"pkg{i}", "1.0", None, None, None, None, "basic")
        for i, severity in enumerate(severities[:count])
    ]
    return ScanReport("team/app", None, None, "v1", "COMPLETE", ready=True, findings=findings)


def test_sarif_keeps_the_25000_most_severe_results_and_rules_and_says_what_was_dropped() -> None:
    log = to_sarif(_many(26_000), URI)
    run = log["runs"][0]
    assert len(run["results"]) == 25_000
    assert len(run["tool"]["driver"]["rules"]) == 25_000
    # everything from CRITICAL to MEDIUM is kept; the 1,000 dropped are the least severe
    assert run["properties"]["droppedResults"] == {"INFORMATIONAL": 1_000}
    kept = [r["properties"]["severity"] for r in run["results"]]
    assert kept.count("CRITICAL") == 100 and kept.count("LOW") == 5_000
    assert all(r["ruleIndex"] < 25_000 for r in run["results"])


def test_sarif_under_the_limit_drops_nothing() -> None:
    assert to_sarif(report(), URI)["runs"][0]["properties"]["droppedResults"] == {}


def test_sarif_prefers_open_findings_to_ignored_ones_of_the_same_severity() -> None:
    base = _many(3)
    findings = [
        Finding("CVE-A", "HIGH", ignored=True),
        Finding("CVE-B", "HIGH"),
        Finding("CVE-C", "LOW"),
    ]
    log = to_sarif(ScanReport(**{**base.__dict__, "findings": findings}), URI, limit=1)
    validate_sarif(log)
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["CVE-B"]
    assert log["runs"][0]["properties"]["droppedResults"] == {"HIGH": 1, "LOW": 1}


RFC3986 = set(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%"
)


def test_help_uri_is_a_valid_uri_even_when_ecr_gives_spaces() -> None:
    import urllib.parse

    findings = [
        Finding("CVE-1", "HIGH", link="https://nvd.test/vuln/detail/CVE 1?q=a b&x=%41"),
        Finding("CVE-2", "LOW", link="not a link at all"),
    ]
    base = report()
    log = to_sarif(ScanReport(**{**base.__dict__, "findings": findings}), URI)
    validate_sarif(log)
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    help_uri = rules["CVE-1"]["helpUri"]
    assert help_uri == "https://nvd.test/vuln/detail/CVE%201?q=a%20b&x=%41"
    assert set(help_uri) <= RFC3986
    assert urllib.parse.unquote(help_uri) == "https://nvd.test/vuln/detail/CVE 1?q=a b&x=A"
    assert "helpUri" not in rules["CVE-2"]
