"""Tables at 80 columns (a laptop terminal, or any pipe) and at 200: one line per row, always.

Rich's width is fixed through COLUMNS (as a terminal sets it); without COLUMNS and without a
terminal (`-o table | less`) rich renders at 80, which is the piped case.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecrctl.sandbox.images import put_synthetic, synthetic_manifest

URL = "https://hooks.example.com/ecr/a-rather-long-webhook-path/for-the-team"
LONG_TAG = "release-2026.01.02-build.123456"


def table_lines(stdout: str, width: int) -> list[str]:
    lines = stdout.rstrip("\n").splitlines()
    too_wide = [line for line in lines if len(line.rstrip()) > width]
    assert too_wide == [], f"lines wider than {width}:\n" + "\n".join(too_wide)
    return lines


def body(lines: list[str]) -> list[str]:
    """The rows under the header rule."""
    rule = next(i for i, line in enumerate(lines) if set(line.strip()) == {"─"})
    return lines[rule + 1 :]


@pytest.fixture
def images_repo(ecr: Any) -> list[str]:
    ecr.create_repository(repositoryName="team/service-with-a-long-name")
    digests = []
    for i in range(3):
        image = synthetic_manifest(f"img{i}")
        for tag in (f"{LONG_TAG}{i}", f"v1.{i}.0", f"sha-{i}abcdef0123"):
            put_synthetic(ecr, "team/service-with-a-long-name", image, tag)
        digests.append(image.digest)
    return digests


@pytest.mark.parametrize("width", [80, 200])
def test_images_rows_stay_one_line(cli: Any, images_repo: list[str], width: int) -> None:
    result = cli(
        "-o", "table", "images", "team/service-with-a-long-name", env={"COLUMNS": str(width)}
    )
    assert result.exit_code == 0, result.stderr
    rows = body(table_lines(result.stdout, width))
    assert len(rows) == 3  # one line per image, no continuation lines
    for digest in images_repo:
        short = digest.split(":")[1][:12]
        assert sum(1 for row in rows if row.startswith(short + " ")) == 1
    for row in rows:
        assert "B" in row  # the size stays, whole (e.g. "2.0 MB")
    if width == 200:  # room for everything: full dates and tags, nothing cut
        assert all("…" not in row for row in rows)
        assert f"{LONG_TAG}0" in result.stdout and "docker-manifest" in result.stdout


def test_images_table_when_piped_renders_at_80(cli: Any, images_repo: list[str]) -> None:
    result = cli("-o", "table", "images", "team/service-with-a-long-name", env={"COLUMNS": None})  # type: ignore[dict-item]
    assert result.exit_code == 0, result.stderr
    assert len(body(table_lines(result.stdout, 80))) == 3


@pytest.mark.parametrize("width", [80, 200])
def test_repo_list_rows_stay_one_line(cli: Any, ecr: Any, width: int) -> None:
    names = ["team/a-service-with-a-long-name", "app", "platform/ingest-worker"]
    for name in names:
        ecr.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE")
    result = cli("-o", "table", "repo", "list", env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.stderr
    lines = table_lines(result.stdout, width)
    assert lines[0].split()[:2] == ["name", "uri"] if width == 200 else ["name", "mutability"]
    rows = body(lines)
    assert len(rows) == 3
    assert all(row.split()[0] in names for row in rows)  # names whole, never folded
    assert all("immutable" in row for row in rows)
    if width == 200:
        assert "123456789012.dkr.ecr.us-east-1.amazonaws.com/app " in result.stdout


def finding(cve: str, severity: str, package: str, version: str) -> dict[str, Any]:
    return {
        "name": cve,
        "severity": severity,
        "uri": f"https://security-tracker.debian.org/tracker/{cve}?from=ecr scan&long=query",
        "description": "a long description " * 5,
        "attributes": [
            {"key": "package_name", "value": package},
            {"key": "package_version", "value": version},
        ],
    }


def stubbed_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """A finished basic scan with two findings and long links (moto has one short fake)."""
    from datetime import UTC, datetime

    import boto3
    from botocore.stub import Stubber

    client = boto3.client("ecr", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response(
        "describe_image_scan_findings",
        {
            "repositoryName": "team/app",
            "imageId": {"imageDigest": "sha256:" + "c" * 64, "imageTag": "v1"},
            "imageScanStatus": {"status": "COMPLETE", "description": "done"},
            "imageScanFindings": {
                "imageScanCompletedAt": datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
                "findingSeverityCounts": {"CRITICAL": 1, "HIGH": 1},
                "findings": [
                    finding(
                        "CVE-2024-0001", "CRITICAL", "libssl3-with-a-long-name", "3.0.11-1~deb12u2"
                    ),
                    finding("CVE-2024-0002", "HIGH", "zlib1g", "1:1.2.13.dfsg-1"),
                ],
            },
        },
        {"repositoryName": "team/app", "imageId": {"imageTag": "v1"}, "maxResults": 1000},
    )
    stubber.activate()
    monkeypatch.setattr("ecrctl.session.Clients.ecr", lambda self, region=None: client)


@pytest.mark.parametrize("width", [80, 200])
def test_scan_rows_stay_one_line(cli: Any, width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    stubbed_scan(monkeypatch)
    result = cli("-o", "table", "scan", "team/app", "v1", env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.stderr
    rows = body(table_lines(result.stdout, width))
    assert len(rows) == 2
    assert rows[0].startswith("CVE-2024-0001 ") and rows[1].startswith("CVE-2024-0002 ")
    assert all(row.rstrip().endswith("open") for row in rows)
    link_shown = "https://" in result.stdout
    assert link_shown is (width == 200)


@pytest.mark.parametrize("width", [80, 200])
def test_events_status_rows_stay_one_line(cli: Any, width: int) -> None:
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.client("events", region_name="us-east-1")
        setup = cli(
            "events", "setup", "--webhook-url", URL, "--username", "bot", "--password-stdin",
            "--repository", "team/a-service-with-a-long-name", input="pw\n",
        )  # fmt: skip
        assert setup.exit_code == 0, setup.stderr
        result = cli("-o", "table", "events", "status", env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.stderr
    rows = body(table_lines(result.stdout, width))
    assert [row.split()[0] for row in rows] == [
        "connection",
        "api-destination",
        "role",
        "rule",
        "target",
    ]
    if width == 200:
        assert URL in result.stdout


def test_events_status_text_carries_the_webhook_url(cli: Any) -> None:
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.client("events", region_name="us-east-1")
        setup = cli(
            "events", "setup", "--webhook-url", URL, "--username", "bot", "--password-stdin",
            input="pw\n",
        )  # fmt: skip
        assert setup.exit_code == 0, setup.stderr
        result = cli("-o", "text", "events", "status")
    assert result.exit_code == 0, result.stderr
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert {len(fields) for fields in lines} == {5}
    destination = next(fields for fields in lines if fields[0] == "api-destination")
    assert destination[4] == URL
    assert all(fields[4] == "-" for fields in lines if fields[0] != "api-destination")


@pytest.mark.parametrize("width", [80, 200])
def test_images_show_each_index_platforms_within_the_width(cli: Any, ecr: Any, width: int) -> None:
    from ecrctl.core.names import DOCKER_LIST
    from ecrctl.sandbox.images import synthetic_index

    ecr.create_repository(repositoryName="team/multi-arch-service")
    amd, arm = synthetic_manifest("amd"), synthetic_manifest("arm")
    for child in (amd, arm):
        put_synthetic(ecr, "team/multi-arch-service", child)
    index = synthetic_index([(amd, "linux/amd64"), (arm, "linux/arm64")], media_type=DOCKER_LIST)
    put_synthetic(ecr, "team/multi-arch-service", index, f"{LONG_TAG}-multi")
    result = cli("-o", "table", "images", "team/multi-arch-service", env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.stderr
    rows = body(table_lines(result.stdout, width))
    row = next(r for r in rows if r.startswith(index.digest.split(":")[1][:12]))
    if width == 80:
        assert "docker-list" in row and "amd64,arm64" in row and "…" not in row.split()[-1]
    else:
        assert "docker-manifest-list" in row and "linux/amd64,linux/arm64" in row
    assert "docker-ma…" not in result.stdout
    as_json = cli("-o", "json", "images", "team/multi-arch-service")
    platforms = {i["digest"]: i["platforms"] for i in json.loads(as_json.stdout)}
    assert platforms[index.digest] == ["linux/amd64", "linux/arm64"]
    assert platforms[amd.digest] == []
    text = cli("-o", "text", "images", "team/multi-arch-service")
    line = next(x for x in text.stdout.splitlines() if x.startswith(index.digest))
    assert line.split("\t")[-1] == "linux/amd64,linux/arm64"
