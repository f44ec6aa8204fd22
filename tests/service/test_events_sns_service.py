"""events setup to SNS (--email, --sns-topic), status, teardown and pause, against moto.

moto is faithful for topics, tags, topic policies and rules; it confirms e-mail subscriptions
at once, so the pending state is tested with Stubber (test_events_sns_stubbed.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ecrctl.core.events.model import Names, SetupSpec
from ecrctl.core.events.pause import RulePause
from ecrctl.core.events.setup import EventsSetup
from ecrctl.core.events.status import EventsInspector
from ecrctl.core.exceptions import InvalidInput, NotFound, Refused

REGION = "us-east-1"
TOPIC = "arn:aws:sns:us-east-1:123456789012:team-alerts"


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield {k: boto3.client(k, region_name=REGION) for k in ("events", "iam", "sns", "sts")}


def runner(aws: dict[str, Any]) -> EventsSetup:
    return EventsSetup(
        aws["events"], aws["iam"], sns=aws["sns"], sts=aws["sts"], sleep=lambda _s: None
    )


def inspector(aws: dict[str, Any]) -> EventsInspector:
    return EventsInspector(aws["events"], aws["iam"], aws["sns"], aws["sts"])


def policy(aws: dict[str, Any], arn: str) -> dict[str, Any]:
    attributes = aws["sns"].get_topic_attributes(TopicArn=arn)["Attributes"]
    return dict(json.loads(attributes["Policy"]))


def test_events_sns_email_setup_makes_topic_subscription_policy_rule(aws: dict[str, Any]) -> None:
    spec = SetupSpec(names=Names.of("ops"), email="ops@example.com", kinds=("all",))
    result = runner(aws).apply(spec)
    assert [(c.kind, c.action) for c in result.changes] == [
        ("topic", "created"),
        ("subscription", "created"),
        ("rule", "created"),
        ("topic-policy", "created"),
        ("target", "created"),
    ]
    arn = result.topic_arn
    assert arn == "arn:aws:sns:us-east-1:123456789012:ops"
    subs = aws["sns"].list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("email", "ops@example.com")]
    rule = aws["events"].describe_rule(Name="ops")
    assert json.loads(rule["EventPattern"]) == {"source": ["aws.ecr"]}
    ours = next(s for s in policy(aws, arn)["Statement"] if s.get("Sid") == "ecrctl-events-ops")
    assert ours["Principal"] == {"Service": "events.amazonaws.com"}
    assert ours["Action"] == "sns:Publish" and ours["Resource"] == arn
    assert ours["Condition"] == {"ArnEquals": {"aws:SourceArn": rule["Arn"]}}
    targets = aws["events"].list_targets_by_rule(Rule="ops")["Targets"]
    assert [(t["Id"], t["Arn"]) for t in targets] == [("ecrctl-sns", arn)]
    again = runner(aws).apply(spec)
    assert not again.changed
    assert len(aws["sns"].list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]) == 1
    status = inspector(aws).status(Names.of("ops"))
    assert status.healthy and status.target == "sns", status.problems
    assert [p.kind for p in status.pieces] == ["topic", "subscription", "rule", "target"]
    # Teardown removes the topic it made (and so its subscription) and the rule.
    removed = inspector(aws).teardown(inspector(aws).plan_teardown(Names.of("ops")))
    assert [p.kind for p in removed] == ["target", "rule", "subscription", "topic"]
    assert aws["sns"].list_topics()["Topics"] == []
    assert aws["events"].list_rules()["Rules"] == []


def test_events_sns_given_topic_is_kept_and_only_our_statement_leaves(aws: dict[str, Any]) -> None:
    arn = aws["sns"].create_topic(Name="team-alerts")["TopicArn"]
    before = policy(aws, arn)["Statement"]
    spec = SetupSpec(
        names=Names.of("alerts"), sns_topic=arn, kinds=("push-failed",), description="failures"
    )
    result = runner(aws).apply(spec)
    assert [c.kind for c in result.changes] == ["rule", "topic-policy", "target"]
    statements = policy(aws, arn)["Statement"]
    assert statements[: len(before)] == before and len(statements) == len(before) + 1
    assert aws["events"].describe_rule(Name="alerts")["Description"] == "failures"
    assert not runner(aws).apply(spec).changed
    # A changed description is an update in place.
    updated = runner(aws).apply(SetupSpec(**{**spec.__dict__, "description": "push failures"}))
    assert {c.kind: c.action for c in updated.changes}["rule"] == "updated"
    removed = inspector(aws).teardown(inspector(aws).plan_teardown(Names.of("alerts")))
    assert [p.kind for p in removed] == ["target", "rule", "topic-policy"]
    assert [t["TopicArn"] for t in aws["sns"].list_topics()["Topics"]] == [arn]
    assert policy(aws, arn)["Statement"] == before


def test_events_sns_refusals_change_nothing(aws: dict[str, Any]) -> None:
    with pytest.raises(NotFound, match="no SNS topic"):
        runner(aws).apply(SetupSpec(names=Names.of("x"), sns_topic=TOPIC))
    aws["sns"].create_topic(Name="taken")  # someone else's topic, with the name --email wants
    with pytest.raises(Refused, match="not managed by ecrctl, so left alone: SNS topic taken"):
        runner(aws).apply(SetupSpec(names=Names.of("taken"), email="a@example.com"))
    assert aws["events"].list_rules()["Rules"] == []
    runner(aws).apply(
        SetupSpec(names=Names.of("hook"), webhook_url="https://h.example.com/", username="u"),
        "pw",
    )
    with pytest.raises(Refused, match="sends to a webhook"):
        runner(aws).apply(SetupSpec(names=Names.of("hook"), email="a@example.com"))
    assert len(aws["sns"].list_topics()["Topics"]) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "a@example.com", "sns_topic": TOPIC}, "say where the events go"),
        ({}, "say where the events go"),
        ({"sns_topic": "team-alerts"}, "invalid --sns-topic"),
        ({"email": "not-an-address"}, "invalid --email"),
        ({"email": "a@example.com", "username": "u"}, "--username is for --webhook-url"),
        ({"email": "a@example.com", "description": "x" * 513}, "invalid --description"),
    ],
)
def test_events_sns_spec_is_checked_before_any_call(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        SetupSpec(names=Names.of(None), **fields)


def test_events_pause_disables_keeps_and_resumes(aws: dict[str, Any]) -> None:
    spec = SetupSpec(names=Names.of("ops"), email="ops@example.com")
    runner(aws).apply(spec)
    pause = RulePause(aws["events"], aws["iam"])
    change, bus = pause.plan(Names.of("ops"), None, enabled=False)
    assert (change.action, bus) == ("disabled", "default")
    pause.apply(change, bus, enabled=False)
    assert aws["events"].describe_rule(Name="ops")["State"] == "DISABLED"
    assert pause.plan(Names.of("ops"), None, enabled=False)[0].action == "unchanged"
    status = inspector(aws).status(Names.of("ops"))
    assert status.healthy, status.problems  # paused on purpose: a note, not a problem
    assert any("delivery paused" in note for note in status.notes)
    # setup run again keeps a paused rule paused (and everything else as it is).
    assert not runner(aws).apply(spec).changed
    assert aws["events"].describe_rule(Name="ops")["State"] == "DISABLED"
    change, bus = pause.plan(Names.of("ops"), None, enabled=True)
    pause.apply(change, bus, enabled=True)
    assert aws["events"].describe_rule(Name="ops")["State"] == "ENABLED"
    assert inspector(aws).status(Names.of("ops")).notes == []
    with pytest.raises(NotFound):
        pause.plan(Names.of("nope"), None, enabled=False)
    aws["events"].put_rule(Name="theirs", EventPattern='{"source":["aws.ecr"]}')
    with pytest.raises(Refused, match="not managed by ecrctl"):
        pause.plan(Names.of("theirs"), None, enabled=False)


def test_events_sns_half_removed_setup_is_found_and_finished(aws: dict[str, Any]) -> None:
    """A rule removed by hand leaves the topic --email made: status and teardown still find it."""
    runner(aws).apply(SetupSpec(names=Names.of("ops"), email="ops@example.com"))
    aws["events"].remove_targets(Rule="ops", Ids=["ecrctl-sns"])
    aws["events"].delete_rule(Name="ops")
    status = inspector(aws).status(Names.of("ops"))
    assert status.target == "sns" and not status.healthy
    assert "rule ops is missing" in status.problems
    removed = inspector(aws).teardown(inspector(aws).plan_teardown(Names.of("ops")))
    assert [p.kind for p in removed] == ["topic"]
    assert aws["sns"].list_topics()["Topics"] == []
    with pytest.raises(NotFound):
        inspector(aws).plan_teardown(Names.of("ops"))
