"""events setup where moto cannot go: a connection that never authorizes, failures half way."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from ecrctl.core.events.model import Names, SetupSpec
from ecrctl.core.events.setup import EventsSetup, SetupIncomplete
from tests.fakeclock import FakeClock

ACCOUNT = "123456789012"
CONN_ARN = f"arn:aws:events:us-east-1:{ACCOUNT}:connection/ecrctl-webhook/1111"
DEST_ARN = f"arn:aws:events:us-east-1:{ACCOUNT}:api-destination/ecrctl-webhook/2222"
SPEC = SetupSpec(names=Names.of(None), webhook_url="https://hooks.example.com/x", username="bot")


@pytest.fixture
def stubbed() -> Iterator[tuple[Stubber, Stubber, Any, Any]]:
    events = boto3.client("events", region_name="us-east-1")
    iam = boto3.client("iam", region_name="us-east-1")
    with Stubber(events) as ev, Stubber(iam) as im:
        yield ev, im, events, iam
        ev.assert_no_pending_responses()
        im.assert_no_pending_responses()


def nothing_exists(ev: Stubber, im: Stubber) -> None:
    ev.add_client_error("describe_connection", "ResourceNotFoundException", http_status_code=400)
    ev.add_client_error(
        "describe_api_destination", "ResourceNotFoundException", http_status_code=400
    )
    im.add_client_error("get_role", "NoSuchEntity", http_status_code=404)
    ev.add_client_error("describe_rule", "ResourceNotFoundException", http_status_code=400)


def connection_created(ev: Stubber) -> None:
    ev.add_response(
        "create_connection",
        {"ConnectionArn": CONN_ARN, "ConnectionState": "CREATING"},
        {
            "Name": "ecrctl-webhook",
            "Description": ANY,
            "AuthorizationType": "BASIC",
            "AuthParameters": {"BasicAuthParameters": {"Username": "bot", "Password": "pw"}},
        },
    )


def test_events_setup_waits_for_authorizing_then_succeeds_to_authorized(
    stubbed: tuple[Stubber, Stubber, Any, Any],
) -> None:
    ev, im, events, iam = stubbed
    nothing_exists(ev, im)
    connection_created(ev)
    for state in ("CREATING", "AUTHORIZING", "AUTHORIZED"):
        ev.add_response("describe_connection", {"ConnectionState": state})
    # Then the destination fails: the report names the connection as existing.
    ev.add_client_error(
        "create_api_destination",
        "LimitExceededException",
        "too many destinations",
        http_status_code=400,
    )
    clock = FakeClock()
    setup = EventsSetup(events, iam, sleep=clock.sleep, clock=clock, poll_interval=2.0)
    with pytest.raises(SetupIncomplete) as caught:
        setup.apply(SPEC, "pw")
    assert caught.value.step == "creating the API destination"
    assert caught.value.existing == ["connection ecrctl-webhook"]
    assert "LimitExceededException" in str(caught.value.cause)
    assert clock.sleeps == [0.5, 1.0]


def test_events_setup_gives_up_on_a_connection_that_stays_authorizing(
    stubbed: tuple[Stubber, Stubber, Any, Any],
) -> None:
    ev, im, events, iam = stubbed
    nothing_exists(ev, im)
    connection_created(ev)
    clock = FakeClock()
    # 0.5 + 1 + 2 + 2 + ... until 10 s have passed: a bounded number of polls.
    polls = 0
    elapsed, interval = 0.0, 0.5
    while True:
        polls += 1
        if elapsed >= 10:
            break
        elapsed += interval
        interval = min(interval * 2, 2.0)
    for _ in range(polls):
        ev.add_response("describe_connection", {"ConnectionState": "AUTHORIZING"})
    setup = EventsSetup(events, iam, sleep=clock.sleep, clock=clock, wait_timeout=10)
    with pytest.raises(SetupIncomplete) as caught:
        setup.apply(SPEC, "pw")
    error = caught.value
    assert error.step == "waiting for the connection to be authorized"
    assert "still AUTHORIZING after 10 s" in str(error.cause)
    assert error.existing == ["connection ecrctl-webhook"]
    assert clock.now >= 10 and max(clock.sleeps) == 2.0


def test_events_setup_stops_on_deauthorized(stubbed: tuple[Stubber, Stubber, Any, Any]) -> None:
    ev, im, events, iam = stubbed
    nothing_exists(ev, im)
    connection_created(ev)
    ev.add_response(
        "describe_connection", {"ConnectionState": "DEAUTHORIZED", "StateReason": "bad credentials"}
    )
    setup = EventsSetup(events, iam, sleep=lambda _s: None)
    with pytest.raises(SetupIncomplete, match=r"DEAUTHORIZED \(bad credentials\)"):
        setup.apply(SPEC, "pw")


def test_events_setup_role_denied_half_way_reports_what_exists(
    stubbed: tuple[Stubber, Stubber, Any, Any],
) -> None:
    ev, im, events, iam = stubbed
    nothing_exists(ev, im)
    connection_created(ev)
    ev.add_response("describe_connection", {"ConnectionState": "AUTHORIZED"})
    ev.add_response("create_api_destination", {"ApiDestinationArn": DEST_ARN})
    im.add_client_error(
        "create_role",
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: iam:CreateRole",
        http_status_code=403,
    )
    setup = EventsSetup(events, iam, sleep=lambda _s: None)
    with pytest.raises(SetupIncomplete) as caught:
        setup.apply(SPEC, "pw")
    error = caught.value
    assert error.step == "creating the IAM role"
    assert error.existing == ["connection ecrctl-webhook", "api-destination ecrctl-webhook"]
    from ecrctl.cli.errors import ExitStatus, classify

    failure = classify(error.cause)
    assert failure.status == ExitStatus.CONFIG
    assert "iam:CreateRole" in failure.message


def test_events_setup_refused_target_is_reported(
    stubbed: tuple[Stubber, Stubber, Any, Any],
) -> None:
    ev, im, events, iam = stubbed
    nothing_exists(ev, im)
    connection_created(ev)
    ev.add_response("describe_connection", {"ConnectionState": "AUTHORIZED"})
    ev.add_response("create_api_destination", {"ApiDestinationArn": DEST_ARN})
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/ecrctl-webhook-events-invoke"
    im.add_response(
        "create_role",
        {
            "Role": {
                "Path": "/",
                "RoleName": "ecrctl-webhook-events-invoke",
                "RoleId": "AROAEXAMPLEEXAMPLE1",
                "Arn": role_arn,
                "CreateDate": "2026-01-01T00:00:00Z",
            }
        },
    )
    im.add_response("put_role_policy", {})
    ev.add_response("put_rule", {"RuleArn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/x"})
    ev.add_response("list_targets_by_rule", {})
    ev.add_response(
        "put_targets",
        {
            "FailedEntryCount": 1,
            "FailedEntries": [
                {
                    "TargetId": "ecrctl-webhook",
                    "ErrorCode": "ValidationException",
                    "ErrorMessage": "role cannot be assumed",
                }
            ],
        },
    )
    setup = EventsSetup(events, iam, sleep=lambda _s: None)
    with pytest.raises(SetupIncomplete) as caught:
        setup.apply(SPEC, "pw")
    assert caught.value.step == "adding the target"
    assert "role cannot be assumed" in str(caught.value)
    assert caught.value.existing[-1] == "rule ecrctl-webhook"
