"""events setup / status / teardown against moto in-process: idempotency, updates, ownership."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ecrctl.core.events.model import PASSWORD_TAG, Names, SetupSpec, fingerprint_matches
from ecrctl.core.events.samples import documented, sample
from ecrctl.core.events.setup import EventsSetup
from ecrctl.core.events.status import EventsInspector
from ecrctl.core.exceptions import InvalidInput, NotFound, Refused

REGION = "us-east-1"
URL = "https://hooks.example.com/ecr"


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield {
            "events": boto3.client("events", region_name=REGION),
            "iam": boto3.client("iam", region_name=REGION),
            "sqs": boto3.client("sqs", region_name=REGION),
        }


def spec(**changes: Any) -> SetupSpec:
    fields: dict[str, Any] = {"names": Names.of(None), "webhook_url": URL, "username": "bot"}
    fields.update(changes)
    return SetupSpec(**fields)


def setup(aws: dict[str, Any]) -> EventsSetup:
    return EventsSetup(aws["events"], aws["iam"], sleep=lambda _s: None)


def snapshot(aws: dict[str, Any], name: str = "ecrctl-webhook") -> dict[str, Any]:
    events, iam = aws["events"], aws["iam"]
    connection = events.describe_connection(Name=name)
    destination = events.describe_api_destination(Name=name)
    rule = events.describe_rule(Name=name)
    return {
        "connections": [c["Name"] for c in events.list_connections()["Connections"]],
        "destinations": [d["Name"] for d in events.list_api_destinations()["ApiDestinations"]],
        "rules": [r["Name"] for r in events.list_rules()["Rules"]],
        "roles": [r["RoleName"] for r in iam.list_roles()["Roles"]],
        "connectionArn": connection["ConnectionArn"],
        "username": connection["AuthParameters"]["BasicAuthParameters"]["Username"],
        "destination": {
            k: destination[k]
            for k in ("ApiDestinationArn", "ConnectionArn", "InvocationEndpoint", "HttpMethod")
        },
        "pattern": json.loads(rule["EventPattern"]),
        "targets": events.list_targets_by_rule(Rule=name)["Targets"],
        "policy": iam.get_role_policy(
            RoleName=f"{name}-events-invoke", PolicyName="invoke-api-destination"
        )["PolicyDocument"],
    }


def test_events_setup_creates_every_piece_wired_together(aws: dict[str, Any]) -> None:
    result = setup(aws).apply(spec(), "s3cret")
    assert [(c.kind, c.action) for c in result.changes] == [
        ("connection", "created"),
        ("api-destination", "created"),
        ("role", "created"),
        ("rule", "created"),
        ("target", "created"),
    ]
    assert result.changed and result.connection_state == "AUTHORIZED"
    state = snapshot(aws)
    assert state["connections"] == ["ecrctl-webhook"]
    assert state["destination"]["ConnectionArn"] == state["connectionArn"]
    assert state["destination"]["InvocationEndpoint"] == URL
    assert state["destination"]["HttpMethod"] == "POST"
    role = aws["iam"].get_role(RoleName="ecrctl-webhook-events-invoke")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"}
    }
    assert state["policy"]["Statement"] == [
        {
            "Sid": "InvokeTheWebhook",
            "Effect": "Allow",
            "Action": "events:InvokeApiDestination",
            "Resource": state["destination"]["ApiDestinationArn"],
        }
    ]
    assert state["targets"] == [
        {
            "Id": "ecrctl-webhook",
            "Arn": state["destination"]["ApiDestinationArn"],
            "RoleArn": role["Arn"],
        }
    ]
    assert state["pattern"]["source"] == ["aws.ecr"]
    rule_arn = aws["events"].describe_rule(Name="ecrctl-webhook")["Arn"]
    tags = {
        t["Key"]: t["Value"]
        for t in aws["events"].list_tags_for_resource(ResourceARN=rule_arn)["Tags"]
    }
    assert tags["managed-by"] == "ecrctl"
    assert "s3cret" not in tags[PASSWORD_TAG]
    assert fingerprint_matches("s3cret", tags[PASSWORD_TAG])
    role_tags = {
        t["Key"]: t["Value"]
        for t in aws["iam"].list_role_tags(RoleName="ecrctl-webhook-events-invoke")["Tags"]
    }
    assert role_tags["managed-by"] == "ecrctl"


def test_events_setup_twice_changes_nothing(aws: dict[str, Any]) -> None:
    setup(aws).apply(spec(repositories=("team/app",)), "s3cret")
    before = snapshot(aws)
    calls: list[str] = []
    for client in (aws["events"], aws["iam"]):
        client.meta.events.register("before-call.*.*", lambda model, **_: calls.append(model.name))
    again = setup(aws).apply(spec(repositories=("team/app",)), "s3cret")
    assert not again.changed
    assert {c.action for c in again.changes} == {"unchanged"}
    assert snapshot(aws) == before
    writes = [c for c in calls if not c.startswith(("Describe", "List", "Get"))]
    assert writes == []


def test_events_setup_updates_in_place(aws: dict[str, Any]) -> None:
    setup(aws).apply(spec(), "s3cret")
    before = snapshot(aws)
    changed = setup(aws).apply(
        spec(
            webhook_url="https://hooks.example.com/v2",
            username="bot2",
            kinds=("scan",),
            rate_limit=10,
        ),
        "n3w",
    )
    actions = {c.kind: (c.action, c.detail) for c in changed.changes}
    assert actions["connection"] == ("updated", "username, password")
    assert actions["api-destination"] == ("updated", "URL, rate limit")
    assert actions["rule"] == ("updated", "pattern")
    assert actions["role"][0] == "unchanged"
    assert actions["target"][0] == "unchanged"
    after = snapshot(aws)
    assert after["connections"] == before["connections"]  # updated, not created again
    assert after["connectionArn"] == before["connectionArn"]
    assert after["destination"]["ApiDestinationArn"] == before["destination"]["ApiDestinationArn"]
    assert after["destination"]["InvocationEndpoint"] == "https://hooks.example.com/v2"
    assert after["username"] == "bot2"
    assert after["pattern"] == {"source": ["aws.ecr"], "detail-type": ["ECR Image Scan"]}


def test_events_setup_password_change_is_detected_by_fingerprint(aws: dict[str, Any]) -> None:
    setup(aws).apply(spec(), "first")
    sent: list[dict[str, Any]] = []
    aws["events"].meta.events.register(
        "provide-client-params.events.UpdateConnection", lambda params, **_: sent.append(params)
    )
    changed = setup(aws).apply(spec(), "second")
    connection = next(c for c in changed.changes if c.kind == "connection")
    assert (connection.action, connection.detail) == ("updated", "password")
    assert sent[0]["AuthParameters"]["BasicAuthParameters"] == {
        "Username": "bot",
        "Password": "second",
    }
    assert not setup(aws).apply(spec(), "second").changed
    assert setup(aws).apply(spec(), "first").changed


def test_events_setup_refuses_foreign_resources_before_changing_anything(
    aws: dict[str, Any],
) -> None:
    aws["events"].put_rule(Name="ecrctl-webhook", EventPattern='{"source":["aws.s3"]}')
    with pytest.raises(Refused, match=r"not managed by ecrctl.*rule ecrctl-webhook"):
        setup(aws).apply(spec(), "s3cret")
    assert aws["events"].list_connections()["Connections"] == []
    assert aws["iam"].list_roles()["Roles"] == []


def test_events_setup_validates_before_any_call() -> None:
    with pytest.raises(InvalidInput, match="https://"):
        spec(webhook_url="http://hooks.example.com")
    with pytest.raises(InvalidInput, match="rate-limit"):
        spec(rate_limit=301)
    with pytest.raises(InvalidInput, match="--name"):
        Names.of("bad name")
    with pytest.raises(InvalidInput):
        spec(repositories=("Team/App",))


def test_events_status_reports_pieces_and_drift(aws: dict[str, Any]) -> None:
    inspector = EventsInspector(aws["events"], aws["iam"])
    setup(aws).apply(spec(kinds=("push",), repositories=("team/app",)), "s3cret")
    status = inspector.status(Names.of(None))
    assert status.healthy, status.problems
    doc = status.to_json()
    by_kind = {r["kind"]: r for r in doc["resources"]}
    assert by_kind["connection"]["state"] == "AUTHORIZED"
    assert by_kind["connection"]["detail"] == {"authorizationType": "BASIC", "username": "bot"}
    assert "s3cret" not in json.dumps(doc)
    assert by_kind["rule"]["detail"]["events"] == ["push"]
    assert by_kind["rule"]["detail"]["repositories"] == ["team/app"]
    assert by_kind["api-destination"]["detail"]["url"] == URL
    # Drift: the rule disabled and its pattern edited by hand, the target removed.
    aws["events"].put_rule(
        Name="ecrctl-webhook",
        EventPattern='{"source":["aws.ecr"],"detail-type":["ECR Image Action"]}',
        State="DISABLED",
    )
    aws["events"].remove_targets(Rule="ecrctl-webhook", Ids=["ecrctl-webhook"])
    drifted = inspector.status(Names.of(None))
    assert not drifted.healthy
    assert "rule ecrctl-webhook: state is DISABLED" in drifted.problems
    assert any("pattern is not one ecrctl builds" in p for p in drifted.problems)
    assert "target ecrctl-webhook is missing" in drifted.problems
    # setup repairs it in place.
    repaired = setup(aws).apply(spec(kinds=("push",), repositories=("team/app",)), "s3cret")
    assert {c.kind: c.action for c in repaired.changes}["target"] == "created"
    assert inspector.status(Names.of(None)).healthy


def test_events_teardown_removes_everything(aws: dict[str, Any]) -> None:
    inspector = EventsInspector(aws["events"], aws["iam"])
    setup(aws).apply(spec(), "s3cret")
    plan = inspector.plan_teardown(Names.of(None))
    removed = inspector.teardown(plan)
    assert [p.kind for p in removed] == ["target", "rule", "api-destination", "connection", "role"]
    assert aws["events"].list_rules()["Rules"] == []
    assert aws["events"].list_connections()["Connections"] == []
    assert aws["events"].list_api_destinations()["ApiDestinations"] == []
    assert aws["iam"].list_roles()["Roles"] == []
    with pytest.raises(NotFound, match="no events setup named ecrctl-webhook"):
        inspector.plan_teardown(Names.of(None))


def test_events_teardown_refuses_foreign_pieces(aws: dict[str, Any]) -> None:
    aws["events"].put_rule(Name="mine", EventPattern='{"source":["aws.ecr"]}')
    inspector = EventsInspector(aws["events"], aws["iam"])
    with pytest.raises(Refused, match="rule mine"):
        inspector.plan_teardown(Names.of("mine"))
    assert [r["Name"] for r in aws["events"].list_rules()["Rules"]] == ["mine"]


def test_events_setup_on_a_custom_bus_and_status_finds_it(aws: dict[str, Any]) -> None:
    aws["events"].create_event_bus(Name="ecr-bus")
    setup(aws).apply(spec(event_bus="ecr-bus"), "s3cret")
    status = EventsInspector(aws["events"], aws["iam"]).status(Names.of(None))
    assert status.event_bus == "ecr-bus" and status.healthy, status.problems
    with pytest.raises(Refused, match="sends from event bus ecr-bus"):
        setup(aws).apply(spec(), "s3cret")
    inspector = EventsInspector(aws["events"], aws["iam"])
    inspector.teardown(inspector.plan_teardown(Names.of(None)))
    assert aws["events"].list_rules(EventBusName="ecr-bus")["Rules"] == []


def test_events_rule_pattern_routes_sample_events_in_moto(aws: dict[str, Any]) -> None:
    """The pattern ecrctl puts on the rule, evaluated by moto's own event routing to SQS."""
    events, sqs = aws["events"], aws["sqs"]
    setup(aws).apply(spec(kinds=("push", "scan"), repositories=("team/app",)), "s3cret")
    queue = sqs.create_queue(QueueName="seen")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_targets(Rule="ecrctl-webhook", Targets=[{"Id": "sqs", "Arn": queue_arn}])
    sent = {
        "push": sample("push", repository="team/app"),
        "scan": sample("scan", repository="team/app"),
        "delete": sample("delete", repository="team/app"),
        "push-elsewhere": sample("push", repository="team/other"),
        "push-failed": {**sample("push", repository="team/app")},
    }
    sent["push-failed"]["detail"] = {**sent["push-failed"]["detail"], "result": "FAILURE"}
    for event in sent.values():
        answer = events.put_events(
            Entries=[
                {
                    "Source": event["source"],
                    "DetailType": event["detail-type"],
                    "Detail": json.dumps(event["detail"]),
                    "Resources": event["resources"],
                }
            ]
        )
        assert answer["FailedEntryCount"] == 0
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    got = sorted(
        (
            json.loads(m["Body"])["detail-type"],
            json.loads(m["Body"])["detail"].get("action-type", "-"),
        )
        for m in received
    )
    assert got == [("ECR Image Action", "PUSH"), ("ECR Image Scan", "-")]


def test_events_documented_samples_match_the_default_pattern(aws: dict[str, Any]) -> None:
    from tests.event_pattern import matches

    pattern = spec().pattern
    assert all(matches(pattern, documented(k)) for k in ("push", "delete", "scan"))
