"""events setup to SNS, --event all, disable/enable through the CLI (in-process, moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield {k: boto3.client(k, region_name="us-east-1") for k in ("events", "sns")}


def test_events_cli_email_setup_all_events_then_again(cli: Any, aws: dict[str, Any]) -> None:
    args = ("events", "setup", "--email", "ops@example.com", "--event", "all", "--name", "ops")
    first = cli("-o", "json", *args, "--description", "every ECR event to ops")
    assert first.exit_code == 0, first.stderr
    doc = json.loads(first.stdout)
    assert doc["target"] == "sns" and doc["pattern"] == {"source": ["aws.ecr"]}
    assert doc["snsTopic"] == "arn:aws:sns:us-east-1:123456789012:ops"
    assert "SNS mailed a confirmation link" in first.stderr
    rule = aws["events"].describe_rule(Name="ops")
    assert rule["Description"] == "every ECR event to ops"
    again = cli("-o", "text", *args, "--description", "every ECR event to ops")
    assert again.exit_code == 0, again.stderr
    assert "nothing changed" in again.stderr
    status = cli("-o", "json", "events", "status", "--name", "ops")
    assert status.exit_code == 0, status.stderr
    assert [r["kind"] for r in json.loads(status.stdout)["resources"]] == [
        "topic",
        "subscription",
        "rule",
        "target",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--email", "a@example.com", "--sns-topic", "arn:aws:sns:us-east-1:123456789012:t"),
            "say where",
        ),
        (("--email", "a@example.com", "--event", "all,push"), "--event all already takes"),
        (("--email", "a@example.com", "--result", "maybe"), "invalid --result 'maybe'"),
        (("--email", "a@example.com", "--password-stdin"), "--password-stdin is for"),
        (("--sns-topic", "arn:aws:sns:us-east-1:123456789012:gone"), "no SNS topic"),
    ],
)
def test_events_cli_setup_bad_sns_input(
    cli: Any, aws: dict[str, Any], args: tuple[str, ...], message: str
) -> None:
    done = cli("events", "setup", *args)
    assert done.exit_code == (3 if "no SNS topic" in message else 2), done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert aws["events"].list_rules()["Rules"] == []
    assert aws["sns"].list_topics()["Topics"] == []


def test_events_cli_disable_asks_dry_runs_and_is_idempotent(cli: Any, aws: dict[str, Any]) -> None:
    assert cli("events", "setup", "--email", "ops@example.com", "--name", "ops").exit_code == 0
    unasked = cli("events", "disable", "ops")
    assert unasked.exit_code == 2 and "pass --yes" in unasked.stderr
    dry = cli("events", "disable", "ops", "--dry-run")
    assert dry.exit_code == 0 and "would disable" in dry.stdout
    assert aws["events"].describe_rule(Name="ops")["State"] == "ENABLED"
    done = cli("-o", "json", "events", "disable", "ops", "--yes")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["action"] == "disabled"
    assert aws["events"].describe_rule(Name="ops")["State"] == "DISABLED"
    again = cli("events", "disable", "ops", "--yes")
    assert again.exit_code == 0 and "nothing changed: rule ops is DISABLED" in again.stderr
    status = cli("events", "status", "--name", "ops")
    assert status.exit_code == 0 and "delivery paused" in status.stderr
    resumed = cli("events", "enable", "ops")
    assert resumed.exit_code == 0, resumed.stderr
    assert aws["events"].describe_rule(Name="ops")["State"] == "ENABLED"
    assert cli("events", "enable", "nope").exit_code == 3


def test_events_cli_sample_every_kind(cli: Any) -> None:
    for kind in ("replication", "pull-through", "referrer", "push-failed"):
        done = cli("-o", "json", "events", "sample", kind)
        assert done.exit_code == 0, done.stderr
        assert json.loads(done.stdout)["source"] == "aws.ecr"
    bad = cli("events", "sample", "pull")
    assert bad.exit_code == 2 and "invalid event kind 'pull'" in bad.stderr
