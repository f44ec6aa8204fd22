"""``events template``: the same setup as CloudFormation, plus a cross-account read-only role.

YAML is written by the small emitter below rather than PyYAML: the template is plain data
(mappings, lists, strings, numbers, booleans), so a few dozen lines give exact, stable output
without a runtime dependency. The tests load it back with PyYAML and lint it with cfn-lint.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping

from ecrctl.core.access.iam import policy_document
from ecrctl.core.events.model import DEFAULT_RATE_LIMIT, MANAGED_KEY, MANAGED_VALUE, TARGET_ID
from ecrctl.core.events.pattern import KINDS, build_pattern
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.jsontypes import JsonObject, JsonValue

ROLE_NAMED = "RoleNamed"


def _ref(name: str) -> JsonObject:
    return {"Ref": name}


def _arn(resource: str) -> JsonObject:
    return {"Fn::GetAtt": [resource, "Arn"]}


def build_template(
    kinds: tuple[str, ...] = KINDS, repositories: tuple[str, ...] = (), role_name: str = ""
) -> JsonObject:
    """The whole setup; ``role_name`` is the RoleName parameter's default ('' lets
    CloudFormation name the read-only role, differently in every account)."""
    managed = [{"Key": MANAGED_KEY, "Value": MANAGED_VALUE}]
    trust_events: JsonObject = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": _ref("AWS::AccountId")}},
            }
        ],
    }
    trust_account: JsonObject = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TrustedAccountWithExternalId",
                "Effect": "Allow",
                "Principal": {
                    "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${TrustedAccountId}:root"}
                },
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": _ref("ExternalId")}},
            }
        ],
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            "ecrctl events: ECR image events to a webhook through an EventBridge API "
            "destination, and a cross-account read-only ECR role guarded by an ExternalId."
        ),
        "Parameters": {
            "WebhookUrl": {
                "Type": "String",
                "Description": "The https:// URL that receives the events (POST, JSON).",
                "AllowedPattern": "^https://\\S+$",
                "ConstraintDescription": "an https:// URL",
            },
            "Username": {
                "Type": "String",
                "Description": "Basic-auth user the webhook expects.",
                "MinLength": 1,
                "MaxLength": 512,
            },
            "Password": {
                "Type": "String",
                "Description": "Basic-auth password the webhook expects.",
                "NoEcho": True,
                "MinLength": 1,
                "MaxLength": 512,
            },
            "TrustedAccountId": {
                "Type": "String",
                "Description": "The only account that may assume the read-only role.",
                "AllowedPattern": "^\\d{12}$",
                "ConstraintDescription": "a 12-digit AWS account id",
            },
            "ExternalId": {
                "Type": "String",
                "Description": "The value the trusted account passes as sts:ExternalId.",
                "MinLength": 2,
                "MaxLength": 1224,
                "AllowedPattern": "^[\\w+=,.@:/-]+$",
            },
            "RoleName": {
                "Type": "String",
                "Description": (
                    "The read-only role's name, the same in every account (what "
                    "ecrctl --accounts --role-name assumes); empty: CloudFormation names it."
                ),
                "Default": role_name,
                "AllowedPattern": "^[\\w+=,.@-]{0,64}$",
                "ConstraintDescription": "an IAM role name: at most 64 letters, digits, _+=,.@-",
            },
            "RateLimitPerSecond": {
                "Type": "Number",
                "Description": "Most webhook calls a second.",
                "Default": DEFAULT_RATE_LIMIT,
                "MinValue": 1,
                "MaxValue": 300,
            },
        },
        "Conditions": {ROLE_NAMED: {"Fn::Not": [{"Fn::Equals": [_ref("RoleName"), ""]}]}},
        "Resources": {
            "WebhookConnection": {
                "Type": "AWS::Events::Connection",
                "Properties": {
                    "Description": f"Basic-auth credentials for the ECR webhook ({MANAGED_KEY}"
                    f"={MANAGED_VALUE})",
                    "AuthorizationType": "BASIC",
                    "AuthParameters": {
                        "BasicAuthParameters": {
                            "Username": _ref("Username"),
                            "Password": _ref("Password"),
                        }
                    },
                },
            },
            "WebhookDestination": {
                "Type": "AWS::Events::ApiDestination",
                "Properties": {
                    "Description": f"The ECR webhook ({MANAGED_KEY}={MANAGED_VALUE})",
                    "ConnectionArn": _arn("WebhookConnection"),
                    "InvocationEndpoint": _ref("WebhookUrl"),
                    "HttpMethod": "POST",
                    "InvocationRateLimitPerSecond": _ref("RateLimitPerSecond"),
                },
            },
            "InvokeRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "Description": "Lets EventBridge call the ECR webhook API destination.",
                    "AssumeRolePolicyDocument": trust_events,
                    "Policies": [
                        {
                            "PolicyName": "invoke-api-destination",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Action": "events:InvokeApiDestination",
                                        "Resource": _arn("WebhookDestination"),
                                    }
                                ],
                            },
                        }
                    ],
                    "Tags": managed,
                },
            },
            "EcrEventsRule": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "Description": "ECR image events to the webhook.",
                    "EventPattern": build_pattern(kinds, repositories),
                    "State": "ENABLED",
                    "Targets": [
                        {
                            "Id": TARGET_ID,
                            "Arn": _arn("WebhookDestination"),
                            "RoleArn": _arn("InvokeRole"),
                        }
                    ],
                },
            },
            "ReadOnlyRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "Description": "Read-only ECR access for the trusted account (ExternalId).",
                    "RoleName": {"Fn::If": [ROLE_NAMED, _ref("RoleName"), _ref("AWS::NoValue")]},
                    "AssumeRolePolicyDocument": trust_account,
                    "Policies": [
                        {
                            "PolicyName": "ecr-read-only",
                            "PolicyDocument": policy_document("read-only"),
                        },
                        {
                            # ecrctl --regions all: the regions enabled in the account
                            "PolicyName": "enabled-regions",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Action": "ec2:DescribeRegions",
                                        "Resource": "*",
                                    }
                                ],
                            },
                        },
                    ],
                    "Tags": managed,
                },
            },
        },
        "Outputs": {
            "AssumeRoleArn": {
                "Description": "Role the trusted account assumes, passing the ExternalId.",
                "Value": _arn("ReadOnlyRole"),
            },
            "ApiDestinationArn": {
                "Description": "The webhook API destination.",
                "Value": _arn("WebhookDestination"),
            },
            "RuleArn": {"Description": "The EventBridge rule.", "Value": _arn("EcrEventsRule")},
        },
    }


def render_template(template: JsonObject, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(template, indent=2) + "\n"
    if fmt == "yaml":
        return to_yaml(template)
    raise InvalidInput(f"invalid --format {fmt!r}: use yaml or json")


# --- a small YAML emitter (block style; strings quoted whenever plain could be misread) --------

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./@-]*")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        if _PLAIN.fullmatch(value) and value.lower() not in _RESERVED:
            return value
        quoted = json.dumps(value, ensure_ascii=False)
        # YAML double quotes take JSON's escapes; escape what YAML would not keep as printable.
        return "".join(
            c
            if c.isprintable() or c in "\t"
            else f"\\u{ord(c):04x}"
            if ord(c) < 0x10000
            else f"\\U{ord(c):08x}"
            for c in quoted
        )
    raise InvalidInput(f"cannot write {type(value).__name__} as YAML")


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    if exponent:
        sign = "" if exponent[0] in "+-" else "+"
        return f"{mantissa}e{sign}{exponent}"
    return mantissa


def _lines(value: object, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        out: list[str] = []
        for key, item in value.items():
            head = f"{pad}{_scalar(str(key))}:"
            if isinstance(item, dict | list) and item:
                out.append(head)
                out.extend(_lines(item, indent + 2))
            else:
                out.append(f"{head} {_inline(item)}")
        return out
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        out = []
        for item in value:
            if isinstance(item, dict | list) and item:
                nested = _lines(item, indent + 2)
                out.append(f"{pad}- {nested[0].lstrip()}")
                out.extend(nested[1:])
            else:
                out.append(f"{pad}- {_inline(item)}")
        return out
    return [pad + _scalar(value)]


def _inline(value: object) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def to_yaml(value: object) -> str:
    return "\n".join(_lines(value, 0)) + "\n"


ROLE_PARAMETERS = ("TrustedAccountId", "ExternalId", "RoleName")


def build_role_template(role_name: str = "") -> JsonObject:
    """Only the cross-account read-only role, as the integration guides deploy it per region
    (or, named by ``role_name``, once per account: a StackSet for a whole organisation)."""
    full = build_template(role_name=role_name)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            "ecrctl: read-only ECR access for one trusted account, guarded by an ExternalId."
        ),
        "Parameters": {k: _section(full, "Parameters")[k] for k in ROLE_PARAMETERS},
        "Conditions": _section(full, "Conditions"),
        "Resources": {"ReadOnlyRole": _section(full, "Resources")["ReadOnlyRole"]},
        "Outputs": {"AssumeRoleArn": _section(full, "Outputs")["AssumeRoleArn"]},
    }


def _section(template: JsonObject, name: str) -> Mapping[str, JsonValue]:
    section = template[name]
    if not isinstance(section, Mapping):
        raise TypeError(f"template section {name} is not a mapping")
    return section
