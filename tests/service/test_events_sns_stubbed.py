"""The e-mail subscription's pending state, which moto never shows (it confirms at once).

SNS answers with AWS's documented shapes through Stubber; events and IAM are moto's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from ecrctl.core.events.model import Names, SetupSpec
from ecrctl.core.events.setup import EventsSetup
from ecrctl.core.events.status import EventsInspector

ARN = "arn:aws:sns:us-east-1:123456789012:ops"


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield {k: boto3.client(k, region_name="us-east-1") for k in ("events", "iam", "sns", "sts")}


def test_events_sns_status_says_the_subscription_awaits_confirmation(
    aws: dict[str, Any],
) -> None:
    import boto3

    EventsSetup(aws["events"], aws["iam"], sns=aws["sns"], sts=aws["sts"]).apply(
        SetupSpec(names=Names.of("ops"), email="ops@example.com")
    )
    rule_arn = aws["events"].describe_rule(Name="ops")["Arn"]
    statement = {
        "Sid": "ecrctl-events-ops",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": ARN,
        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
    }
    sns = boto3.client("sns", region_name="us-east-1")
    with Stubber(sns) as stub:
        stub.add_response(
            "get_topic_attributes",
            {
                "Attributes": {
                    "TopicArn": ARN,
                    "Policy": json.dumps({"Version": "2008-10-17", "Statement": [statement]}),
                    "SubscriptionsPending": "1",
                    "SubscriptionsConfirmed": "0",
                }
            },
            {"TopicArn": ARN},
        )
        stub.add_response(
            "list_tags_for_resource",
            {
                "Tags": [
                    {"Key": "managed-by", "Value": "ecrctl"},
                    {"Key": "ecrctl:name", "Value": "ops"},
                ]
            },
            {"ResourceArn": ARN},
        )
        stub.add_response(
            "list_subscriptions_by_topic",
            {
                "Subscriptions": [
                    {
                        "SubscriptionArn": "PendingConfirmation",
                        "Owner": "123456789012",
                        "Protocol": "email",
                        "Endpoint": "ops@example.com",
                        "TopicArn": ARN,
                    }
                ]
            },
            {"TopicArn": ARN},
        )
        status = EventsInspector(aws["events"], aws["iam"], sns, aws["sts"]).status(Names.of("ops"))
        stub.assert_no_pending_responses()
    subscription = status.piece("subscription")
    assert subscription.state == "PENDING_CONFIRMATION" and subscription.arn is None
    assert status.notes == [
        "subscription ops@example.com: pending confirmation: nothing is delivered until the "
        "link SNS e-mailed to ops@example.com is followed"
    ]
    assert status.healthy  # setup cannot confirm it: a note, not something to repair
    assert status.piece("topic").detail["subscriptionsPending"] == 1
