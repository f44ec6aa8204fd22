"""ecrctl events through the CLI (in-process, moto): output, exit codes, secrets never shown."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

URL = "https://hooks.example.com/ecr"
SETUP = ("events", "setup", "--webhook-url", URL, "--username", "bot", "--password-stdin")


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield {
            "events": boto3.client("events", region_name="us-east-1"),
            "iam": boto3.client("iam", region_name="us-east-1"),
        }


def test_events_cli_setup_then_again_says_nothing_changed(cli: Any, aws: dict[str, Any]) -> None:
    first = cli("-o", "json", *SETUP, "--repository", "team/app", input="s3cret-pw\n")
    assert first.exit_code == 0, first.stderr
    doc = json.loads(first.stdout)
    assert doc["changed"] is True
    assert [r["action"] for r in doc["resources"]] == ["created"] * 5
    assert doc["repositories"] == ["team/app"]
    assert "s3cret-pw" not in first.stdout + first.stderr
    second = cli("-o", "text", *SETUP, "--repository", "team/app", input="s3cret-pw\n")
    assert second.exit_code == 0, second.stderr
    assert "nothing changed: events setup ecrctl-webhook is already as asked" in second.stderr
    assert [line.split("\t")[2] for line in second.stdout.splitlines()] == ["unchanged"] * 5


def test_events_cli_setup_password_from_env_and_missing(cli: Any, aws: dict[str, Any]) -> None:
    args = ("events", "setup", "--webhook-url", URL, "--username", "bot")
    missing = cli(*args)
    assert missing.exit_code == 2
    assert "no webhook password: pass --password-stdin" in missing.stderr
    assert aws["events"].list_connections()["Connections"] == []
    ok = cli(*args, env={"ECRCTL_WEBHOOK_PASSWORD": "from-env"})
    assert ok.exit_code == 0, ok.stderr
    assert "from-env" not in ok.stdout + ok.stderr


def test_events_cli_setup_rejects_bad_input_before_any_call(cli: Any, aws: dict[str, Any]) -> None:
    bad_url = cli(
        "events",
        "setup",
        "--webhook-url",
        "http://x",
        "--username",
        "u",
        "--password-stdin",
        input="pw\n",
    )
    assert bad_url.exit_code == 2 and "https://" in bad_url.stderr
    bad_event = cli(*SETUP, "--event", "pull", input="pw\n")
    assert bad_event.exit_code == 2 and "invalid --event 'pull'" in bad_event.stderr
    assert aws["events"].list_connections()["Connections"] == []


def test_events_cli_debug_never_logs_the_password(cli: Any, aws: dict[str, Any]) -> None:
    done = cli("--debug", *SETUP, input="very-secret-pw\n")
    assert done.exit_code == 0, done.stderr
    assert "events.CreateConnection" in done.stderr
    assert "very-secret-pw" not in done.stderr + done.stdout
    changed = cli("--debug", *SETUP, input="another-secret\n")
    assert "events.UpdateConnection" in changed.stderr
    assert "another-secret" not in changed.stderr + changed.stdout


def test_events_cli_status_healthy_drifted_and_missing(cli: Any, aws: dict[str, Any]) -> None:
    none = cli("events", "status")
    assert none.exit_code == 3
    assert "no events setup named ecrctl-webhook" in none.stderr
    assert cli(*SETUP, "--event", "push", input="pw\n").exit_code == 0
    healthy = cli("-o", "json", "events", "status")
    assert healthy.exit_code == 0, healthy.stderr
    doc = json.loads(healthy.stdout)
    assert doc["healthy"] is True
    assert {r["kind"]: r["state"] for r in doc["resources"]}["connection"] == "AUTHORIZED"
    table = cli("-o", "table", "events", "status")
    assert "BASIC user=bot" in table.stdout and "push on every repository" in table.stdout
    aws["events"].delete_api_destination(Name="ecrctl-webhook")
    drifted = cli("-o", "text", "events", "status")
    assert drifted.exit_code == 1
    assert "api-destination\tecrctl-webhook\tmissing" in drifted.stdout
    assert "problem: api-destination ecrctl-webhook is missing" in drifted.stderr
    assert "has 2 problem(s)" in drifted.stderr  # the target now points at nothing known


def test_events_cli_teardown_dry_run_confirm_and_yes(cli: Any, aws: dict[str, Any]) -> None:
    assert cli(*SETUP, input="pw\n").exit_code == 0
    dry = cli("-o", "text", "events", "teardown", "--dry-run")
    assert dry.exit_code == 0
    assert "dry run: nothing changed" in dry.stderr
    assert [line.split("\t")[0] for line in dry.stdout.splitlines()] == [
        "target",
        "rule",
        "api-destination",
        "connection",
        "role",
    ]
    no_tty = cli("events", "teardown")
    assert no_tty.exit_code == 2 and "pass --yes" in no_tty.stderr
    assert len(aws["events"].list_rules()["Rules"]) == 1
    gone = cli("-o", "json", "events", "teardown", "--yes")
    assert gone.exit_code == 0, gone.stderr
    assert json.loads(gone.stdout)["removed"] is True
    assert aws["events"].list_rules()["Rules"] == []
    assert aws["iam"].list_roles()["Roles"] == []
    again = cli("events", "teardown", "--yes")
    assert again.exit_code == 3


def test_events_cli_sample_is_aws_shaped(cli: Any) -> None:
    done = cli("-o", "json", "events", "sample", "scan", "--repository", "team/app")
    assert done.exit_code == 0
    event = json.loads(done.stdout)
    assert event["detail-type"] == "ECR Image Scan" and event["source"] == "aws.ecr"
    assert event["detail"]["repository-name"] == "team/app"
    text = cli("-o", "text", "events", "sample", "push")
    assert json.loads(text.stdout)["detail"]["action-type"] == "PUSH"
    bad = cli("events", "sample", "pull")
    assert bad.exit_code == 2 and "use push, push-failed, delete" in bad.stderr


def test_events_cli_template_formats(cli: Any) -> None:
    import yaml

    as_yaml = cli("-o", "text", "events", "template")
    assert as_yaml.exit_code == 0
    as_json = cli("-o", "text", "events", "template", "--format", "json")
    assert yaml.safe_load(as_yaml.stdout) == json.loads(as_json.stdout)
    narrowed = json.loads(
        cli(
            "events", "template", "--format", "json", "--event", "scan", "--repository", "team/app"
        ).stdout
    )
    assert narrowed["Resources"]["EcrEventsRule"]["Properties"]["EventPattern"] == {
        "source": ["aws.ecr"],
        "detail-type": ["ECR Image Scan"],
        "detail": {"repository-name": ["team/app"]},
    }
    assert cli("events", "template", "--format", "toml").exit_code == 2


def test_events_cli_half_way_failure_reports_and_teardown_cleans(
    cli: Any, aws: dict[str, Any]
) -> None:
    """The rule cannot be put on a bus that does not exist: the pieces before it are named."""
    failed = cli(*SETUP, "--event-bus", "no-such-bus", input="pw\n")
    assert failed.exit_code == 3, failed.stderr
    assert "events setup ecrctl-webhook stopped while creating the rule" in failed.stderr
    assert (
        "exists now: connection ecrctl-webhook, api-destination ecrctl-webhook, "
        "role ecrctl-webhook-events-invoke" in failed.stderr
    )
    assert "ecrctl events teardown --name ecrctl-webhook --event-bus no-such-bus" in failed.stderr
    assert "Traceback" not in failed.stderr
    status = cli("-o", "text", "events", "status")
    assert status.exit_code == 1
    assert "rule\tecrctl-webhook\tmissing" in status.stdout
    gone = cli("-o", "text", "events", "teardown", "--yes")
    assert gone.exit_code == 0, gone.stderr
    assert [line.split("\t")[0] for line in gone.stdout.splitlines()] == [
        "api-destination",
        "connection",
        "role",
    ]
    assert aws["events"].list_connections()["Connections"] == []
    assert aws["events"].list_api_destinations()["ApiDestinations"] == []
    assert aws["iam"].list_roles()["Roles"] == []
