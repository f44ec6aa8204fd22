"""ecrctl events template --deploy / check-role as a subprocess against the moto server."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

pytestmark = pytest.mark.e2e

DEPLOY = (
    "events",
    "template",
    "--deploy",
    "--regions",
    "us-east-1,eu-west-1",
    "--trusted-account",
    "111122223333",
    "--external-id",
    "partner-ext-1",
)


def test_events_e2e_deploy_two_regions_then_check_role(run_ecrctl: Any, moto_server: str) -> None:
    cf = boto3.client("cloudformation", region_name="eu-west-1", endpoint_url=moto_server)
    dry = run_ecrctl("-o", "json", *DEPLOY, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    doc = json.loads(dry.stdout)
    assert [r["action"] for r in doc["regions"]] == ["would create", "would create"]
    assert doc["regions"][0]["changes"][0]["logicalId"] == "ReadOnlyRole"
    assert [
        s for s in cf.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"
    ] == []
    unasked = run_ecrctl(*DEPLOY)
    assert unasked.exit_code == 2 and "pass --yes" in unasked.stderr
    done = run_ecrctl("-o", "text", *DEPLOY, "--yes")
    assert done.exit_code == 0, done.stderr
    lines = [line.split("\t") for line in done.stdout.splitlines()]
    assert [(r, a) for r, a, _ in lines] == [("us-east-1", "created"), ("eu-west-1", "created")]
    assert all(arn.startswith("arn:aws:iam::123456789012:role/") for *_, arn in lines)
    stacks = cf.describe_stacks(StackName="public-templates-ecr-integration")["Stacks"]
    assert stacks[0]["StackStatus"] == "CREATE_COMPLETE"
    again = run_ecrctl(*DEPLOY, "--yes")
    assert again.exit_code == 0 and "nothing changed" in again.stderr
    boto3.client("ecr", region_name="us-east-1", endpoint_url=moto_server).create_repository(
        repositoryName="team/app"
    )
    role = lines[0][2]
    checked = run_ecrctl(
        "-o", "json", "events", "check-role", role, "--external-id", "partner-ext-1"
    )
    assert checked.exit_code == 0, checked.stderr
    assert json.loads(checked.stdout)["repositoriesVisible"] == 1
    bad = run_ecrctl("events", "check-role", "not-an-arn", "--external-id", "partner-ext-1")
    assert bad.exit_code == 2 and "invalid ROLE_ARN" in bad.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--deploy", "--regions", "us-east-1"), "--deploy needs --trusted-account"),
        ((*DEPLOY[2:], "--regions", "nowhere"), "invalid region 'nowhere'"),
        (("--regions", "us-east-1"), "--regions goes with --deploy"),
        ((*DEPLOY[2:], "--stack-name", "9bad"), "invalid --stack-name"),
        ((*DEPLOY[2:-1], "x"), "invalid --external-id"),
    ],
)
def test_events_e2e_deploy_bad_input_is_exit_2_before_any_call(
    run_ecrctl: Any, moto_server: str, args: tuple[str, ...], message: str
) -> None:
    done = run_ecrctl("events", "template", *args, "--yes")
    assert done.exit_code == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    cf = boto3.client("cloudformation", region_name="us-east-1", endpoint_url=moto_server)
    assert cf.list_stacks()["StackSummaries"] == []
