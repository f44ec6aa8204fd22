"""Finding the pieces of one events setup: describe calls where "missing" is an answer."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, TypedDict, TypeVar, cast

from ecrctl.core.events.model import MANAGED, MANAGED_KEY, MANAGED_VALUE, POLICY_NAME
from ecrctl.core.jsontypes import JsonObject, JsonValue

if TYPE_CHECKING:
    from datetime import datetime

    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_events.type_defs import (
        DescribeApiDestinationResponseTypeDef,
        DescribeConnectionResponseTypeDef,
        DescribeRuleResponseTypeDef,
        TargetOutputTypeDef,
    )
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sts import STSClient

    class Tag(TypedDict):
        """A tag as events, iam and sns all send it."""

        Key: str
        Value: str

    class FoundRule(DescribeRuleResponseTypeDef):
        """describe_rule's answer, with the rule's tags (a second call) as a dict."""

        Tags: dict[str, str]

    class FoundRole(TypedDict):
        """get_role's role, with its tags (a second call) as a dict and its trust policy
        decoded (IAM sends it URL-encoded)."""

        Path: str
        RoleName: str
        RoleId: str
        Arn: str
        CreateDate: datetime
        AssumeRolePolicyDocument: JsonValue
        Tags: dict[str, str]


_Answer = TypeVar("_Answer")

_MISSING_CODES = {"ResourceNotFoundException", "NoSuchEntity", "NoSuchEntityException"}


def is_missing(error: BaseException) -> bool:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    return response.get("Error", {}).get("Code") in _MISSING_CODES


def as_document(value: object) -> JsonValue:
    """IAM policy documents come back decoded by boto3, or as (URL-encoded) JSON text."""
    if isinstance(value, str):
        from urllib.parse import unquote

        text = value if value.lstrip().startswith("{") else unquote(value)
        document: JsonValue = json.loads(text)
        return document
    return cast(JsonValue, value)  # already decoded by boto3


def tags_dict(tags: Sequence[Tag] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags or []}


def tag(found: FoundRule | FoundRole | None, key: str) -> str | None:
    """The value of one of a found rule's or role's tags; None when either is missing."""
    return found["Tags"].get(key) if found is not None else None


def described_as_managed(description: str | None) -> bool:
    return MANAGED in (description or "")


def tagged_as_managed(tags: dict[str, str]) -> bool:
    return tags.get(MANAGED_KEY) == MANAGED_VALUE


class EventsResources:
    """Thin reads over the events and iam clients; a missing piece is None."""

    def __init__(self, events: EventBridgeClient, iam: IAMClient) -> None:
        self.events = events
        self.iam = iam

    def _get(self, call: Callable[..., _Answer], **kwargs: str) -> _Answer | None:
        from botocore.exceptions import ClientError

        try:
            return call(**kwargs)
        except ClientError as error:
            if is_missing(error):
                return None
            raise

    def connection(self, name: str) -> DescribeConnectionResponseTypeDef | None:
        return self._get(self.events.describe_connection, Name=name)

    def destination(self, name: str) -> DescribeApiDestinationResponseTypeDef | None:
        return self._get(self.events.describe_api_destination, Name=name)

    def rule(self, name: str, bus: str) -> FoundRule | None:
        rule = self._get(self.events.describe_rule, Name=name, EventBusName=bus)
        if rule is None:
            return None
        tags = self.events.list_tags_for_resource(ResourceARN=rule["Arn"]).get("Tags", [])
        found: FoundRule = {**rule, "Tags": tags_dict(tags)}
        return found

    def targets(self, rule: str, bus: str) -> list[TargetOutputTypeDef]:
        pages = self.events.get_paginator("list_targets_by_rule")
        return [
            target
            for page in pages.paginate(Rule=rule, EventBusName=bus)
            for target in page.get("Targets", [])
        ]

    def role(self, name: str) -> FoundRole | None:
        found = self._get(self.iam.get_role, RoleName=name)
        if found is None:
            return None
        tags = self.iam.list_role_tags(RoleName=name).get("Tags", [])
        trust = as_document(found["Role"].get("AssumeRolePolicyDocument"))
        role = {**found["Role"], "Tags": tags_dict(tags), "AssumeRolePolicyDocument": trust}
        return cast("FoundRole", role)

    def role_policy(self, role: str, policy: str = POLICY_NAME) -> JsonObject | None:
        found = self._get(self.iam.get_role_policy, RoleName=role, PolicyName=policy)
        if found is None:
            return None
        document = as_document(found["PolicyDocument"])
        if not isinstance(document, Mapping):
            raise TypeError(f"the policy {policy} of role {role} is not a JSON object")
        return dict(document)


class EventsClients:
    """The clients one events setup is read and changed with (setup, status, teardown, pause);
    ``sns`` and ``sts`` only for a setup that sends to SNS."""

    def __init__(
        self,
        events: EventBridgeClient,
        iam: IAMClient,
        sns: SNSClient | None = None,
        sts: STSClient | None = None,
    ) -> None:
        self.events = events
        self.iam = iam
        self.sns = sns
        self.sts = sts
        self.found = EventsResources(events, iam)


def trust_policy(account: str | None) -> JsonObject:
    """EventBridge may assume the role, only on behalf of this account (confused deputy)."""
    statement: JsonObject = {
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    if account:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": account}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def invoke_policy(destination_arn: str) -> JsonObject:
    """events:InvokeApiDestination on this one API destination, nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InvokeTheWebhook",
                "Effect": "Allow",
                "Action": "events:InvokeApiDestination",
                "Resource": destination_arn,
            }
        ],
    }


def arn_account(arn: str | None) -> str | None:
    """The account of an ARN (arn:partition:service:region:account:...)."""
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None
