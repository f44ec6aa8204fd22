"""Least-privilege IAM policy documents for ECR, and putting one inline on a role or a user."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ecrctl.core.exceptions import InvalidInput, NotFound
from ecrctl.core.jsontypes import JsonObject

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

PolicyKind = Literal["push", "pull", "read-only"]
PrincipalKind = Literal["role", "user"]

_PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
# Pushing checks layers and uploads them; a CI job that pushes also pulls (its cache, its base
# image), which is why the CodeBuild guide grants both: so does this document.
_PUSH = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
]
_READ_ONLY = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:DescribeImageScanFindings",
    "ecr:DescribeImages",
    "ecr:DescribeRepositories",
    "ecr:GetDownloadUrlForLayer",
    "ecr:GetLifecyclePolicy",
    "ecr:GetLifecyclePolicyPreview",
    "ecr:GetRepositoryPolicy",
    "ecr:ListImages",
    "ecr:ListTagsForResource",
]

ACTIONS: dict[str, list[str]] = {"push": _PUSH, "pull": _PULL, "read-only": _READ_ONLY}


_REPOSITORY_ARN = re.compile(
    r"arn:aws(-cn|-us-gov|-iso|-iso-b)?:ecr:[a-z0-9-]+:\d{12}:repository/\S+"
)
# IAM's model for role and user names, and for inline policy names.
_PRINCIPAL_NAME = re.compile(r"[\w+=,.@-]{1,64}")
_POLICY_NAME = re.compile(r"[\w+=,.@-]{1,128}")


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def repository_arn(name: str, *, account: str, region: str) -> str:
    return f"arn:{partition(region)}:ecr:{region}:{account}:repository/{name}"


def is_repository_arn(text: str) -> bool:
    return text.startswith("arn:")


def policy_document(kind: PolicyKind, repository_arns: list[str] | None = None) -> JsonObject:
    """GetAuthorizationToken cannot be scoped to a repository, so it has a statement of its own."""
    for arn in repository_arns or []:
        if not _REPOSITORY_ARN.fullmatch(arn):
            raise InvalidInput(
                f"invalid --repository {arn!r}: expected a repository name or "
                "arn:aws:ecr:REGION:ACCOUNT:repository/NAME"
            )
    resources: str | list[str] = repository_arns or "*"
    if isinstance(resources, list) and len(resources) == 1:
        resources = resources[0]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EcrAuthorizationToken",
                "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "*",
            },
            {
                "Sid": f"Ecr{kind.title().replace('-', '')}",
                "Effect": "Allow",
                "Action": ACTIONS[kind],
                "Resource": resources,
            },
        ],
    }


def validate_principal(kind: PrincipalKind, name: str) -> str:
    if not _PRINCIPAL_NAME.fullmatch(name):
        raise InvalidInput(
            f"invalid {kind} name {name!r}: 1-64 letters, digits and +=,.@_- (a name, not an ARN)"
        )
    return name


def validate_policy_name(name: str) -> str:
    if not _POLICY_NAME.fullmatch(name):
        raise InvalidInput(f"invalid policy name {name!r}: 1-128 letters, digits and +=,.@_-")
    return name


def policy_text(document: JsonObject | None) -> str:
    """The canonical text of a document, for comparing and diffing (keys sorted)."""
    if document is None:
        return ""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def diff(before: JsonObject | None, after: JsonObject | None, label: str) -> str:
    lines = difflib.unified_diff(
        policy_text(before).splitlines(keepends=True),
        policy_text(after).splitlines(keepends=True),
        fromfile=f"{label} (now)" if before is not None else "/dev/null",
        tofile=f"{label} (new)" if after is not None else "/dev/null",
    )
    return "".join(lines)


@dataclass(frozen=True)
class InlinePolicyChange:
    """What attaching (or detaching) an inline policy does: the documents before and after."""

    principal_kind: PrincipalKind
    principal: str
    policy_name: str
    before: JsonObject | None
    after: JsonObject | None

    @property
    def changed(self) -> bool:
        return policy_text(self.before) != policy_text(self.after)

    @property
    def diff(self) -> str:
        return diff(self.before, self.after, f"{self.principal_kind} {self.principal}")

    def to_json(self) -> JsonObject:
        return {
            "principalType": self.principal_kind,
            "principal": self.principal,
            "policyName": self.policy_name,
            "attached": self.after is not None,
            "changed": self.changed,
            "document": self.after if self.after is not None else self.before,
        }


def _decode(document: object) -> JsonObject:
    """IAM returns the document URL-encoded; botocore decodes it to a dict, but not always."""
    if isinstance(document, dict):
        return document
    from urllib.parse import unquote

    decoded: JsonObject = json.loads(unquote(str(document)))
    return decoded


class InlinePolicies:
    """Inline policies on one IAM role or user: read, put, delete (idempotent)."""

    def __init__(self, iam: IAMClient, kind: PrincipalKind, name: str) -> None:
        self.iam = iam
        self.kind: PrincipalKind = kind
        self.name = validate_principal(kind, name)

    def _check_exists(self) -> None:
        try:
            if self.kind == "role":
                self.iam.get_role(RoleName=self.name)
            else:
                self.iam.get_user(UserName=self.name)
        except self.iam.exceptions.NoSuchEntityException:
            raise NotFound(f"IAM {self.kind} {self.name} not found") from None

    def current(self, policy_name: str) -> JsonObject | None:
        self._check_exists()
        try:
            if self.kind == "role":
                document: object = self.iam.get_role_policy(
                    RoleName=self.name, PolicyName=policy_name
                )["PolicyDocument"]
            else:
                document = self.iam.get_user_policy(UserName=self.name, PolicyName=policy_name)[
                    "PolicyDocument"
                ]
        except self.iam.exceptions.NoSuchEntityException:
            return None
        return _decode(document)

    def plan(self, policy_name: str, document: JsonObject | None) -> InlinePolicyChange:
        """What putting ``document`` (None: deleting the policy) would change."""
        return InlinePolicyChange(
            self.kind, self.name, policy_name, self.current(policy_name), document
        )

    def apply(self, change: InlinePolicyChange) -> None:
        if not change.changed:
            return
        if change.after is None:
            if self.kind == "role":
                self.iam.delete_role_policy(RoleName=self.name, PolicyName=change.policy_name)
            else:
                self.iam.delete_user_policy(UserName=self.name, PolicyName=change.policy_name)
            return
        text = json.dumps(change.after)
        if self.kind == "role":
            self.iam.put_role_policy(
                RoleName=self.name, PolicyName=change.policy_name, PolicyDocument=text
            )
        else:
            self.iam.put_user_policy(
                UserName=self.name, PolicyName=change.policy_name, PolicyDocument=text
            )
