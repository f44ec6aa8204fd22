"""ecrctl events setup --email / disable / enable / teardown as a subprocess on the moto server."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

pytestmark = pytest.mark.e2e


def test_events_e2e_email_all_events_pause_and_teardown(run_ecrctl: Any, moto_server: str) -> None:
    events = boto3.client("events", region_name="us-east-1", endpoint_url=moto_server)
    sns = boto3.client("sns", region_name="us-east-1", endpoint_url=moto_server)
    setup = ("events", "setup", "--email", "ops@example.com", "--event", "all", "--name", "ops")
    first = run_ecrctl("-o", "json", *setup)
    assert first.exit_code == 0, first.stderr
    topic = json.loads(first.stdout)["snsTopic"]
    assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [topic]
    assert json.loads(events.describe_rule(Name="ops")["EventPattern"]) == {"source": ["aws.ecr"]}
    again = run_ecrctl(*setup)
    assert again.exit_code == 0 and "nothing changed" in again.stderr
    paused = run_ecrctl("events", "disable", "ops", "--yes")
    assert paused.exit_code == 0, paused.stderr
    assert events.describe_rule(Name="ops")["State"] == "DISABLED"
    status = run_ecrctl("-o", "json", "events", "status", "--name", "ops")
    assert status.exit_code == 0, status.stderr
    assert any("delivery paused" in n for n in json.loads(status.stdout)["notes"])
    assert run_ecrctl("events", "enable", "ops").exit_code == 0
    assert events.describe_rule(Name="ops")["State"] == "ENABLED"
    gone = run_ecrctl("events", "teardown", "--name", "ops", "--yes")
    assert gone.exit_code == 0, gone.stderr
    assert sns.list_topics()["Topics"] == [] and events.list_rules()["Rules"] == []


def test_events_e2e_given_topic_survives_teardown(run_ecrctl: Any, moto_server: str) -> None:
    sns = boto3.client("sns", region_name="us-east-1", endpoint_url=moto_server)
    arn = sns.create_topic(Name="team-alerts")["TopicArn"]
    done = run_ecrctl(
        "events", "setup", "--sns-topic", arn, "--event", "push", "--result", "any", "--name", "a"
    )
    assert done.exit_code == 0, done.stderr
    policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    assert any(s.get("Sid") == "ecrctl-events-a" for s in policy["Statement"])
    gone = run_ecrctl("events", "teardown", "--name", "a", "--yes")
    assert gone.exit_code == 0, gone.stderr
    assert "kept (it was given)" in gone.stderr
    assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [arn]
    policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    assert not any(s.get("Sid") == "ecrctl-events-a" for s in policy["Statement"])
