"""``events template --deploy``: the read-only-role stack in several regions, and ``check-role``.

A deploy is CreateStack or UpdateStack ("No updates are to be performed" is the idempotent
answer), then a bounded wait for the stack to settle, then its ``AssumeRoleArn`` output.
``--dry-run`` makes a change set instead, reads it and deletes it again (and the empty
``REVIEW_IN_PROGRESS`` stack a CREATE change set leaves), so that nothing stays behind.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from ecrctl.core.events.waiting import Waits, quiet
from ecrctl.core.exceptions import ConfigurationError, InvalidInput, Refused
from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.names import validate_account

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudformation.literals import CapabilityType
    from mypy_boto3_cloudformation.type_defs import (
        ChangeTypeDef,
        DescribeChangeSetOutputTypeDef,
        ParameterTypeDef,
        StackTypeDef,
        TagTypeDef,
    )
    from mypy_boto3_sts import STSClient
    from mypy_boto3_sts.type_defs import CredentialsTypeDef

    from ecrctl.core.ecr.api import EcrRegistry

    class StackArgs(TypedDict):
        """What creates a stack, updates it, or makes a change set of it."""

        StackName: str
        TemplateBody: str
        Parameters: list[ParameterTypeDef]
        Capabilities: list[CapabilityType]
        Tags: list[TagTypeDef]


DEFAULT_STACK = "public-templates-ecr-integration"
_NO_CHANGES = ("No updates are to be performed", "didn't contain changes")


def parse_regions(text: str | None, default: str) -> tuple[str, ...]:
    regions = [r.strip() for r in (text or default).split(",") if r.strip()]
    for region in regions:
        message = f"invalid region {region!r} in --regions (as us-east-1,eu-west-1)"
        _fullmatch(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", region, message)
    if not regions:
        raise InvalidInput("--regions: name at least one region")
    return tuple(dict.fromkeys(regions))


def _fullmatch(pattern: str, value: str, message: str) -> str:
    if not re.fullmatch(pattern, value):
        raise InvalidInput(message)
    return value


def check_stack_name(name: str) -> str:
    message = (
        f"invalid --stack-name {name!r}: 1-128 letters, digits and '-', starting with a letter"
    )
    return _fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,127}", name, message)


def check_external_id(value: str) -> str:
    message = "invalid --external-id: 2-1224 characters of letters, digits and _+=,.@:/-"
    return _fullmatch(r"[\w+=,.@:/-]{2,1224}", value, message)


def check_account(value: str) -> str:
    return validate_account(value, "--trusted-account")


@dataclass(frozen=True)
class RegionDeploy:
    region: str
    stack: str
    action: str  # created | updated | unchanged | would create | would update | no change
    status: str | None = None
    assume_role_arn: str | None = None
    changes: list[dict[str, str | None]] = field(default_factory=list)

    def to_json(self) -> JsonObject:
        return {
            "region": self.region,
            "stackName": self.stack,
            "action": self.action,
            "stackStatus": self.status,
            "assumeRoleArn": self.assume_role_arn,
            "changes": self.changes,
        }


class StackDeployer:
    """One region's CloudFormation client; waits with an injected sleep and clock."""

    def __init__(
        self,
        cloudformation: CloudFormationClient,
        *,
        timeout: float = 600.0,
        poll_interval: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.cf = cloudformation
        self.region = str(cloudformation.meta.region_name)
        self.waits = Waits(timeout, poll_interval, sleep, clock, progress or quiet)
        self.progress = self.waits.progress

    def stack(self, name: str) -> StackTypeDef | None:
        from botocore.exceptions import ClientError

        try:
            stacks = self.cf.describe_stacks(StackName=name)["Stacks"]
        except ClientError as error:
            if "does not exist" in str(error):
                return None
            raise
        return stacks[0] if stacks else None

    def deploy(self, name: str, template: JsonObject, parameters: dict[str, str]) -> RegionDeploy:
        from botocore.exceptions import ClientError

        current = self.stack(name)
        args = _stack_args(name, template, parameters)
        if current is not None and current["StackStatus"] == "REVIEW_IN_PROGRESS":
            current = None  # an empty stack a change set left: CreateStack takes it over
        if current is not None and current["StackStatus"] == "ROLLBACK_COMPLETE":
            raise Refused(
                f"stack {name} in {self.region} is ROLLBACK_COMPLETE (its creation failed): "
                "delete it, then deploy again"
            )
        try:
            if current is None:
                self.progress(f"{self.region}: creating stack {name}")
                self.cf.create_stack(**args)
                action = "created"
            else:
                self.progress(f"{self.region}: updating stack {name}")
                self.cf.update_stack(**args)
                action = "updated"
        except ClientError as error:
            if current is not None and any(text in str(error) for text in _NO_CHANGES):
                return RegionDeploy(
                    self.region, name, "unchanged", current["StackStatus"], _output(current)
                )
            raise
        settled = self._wait(name)
        return RegionDeploy(self.region, name, action, settled["StackStatus"], _output(settled))

    def _wait(self, name: str) -> StackTypeDef:
        status = "UNKNOWN"

        def check() -> StackTypeDef | None:
            nonlocal status
            stack = self.stack(name)
            status = str(stack["StackStatus"]) if stack is not None else "DELETE_COMPLETE"
            if status.endswith("_IN_PROGRESS"):
                return None
            if stack is not None and status in {"CREATE_COMPLETE", "UPDATE_COMPLETE"}:
                return stack
            said = stack.get("StackStatusReason") if stack is not None else None
            reason = said or "see the stack's events"
            raise Refused(f"stack {name} in {self.region} is {status} ({reason})")

        def timed_out() -> Refused:
            return Refused(
                f"stack {name} in {self.region} is still {status} after "
                f"{self.waits.timeout:.0f} s; see `aws cloudformation describe-stack-events`"
            )

        def waiting() -> str:
            return f"{self.region}: stack {name} is {status}; waiting"

        return self.waits.until(check, first=1.0, waiting=waiting, timed_out=timed_out)

    def preview(self, name: str, template: JsonObject, parameters: dict[str, str]) -> RegionDeploy:
        """A change set, read and deleted again: what a deploy would change, changing nothing."""
        current = self.stack(name)
        creating = current is None or current["StackStatus"] == "REVIEW_IN_PROGRESS"
        from botocore.exceptions import ClientError

        change_set = f"ecrctl-preview-{int(time.time())}"
        try:
            self.cf.create_change_set(
                **_stack_args(name, template, parameters),
                ChangeSetName=change_set,
                ChangeSetType="CREATE" if creating else "UPDATE",
            )
        except ClientError as error:
            if creating or not any(text in str(error) for text in _NO_CHANGES):
                raise
            status = None if current is None else str(current["StackStatus"])
            return RegionDeploy(self.region, name, "no change", status, _output(current))
        try:
            described = self._wait_change_set(name, change_set)
        finally:
            self.cf.delete_change_set(ChangeSetName=change_set, StackName=name)
            if current is None:
                self.cf.delete_stack(StackName=name)  # the empty stack the change set made
        changes = [_change(c) for c in described.get("Changes") or []]
        action = ("would create" if creating else "would update") if changes else "no change"
        status = None if current is None else str(current["StackStatus"])
        return RegionDeploy(self.region, name, action, status, _output(current), changes)

    def _wait_change_set(self, name: str, change_set: str) -> DescribeChangeSetOutputTypeDef:
        status = "UNKNOWN"

        def check() -> DescribeChangeSetOutputTypeDef | None:
            nonlocal status
            described = self.cf.describe_change_set(ChangeSetName=change_set, StackName=name)
            status = str(described.get("Status"))
            if status == "CREATE_COMPLETE":
                return described
            if status == "FAILED":
                reason = str(described.get("StatusReason") or "")
                if any(text in reason for text in _NO_CHANGES):
                    return {**described, "Changes": []}
                raise Refused(f"change set for {name} in {self.region} failed: {reason}")
            return None

        return self.waits.until(
            check,
            first=1.0,
            factor=1.0,
            timed_out=lambda: Refused(f"change set for {name} in {self.region} is still {status}"),
        )


def _stack_args(name: str, template: JsonObject, parameters: dict[str, str]) -> StackArgs:
    # Every parameter said, defaults too (what CloudFormation takes for an omitted one), so that
    # the same deploy twice is the same stack; a named role needs CAPABILITY_NAMED_IAM.
    declared = template.get("Parameters")
    defaults = {
        str(key): str(spec["Default"])
        for key, spec in (declared.items() if isinstance(declared, Mapping) else ())
        if isinstance(spec, Mapping) and "Default" in spec
    }
    values = {**defaults, **parameters}
    return {
        "StackName": name,
        "TemplateBody": json.dumps(template),
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()],
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        "Tags": [{"Key": "managed-by", "Value": "ecrctl"}],
    }


