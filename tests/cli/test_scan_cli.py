"""ecrctl scan in-process (CliRunner) on moto: formats, the gate, ignores, usage errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ecrctl.sandbox.images import seed_repository
from tests.sarif_schema import validate_sarif

REPO = "team/app"
FAKE = "CVE-9999-9999"  # moto's one fake HIGH finding


@pytest.fixture
def image(ecr: Any) -> str:
    ecr.create_repository(repositoryName=REPO)
    return seed_repository(ecr, REPO, ["v1"])[0]


def test_start_and_wait_show_findings_as_text(cli: Any, image: str) -> None:
    result = cli("-o", "text", "scan", REPO, "v1", "--start", "--wait")
    assert result.exit_code == 0, result.stderr
    fields = result.stdout.rstrip("\n").split("\t")
    assert fields == [
        FAKE,
        "HIGH",
        "moto_fake",
        "9.9.9",
        "-",
        "https://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-9999-9999",
        "open",
    ]
    assert "started a scan of team/app:v1" in result.stderr


def test_second_start_the_same_day_says_so_and_shows_last_results(cli: Any, image: str) -> None:
    assert cli("scan", f"{REPO}:v1", "--start").exit_code == 0
    result = cli("-o", "json", "scan", f"{REPO}:v1", "--start", "--wait")
    assert result.exit_code == 0
    assert "one manual scan per image every 24 hours" in result.stderr
    doc = json.loads(result.stdout)
    assert doc["status"] == "COMPLETE" and doc["findings"][0]["id"] == FAKE


def test_json_has_stable_keys_and_digest(cli: Any, image: str) -> None:
    cli("scan", REPO, "v1", "--start")
    result = cli("-o", "json", "scan", REPO, f"@{image}")
    doc = json.loads(result.stdout)
    assert list(doc) == [
        "repository",
        "registryId",
        "imageDigest",
        "imageTag",
        "status",
        "statusDescription",
        "scanner",
        "completedAt",
        "vulnerabilitySourceUpdatedAt",
        "severityCounts",
        "ignoredCount",
        "findings",
    ]
    assert doc["imageDigest"] == image
    assert doc["severityCounts"] == {
        "CRITICAL": 0,
        "HIGH": 1,
        "MEDIUM": 0,
        "LOW": 0,
        "INFORMATIONAL": 0,
        "UNDEFINED": 0,
    }
    assert doc["completedAt"].endswith("Z")
    assert doc["findings"][0]["score"] == 7.5


def test_table_shows_summary_and_findings(cli: Any, image: str) -> None:
    cli("scan", REPO, "v1", "--start")
    result = cli("-o", "table", "--no-color", "scan", f"{REPO}:v1")
    assert result.exit_code == 0
    assert "CRITICAL 0  HIGH 1  MEDIUM 0" in result.stdout
    assert "scan COMPLETE" in result.stdout
    header = next(line for line in result.stdout.splitlines() if " severity " in line)
    assert header.split() == ["id", "severity", "package", "installed", "fixed", "link", "state"]


def test_fail_on_trips_with_exit_5_after_printing(cli: Any, image: str) -> None:
    cli("scan", REPO, "v1", "--start")
    result = cli("-o", "text", "scan", REPO, "v1", "--fail-on", "high")
    assert result.exit_code == 5
    assert result.stdout.startswith(FAKE)
    assert "1 finding(s) at HIGH or worse in team/app:v1 (--fail-on HIGH): CVE-9999-9999" in (
        result.stderr
    )
    assert cli("scan", REPO, "v1", "--fail-on", "CRITICAL").exit_code == 0


def test_ignored_findings_are_listed_not_dropped(cli: Any, image: str, tmp_path: Path) -> None:
    cli("scan", REPO, "v1", "--start")
    ignores = tmp_path / "ignore.txt"
    ignores.write_text("# risk accepted until the base image moves\ncve-9999-9999  # moto\n")
    result = cli(
        "-o", "json", "scan", REPO, "v1", "--fail-on", "LOW", "--ignore-file", str(ignores)
    )
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["ignoredCount"] == 1
    assert doc["findings"][0]["ignored"] is True
    assert doc["findings"][0]["ignoredBecause"] == "--ignore"
    unused = cli("-o", "text", "scan", REPO, "v1", "--ignore", "CVE-0000-1")
    assert "ignored id CVE-0000-1 matched no finding" in unused.stderr


def test_unreadable_ignore_file_is_bad_input(cli: Any, image: str, tmp_path: Path) -> None:
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe\x00")
    for path, message in [
        (str(tmp_path / "nope"), "cannot read --ignore-file"),
        (str(binary), "not UTF-8 text"),
        ("bad\x00path", "cannot read --ignore-file bad\\x00path: a path cannot hold a NUL"),
    ]:
        result = cli("scan", REPO, "v1", "--ignore-file", path)
        assert result.exit_code == 2, result.stderr
        assert message in result.stderr


def test_no_scan_yet_is_not_found_with_a_hint(cli: Any, image: str) -> None:
    result = cli("scan", REPO, "v1")
    assert result.exit_code == 3
    assert result.stderr.strip() == "ecrctl: no scan found for team/app:v1: start one with --start"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("scan", REPO, "v1", "--timeout", "soon"), "invalid --timeout 'soon'"),
        (("scan", REPO, "v1", "--fail-on", "BAD"), "invalid --fail-on 'BAD'"),
        (("scan", REPO), "name the image"),
        (("scan", f"{REPO}:v1", "v2"), "already names a tag or digest"),
        (("scan", "Team/App", "v1"), "invalid repository name"),
        (("-o", "sarif", "repo", "list"), "-o sarif is only for ecrctl scan"),
    ],
)
def test_usage_errors_exit_2_before_any_call(cli: Any, args: tuple[str, ...], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_sarif_on_another_command_changes_nothing(cli: Any, ecr: Any) -> None:
    result = cli("-o", "sarif", "repo", "create", "team/new")
    assert result.exit_code == 2
    assert ecr.describe_repositories()["repositories"] == []


def test_sarif_output_validates_against_the_schema(cli: Any, image: str) -> None:
    cli("scan", REPO, "v1", "--start")
    result = cli("-o", "sarif", "scan", REPO, "v1", "--ignore", FAKE)
    assert result.exit_code == 0
    log = json.loads(result.stdout)
    validate_sarif(log)
    run = log["runs"][0]
    assert run["tool"]["driver"]["rules"][0]["properties"]["security-severity"] == "7.5"
    assert run["results"][0]["suppressions"][0]["kind"] == "external"
    assert run["properties"]["image"] == (
        f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{REPO}@{image}"
    )


def test_images_shows_scan_status_and_counts(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto never reports imageScanFindingsSummary: DescribeImages is stubbed here."""
    client = boto3.client("ecr", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response(
        "describe_images",
        {
            "imageDetails": [
                {
                    "imageDigest": "sha256:" + "b" * 64,
                    "imageTags": ["v1"],
                    "imagePushedAt": datetime(2026, 1, 1, tzinfo=UTC),
                    "imageSizeInBytes": 1000,
                    "imageScanStatus": {"status": "COMPLETE", "description": "done"},
                    "imageScanFindingsSummary": {
                        "findingSeverityCounts": {"CRITICAL": 2, "HIGH": 1, "LOW": 4}
                    },
                }
            ]
        },
        {"repositoryName": REPO, "maxResults": 1000},
    )
    stubber.activate()
    monkeypatch.setattr("ecrctl.session.Clients.ecr", lambda self, region=None: client)
    table = cli("-o", "table", "images", REPO)
    assert table.exit_code == 0, table.stderr
    row = next(line for line in table.stdout.splitlines() if "bbbbbbbbbbbb" in line)
    assert "COMPLETE" in row and "C2 H1 L4" in row
    stubber.add_response(
        "describe_images",
        {
            "imageDetails": [
                {
                    "imageDigest": "sha256:" + "b" * 64,
                    "imageScanFindingsSummary": {
                        "findingSeverityCounts": {"LOW": 4, "CRITICAL": 2}
                    },
                }
            ]
        },
        {"repositoryName": REPO, "maxResults": 1000},
    )
    doc = json.loads(cli("-o", "json", "images", REPO).stdout)
    assert doc[0]["severityCounts"] == {"CRITICAL": 2, "LOW": 4}


def test_a_pasted_image_uri_names_registry_and_region(cli: Any, image: str) -> None:
    cli("scan", REPO, "v1", "--start")
    uri = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{REPO}:v1"
    result = cli("--region", "eu-west-1", "-o", "json", "scan", uri)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["registryId"], doc["imageTag"], doc["findings"][0]["id"]) == (
        "123456789012",
        "v1",
        FAKE,
    )


