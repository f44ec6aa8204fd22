"""ecrctl uri / policy / global options in-process."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecrctl import __version__


def test_uri_from_the_callers_account(cli: Any, ecr: Any) -> None:
    result = cli("uri", "team/app:1.2.3")
    assert result.exit_code == 0
    assert result.stdout == "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1.2.3\n"


def test_uri_with_registry_id_and_china_region_needs_no_call(cli: Any) -> None:
    result = cli("--registry-id", "111122223333", "--region", "cn-north-1", "uri", "app")
    assert result.stdout == "111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/app\n"


def test_uri_of_a_pasted_uri_is_itself(cli: Any) -> None:
    uri = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:" + "b" * 64
    result = cli("-o", "json", "uri", uri)
    doc = json.loads(result.stdout)
    assert (
        doc["uri"] == uri and doc["region"] == "eu-west-1" and doc["registryId"] == "111122223333"
    )


@pytest.mark.parametrize(
    ("kind", "needed"),
    [
        (
            "push",
            {
                "ecr:GetAuthorizationToken",
                "ecr:BatchCheckLayerAvailability",
                "ecr:InitiateLayerUpload",
                "ecr:UploadLayerPart",
                "ecr:CompleteLayerUpload",
                "ecr:PutImage",
                # the pull actions `policy push --help` promises (as the CodeBuild guide grants)
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            },
        ),
        ("pull", {"ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}),
    ],
)
def test_policy_documents_are_least_privilege(cli: Any, kind: str, needed: set[str]) -> None:
    arn = "arn:aws:ecr:us-east-1:123456789012:repository/app"
    result = cli("policy", kind, "--repository", arn)
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    actions: set[str] = set()
    for statement in doc["Statement"]:
        action = statement["Action"]
        actions |= {action} if isinstance(action, str) else set(action)
        if statement["Action"] != "ecr:GetAuthorizationToken":
            assert statement["Resource"] == arn
    assert actions == needed


def test_policy_read_only_is_json_and_has_no_write_action(cli: Any) -> None:
    doc = json.loads(cli("policy", "read-only").stdout)
    actions = [
        a
        for s in doc["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert "ecr:DescribeImages" in actions
    assert not any(a.startswith(("ecr:Put", "ecr:Delete", "ecr:BatchDelete")) for a in actions)


def test_policy_rejects_a_non_ecr_arn(cli: Any) -> None:
    result = cli("policy", "push", "--repository", "arn:aws:s3:::bucket")
    assert result.exit_code == 2 and "invalid --repository" in result.stderr


def test_version(cli: Any) -> None:
    assert cli("--version").stdout == f"ecrctl {__version__}\n"


def test_no_region_is_exit_4_with_the_fix(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    result = cli("repo", "list")
    assert result.exit_code == 4
    assert (
        result.stderr
        == "ecrctl: no region: pass --region, set AWS_REGION, or give a full image URI\n"
    )


def test_no_credentials_is_exit_4(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = cli("repo", "list")
    assert result.exit_code == 4
    assert "no AWS credentials found" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_profile_is_exit_4(cli: Any) -> None:
    result = cli("--profile", "ghost", "repo", "list")
    assert result.exit_code == 4 and "ghost" in result.stderr


def test_bad_global_options_are_exit_2(cli: Any) -> None:
    assert cli("-o", "yaml", "repo", "list").exit_code == 2
    assert cli("--query", "[?", "repo", "list").exit_code == 2
    assert cli("--registry-id", "12", "repo", "list").exit_code == 2


def test_debug_logs_calls_to_stderr_only(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    result = cli("--debug", "repo", "list")
    assert result.stdout == "app\n"
    assert "debug: -> ecr.DescribeRepositories" in result.stderr
    assert "HTTP 200" in result.stderr
    assert "testing" not in result.stderr  # the (fake) secret key never appears


def test_debug_shows_a_traceback_on_failure(cli: Any, ecr: Any) -> None:
    result = cli("--debug", "repo", "show", "nope")
    assert result.exit_code == 3
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip().endswith(
        "ecrctl: repository nope not found in registry 123456789012 (us-east-1)"
    )