def _change(change: ChangeTypeDef) -> dict[str, str | None]:
    """One resource a change set would change, as ``--dry-run`` shows it."""
    resource = change.get("ResourceChange")
    if resource is None:
        return dict.fromkeys(("action", "logicalId", "type", "replacement"))
    return {
        "action": resource.get("Action"),
        "logicalId": resource.get("LogicalResourceId"),
        "type": resource.get("ResourceType"),
        "replacement": resource.get("Replacement"),
    }


def _output(stack: StackTypeDef | None) -> str | None:
    if stack is None:
        return None
    for output in stack.get("Outputs") or []:
        if output.get("OutputKey") == "AssumeRoleArn":
            return str(output.get("OutputValue"))
    return None


# --- check-role ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleCheck:
    role_arn: str
    assumed_arn: str
    repositories: int
    more: bool

    def to_json(self) -> JsonObject:
        return {
            "roleArn": self.role_arn,
            "assumedRoleArn": self.assumed_arn,
            "repositoriesVisible": self.repositories,
            "moreRepositories": self.more,
            "ok": True,
        }


def check_role_arn(value: str) -> str:
    message = f"invalid ROLE_ARN {value!r}: arn:aws:iam::ACCOUNT:role/NAME"
    return _fullmatch(r"arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}", value, message)


