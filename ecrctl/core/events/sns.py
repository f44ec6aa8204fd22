"""SNS as the target of ``events setup``: the topic, its e-mail subscription, its policy.

A topic given with ``--sns-topic`` is never created or deleted: setup only adds one statement
to its policy (Sid ``ecrctl-events-NAME``) and teardown takes that statement out again. A topic
made for ``--email`` is tagged ``managed-by=ecrctl`` + ``ecrctl:name`` and removed by teardown,
subscriptions and all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Required, TypedDict, cast

from ecrctl.core.events.model import MANAGED_KEY, MANAGED_VALUE, NAME_TAG, Change, Names
from ecrctl.core.events.resources import is_missing, tags_dict
from ecrctl.core.exceptions import NotFound
from ecrctl.core.jsontypes import JsonObject, JsonValue

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import SubscriptionTypeDef
    from mypy_boto3_sts import STSClient

PENDING = "PendingConfirmation"


class Topic(TypedDict, total=False):
    """A topic's attributes (text, as SNS sends them; those read here named), with its tags
    as a dict and its policy decoded (None when it has none, or none that is JSON)."""

    TopicArn: str
    Policy: str
    SubscriptionsConfirmed: str
    SubscriptionsPending: str
    Tags: Required[dict[str, str]]
    PolicyDocument: Required[JsonObject | None]


def publish_statement(names: Names, topic_arn: str, rule_arn: str) -> JsonObject:
    """EventBridge may publish to the topic, for this one rule only (confused deputy)."""
    return {
        "Sid": names.statement,
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": topic_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
    }


def owned_by(tags: dict[str, str], names: Names) -> bool:
    """A topic ecrctl made for this setup (not one it was given, not another setup's)."""
    return tags.get(MANAGED_KEY) == MANAGED_VALUE and tags.get(NAME_TAG) == names.base


class TopicWiring:
    """Reads and changes the SNS side; ``sts`` answers which account a new topic lands in."""

    def __init__(self, sns: SNSClient, sts: STSClient | None = None) -> None:
        self.sns = sns
        self.sts = sts

    def arn_for(self, names: Names) -> str:
        if self.sts is None:  # pragma: no cover - callers that create topics pass sts
            raise RuntimeError("no sts client to name the topic with")
        me = self.sts.get_caller_identity()
        partition = str(me["Arn"]).split(":")[1]
        return f"arn:{partition}:sns:{self.sns.meta.region_name}:{me['Account']}:{names.topic}"

    def topic(self, arn: str) -> Topic | None:
        """The topic's attributes and tags (``Tags``, ``PolicyDocument``), or None if missing."""
        from botocore.exceptions import ClientError

        try:
            answer = self.sns.get_topic_attributes(TopicArn=arn)
            attributes = dict(answer["Attributes"])
        except ClientError as error:
            if is_missing(error) or _code(error) == "NotFound":
                return None
            raise
        tags = self.sns.list_tags_for_resource(ResourceArn=arn).get("Tags", [])
        policy = _policy(attributes.get("Policy"))
        return cast(Topic, {**attributes, "Tags": tags_dict(tags), "PolicyDocument": policy})

    def require(self, arn: str) -> Topic:
        found = self.topic(arn)
        if found is None:
            raise NotFound(f"no SNS topic {arn}: create it first, or use --email to have one made")
        return found

    # --- setup -------------------------------------------------------------------------------

    def ensure_topic(self, names: Names, arn: str, found: Topic | None) -> Change:
        if found is not None:
            return Change("topic", names.topic, "unchanged", arn)
        made = self.sns.create_topic(
            Name=names.topic,
            Tags=[
                {"Key": MANAGED_KEY, "Value": MANAGED_VALUE},
                {"Key": NAME_TAG, "Value": names.base},
            ],
        )
        return Change("topic", names.topic, "created", str(made["TopicArn"]))

    def subscriptions(self, arn: str) -> list[SubscriptionTypeDef]:
        pages = self.sns.get_paginator("list_subscriptions_by_topic")
        return [
            subscription
            for page in pages.paginate(TopicArn=arn)
            for subscription in page.get("Subscriptions", [])
        ]

    def email_subscription(self, arn: str, email: str) -> SubscriptionTypeDef | None:
        for sub in self.subscriptions(arn):
            if sub.get("Protocol") == "email" and str(sub.get("Endpoint")).lower() == email.lower():
                return sub
        return None

    def pending(self, subscription: SubscriptionTypeDef) -> bool:
        """Whether the address has yet to follow the link SNS mailed to it."""
        sub_arn = str(subscription.get("SubscriptionArn"))
        if sub_arn == PENDING or not sub_arn.startswith("arn:"):
            return True
        attributes = self.sns.get_subscription_attributes(SubscriptionArn=sub_arn)["Attributes"]
        return str(attributes.get("PendingConfirmation", "false")).lower() == "true"

    def ensure_subscription(self, arn: str, email: str) -> Change:
        current = self.email_subscription(arn, email)
        if current is not None:
            state = "pending confirmation" if self.pending(current) else "confirmed"
            return Change("subscription", email, "unchanged", None, state)
        made = self.sns.subscribe(
            TopicArn=arn, Protocol="email", Endpoint=email, ReturnSubscriptionArn=True
        )
        return Change(
            "subscription",
            email,
            "created",
            made.get("SubscriptionArn"),
            "pending confirmation: follow the link SNS e-mailed",
        )

    def ensure_policy(self, names: Names, arn: str, rule_arn: str, found: Topic) -> Change:
        document: JsonObject = found["PolicyDocument"] or {"Version": "2012-10-17", "Statement": []}
        wanted = publish_statement(names, arn, rule_arn)
        statements = _statements(document)
        current = next((s for s in statements if s.get("Sid") == names.statement), None)
        if current == wanted:
            return Change("topic-policy", names.statement, "unchanged", arn)
        kept = [s for s in statements if s.get("Sid") != names.statement]
        document = {**document, "Statement": [*kept, wanted]}
        self.sns.set_topic_attributes(
            TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(document)
        )
        action = "updated" if current is not None else "created"
        return Change(
            "topic-policy", names.statement, action, arn, "events.amazonaws.com may publish"
        )

    # --- teardown ----------------------------------------------------------------------------

    def remove_statement(self, names: Names, arn: str, found: Topic) -> bool:
        document = found["PolicyDocument"]
        if not document:
            return False
        statements = _statements(document)
        kept = [s for s in statements if s.get("Sid") != names.statement]
        if len(kept) == len(statements):
            return False
        self.sns.set_topic_attributes(
            TopicArn=arn,
            AttributeName="Policy",
            AttributeValue=json.dumps({**document, "Statement": kept}),
        )
        return True


def _code(error: object) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


def _policy(text: object) -> JsonObject | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _statements(document: Mapping[str, JsonValue]) -> list[Mapping[str, JsonValue]]:
    statements = document.get("Statement") or []
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        return []
    return [s for s in statements if isinstance(s, dict)]
