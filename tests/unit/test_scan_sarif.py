"""SARIF 2.1.0 from a scan report, checked against the OASIS schema (tests/data)."""

from __future__ import annotations

import copy

import jsonschema
import pytest

from ecrctl.core.findings import Finding
from ecrctl.core.sarif import to_sarif
from ecrctl.core.scan import ScanReport
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