def check_role(
    sts: STSClient,
    role_arn: str,
    external_id: str,
    ecr_for: Callable[[CredentialsTypeDef], EcrRegistry],
) -> RoleCheck:
    """Assume the role with the ExternalId, then DescribeRepositories as the partner would.

    ``ecr_for`` gives the registry as the temporary credentials see it (the CLI owns sessions).
    Either step refused is exit 4, with AWS's reason.
    """
    from botocore.exceptions import ClientError

    check_role_arn(role_arn)
    check_external_id(external_id)
    try:
        assumed = sts.assume_role(
            RoleArn=role_arn,
            RoleSessionName="ecrctl-check-role",
            ExternalId=external_id,
            DurationSeconds=900,
        )
    except ClientError as error:
        raise ConfigurationError(
            f"cannot assume {role_arn} with that external id: {_message(error)} (the role must "
            "trust this account, with sts:ExternalId equal to the --external-id given)"
        ) from error
    registry = ecr_for(assumed["Credentials"])
    try:
        repositories, more = registry.first_repositories()
    except ClientError as error:
        raise ConfigurationError(
            f"assumed {role_arn}, but it may not read ECR: {_message(error)}"
        ) from error
    return RoleCheck(
        role_arn=role_arn,
        assumed_arn=str(assumed.get("AssumedRoleUser", {}).get("Arn", "")),
        repositories=len(repositories),
        more=more,
    )


def _message(error: object) -> str:
    info = getattr(error, "response", {}).get("Error", {})
    return f"{info.get('Code', 'Error')}: {info.get('Message', '')}".rstrip(": ")
