"""Least-privilege IAM policy documents for pushing to and pulling from ECR."""

from __future__ import annotations

import re
from typing import Any, Literal

from ecrctl.core.exceptions import InvalidInput

PolicyKind = Literal["push", "pull", "read-only"]

_PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
_PUSH = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
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


def policy_document(kind: PolicyKind, repository_arns: list[str] | None = None) -> dict[str, Any]:
    """GetAuthorizationToken cannot be scoped to a repository, so it has a statement of its own."""
    for arn in repository_arns or []:
        if not _REPOSITORY_ARN.fullmatch(arn):
            raise InvalidInput(
                f"invalid --repository {arn!r}: expected arn:aws:ecr:REGION:ACCOUNT:repository/NAME"
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
