"""ecrctl policy push|pull|read-only: repository names, and the policy put inline on a principal.

moto's IAM keeps inline role and user policies faithfully (GetRolePolicy returns what
PutRolePolicy stored), so these run against moto in-process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

ACCOUNT = "123456789012"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "codebuild.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@pytest.fixture
def iam() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_role(RoleName="codebuild-app", AssumeRolePolicyDocument=json.dumps(TRUST))
        client.create_user(UserName="ci")
        yield client


def actions(doc: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for statement in doc["Statement"]:
        action = statement["Action"]
        found |= {action} if isinstance(action, str) else set(action)
    return found


def test_push_policy_includes_the_pull_actions_its_help_promises(cli: Any) -> None:
    result = cli("policy", "push")
    assert result.exit_code == 0
    assert {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:PutImage"} <= actions(
        json.loads(result.stdout)
    )
    assert "pull" in cli("policy", "push", "--help").stdout


def test_repository_name_becomes_the_arn_of_the_callers_registry(cli: Any, iam: Any) -> None:
    result = cli("policy", "pull", "--repository", "team/app")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["Statement"][1]["Resource"] == (
        f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/team/app"
    )


def test_repository_uri_sets_account_and_region_without_a_call(cli: Any) -> None:
    uri = "111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/app"
    result = cli("policy", "pull", "--repository", uri)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["Statement"][1]["Resource"] == (
        "arn:aws-cn:ecr:cn-north-1:111122223333:repository/app"
    )


def test_attach_role_puts_the_policy_inline_then_is_idempotent(cli: Any, iam: Any) -> None:
    first = cli("policy", "push", "--repository", "app", "--attach-role", "codebuild-app", "--yes")
    assert first.exit_code == 0, first.stderr
    assert "+++ role codebuild-app (new)" in first.stderr  # the diff is shown
    assert (
        json.loads(
            cli(
                "-o",
                "json",
                "policy",
                "push",
                "--repository",
                "app",
                "--attach-role",
                "codebuild-app",
                "--dry-run",
            ).stdout
        )["changed"]
        is False
    )
    stored = iam.get_role_policy(RoleName="codebuild-app", PolicyName="ecrctl-push")
    assert "ecr:PutImage" in actions(stored["PolicyDocument"])

    again = cli(
        "-o", "json", "policy", "push", "--repository", "app", "--attach-role", "codebuild-app"
    )  # no --yes, no terminal: fine, since nothing changes
    assert again.exit_code == 0, again.stderr
    assert "nothing changed" in again.stderr
    assert json.loads(again.stdout)["changed"] is False


def test_attach_without_yes_off_a_terminal_changes_nothing(cli: Any, iam: Any) -> None:
    result = cli("policy", "pull", "--attach-user", "ci")
    assert result.exit_code == 2
    assert "pass --yes" in result.stderr
    assert iam.list_user_policies(UserName="ci")["PolicyNames"] == []


def test_dry_run_shows_the_diff_and_changes_nothing(cli: Any, iam: Any) -> None:
    result = cli("policy", "read-only", "--attach-user", "ci", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert '+        "ecr:DescribeImages",' in result.stderr
    assert "dry run" in result.stderr
    assert iam.list_user_policies(UserName="ci")["PolicyNames"] == []


def test_a_changed_document_shows_only_the_difference(cli: Any, iam: Any) -> None:
    assert (
        cli("policy", "pull", "--repository", "app-a", "--attach-user", "ci", "--yes").exit_code
        == 0
    )
    result = cli("policy", "pull", "--repository", "app-b", "--attach-user", "ci", "--yes")
    assert result.exit_code == 0, result.stderr
    assert (
        f'-      "Resource": "arn:aws:ecr:us-east-1:{ACCOUNT}:repository/app-a",' in result.stderr
    )
    assert (
        f'+      "Resource": "arn:aws:ecr:us-east-1:{ACCOUNT}:repository/app-b",' in result.stderr
    )
    stored = iam.get_user_policy(UserName="ci", PolicyName="ecrctl-pull")["PolicyDocument"]
    assert stored["Statement"][1]["Resource"].endswith("repository/app-b")


def test_detach_removes_it_and_a_second_detach_says_so(cli: Any, iam: Any) -> None:
    cli("policy", "pull", "--attach-role", "codebuild-app", "--policy-name", "pull-app", "--yes")
    assert iam.list_role_policies(RoleName="codebuild-app")["PolicyNames"] == ["pull-app"]
    gone = cli(
        "policy",
        "pull",
        "--attach-role",
        "codebuild-app",
        "--policy-name",
        "pull-app",
        "--detach",
        "--yes",
    )
    assert gone.exit_code == 0, gone.stderr
    assert iam.list_role_policies(RoleName="codebuild-app")["PolicyNames"] == []
    again = cli(
        "policy",
        "pull",
        "--attach-role",
        "codebuild-app",
        "--policy-name",
        "pull-app",
        "--detach",
        "--yes",
    )
    assert again.exit_code == 0 and "nothing to detach" in again.stderr


def test_unknown_role_is_not_found(cli: Any, iam: Any) -> None:
    result = cli("policy", "pull", "--attach-role", "ghost", "--yes")
    assert result.exit_code == 3
    assert result.stderr == "ecrctl: IAM role ghost not found\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--attach-role", "arn:aws:iam::1:role/x"], "invalid role name"),
        (["--attach-role", "a", "--attach-user", "b"], "not both"),
        (["--detach"], "--detach needs"),
        (["--attach-user", "ci", "--policy-name", "bad name"], "invalid policy name"),
        (["--repository", "Bad_Name"], "invalid repository name"),
        (["--repository", "arn:aws:s3:::bucket"], "invalid --repository"),
    ],
)
def test_bad_input_is_exit_2_before_any_call(cli: Any, args: list[str], message: str) -> None:
    # No moto here: a call to AWS would fail with another code.
    result = cli("policy", "push", *args)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("ecrctl: ") and message in result.stderr
