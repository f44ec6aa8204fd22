"""Finding the pieces of one events setup: describe calls where "missing" is an answer."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
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
        RuleTypeDef,
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

    class ManagedRule(RuleTypeDef):
        """list_rules' rule, with its tags (a second call) as a dict: events list."""

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

    def managed_rules(self, bus: str) -> list[ManagedRule]:
        """The rules on ``bus`` that ecrctl made (tag managed-by=ecrctl), each with its Tags:
        one ListTagsForResource per rule that selects ECR events, none for the others."""
        found: list[ManagedRule] = []
        for page in self.events.get_paginator("list_rules").paginate(EventBusName=bus):
            for listed in page.get("Rules", []):
                if "aws.ecr" not in (listed.get("EventPattern") or "") or "Arn" not in listed:
                    continue
                tags = self.events.list_tags_for_resource(ResourceARN=listed["Arn"])
                rule: ManagedRule = {**listed, "Tags": tags_dict(tags.get("Tags", []))}
                if tagged_as_managed(rule["Tags"]):
                    found.append(rule)
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


@dataclass(eq=False)
class EventsClients:
    """The clients one events setup is read and changed with (setup, status, teardown, pause);
    ``sns`` and ``sts`` only for a setup that sends to SNS."""

    events: EventBridgeClient
    iam: IAMClient
    sns: SNSClient | None = None
    sts: STSClient | None = None
    found: EventsResources = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.found = EventsResources(self.events, self.iam)


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


def invoke_policy(destination_arn: str, *others: str) -> JsonObject:
    """events:InvokeApiDestination on this API destination, nothing else; and on the same
    setup's destinations in ``others`` regions (IAM roles are global, one role serves each
    region a setup of this name is in: ``--regions``)."""
    arns = sorted({destination_arn, *others})
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InvokeTheWebhook",
                "Effect": "Allow",
                "Action": "events:InvokeApiDestination",
                "Resource": arns[0] if len(arns) == 1 else arns,
            }
        ],
    }


def arn_region(arn: str | None) -> str | None:
    parts = (arn or "").split(":")
    return parts[3] if len(parts) > 5 and parts[3] else None


def other_regions(policy: JsonObject | None, name: str, region: str | None) -> list[str]:
    """The API destinations named ``name`` in regions other than ``region`` that the role's
    invoke policy lists (a setup of the same name there)."""
    found: list[str] = []
    statements = (policy or {}).get("Statement")
    for statement in statements if isinstance(statements, Sequence) else []:
        resources = statement.get("Resource") if isinstance(statement, Mapping) else None
        listed = [resources] if isinstance(resources, str) else resources
        for arn in listed if isinstance(listed, Sequence) else []:
            text = str(arn)
            named = text.split(":", 5)[-1].split("/")[1:2] == [name]
            if named and arn_region(text) not in (None, region):
                found.append(text)
    return found


def arn_account(arn: str | None) -> str | None:
    """The account of an ARN (arn:partition:service:region:account:...)."""
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None