def test_sarif_over_githubs_limit_says_on_stderr_what_was_dropped(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecrctl.sandbox.findings import basic_findings

    findings = basic_findings(26_000, severities=("HIGH",) * 5 + ("LOW",))
    counts = {"HIGH": sum(1 for f in findings if f["severity"] == "HIGH")}
    counts["LOW"] = len(findings) - counts["HIGH"]
    client = boto3.client("ecr", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response(
        "describe_image_scan_findings",
        {
            "repositoryName": REPO,
            "imageId": {"imageDigest": "sha256:" + "d" * 64, "imageTag": "v1"},
            "imageScanStatus": {"status": "COMPLETE", "description": "done"},
            "imageScanFindings": {
                "imageScanCompletedAt": datetime(2026, 1, 2, tzinfo=UTC),
                "findingSeverityCounts": counts,
                "findings": findings,
            },
        },
        {"repositoryName": REPO, "imageId": {"imageTag": "v1"}, "maxResults": 1000},
    )
    stubber.activate()
    monkeypatch.setattr("ecrctl.session.Clients.ecr", lambda self, region=None: client)
    result = cli("-o", "sarif", "scan", REPO, "v1")
    assert result.exit_code == 0, result.stderr
    run = json.loads(result.stdout)["runs"][0]
    assert len(run["results"]) == 25_000
    assert {r["properties"]["severity"] for r in run["results"]} == {"HIGH", "LOW"}
    dropped = 26_000 - 25_000
    assert run["properties"]["droppedResults"] == {"LOW": dropped}
    assert result.stderr == (
        "note: GitHub code scanning takes at most 25,000 results a run: kept the 25,000 most "
        f"severe findings, dropped {dropped:,} (LOW {dropped:,}); -o json lists them all\n"
    )
