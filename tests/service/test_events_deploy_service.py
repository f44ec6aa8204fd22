"""events template --deploy and check-role: CloudFormation and STS against moto, and Stubber.

moto creates the stack's role and its outputs (CreateStack/UpdateStack), answers "No updates are
to be performed" like AWS, and makes change sets. It completes stacks at once and never checks a
trust policy or an ExternalId, so waiting, failures and refusals are tested with Stubber and
AWS's documented shapes.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.events.deploy import (
    StackDeployer,
    check_role,
    parse_regions,
)
from ecrctl.core.events.template import build_role_template
from ecrctl.core.exceptions import ConfigurationError, InvalidInput, Refused
from tests.fakeclock import FakeClock

PARAMS = {"TrustedAccountId": "111122223333", "ExternalId": "partner-ext-1"}
STACK = "public-templates-ecr-integration"


@pytest.fixture
def aws() -> Iterator[Any]:
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield boto3


def test_events_deploy_two_regions_prints_each_role_then_changes_nothing(aws: Any) -> None:
    results = [
        StackDeployer(aws.client("cloudformation", region_name=r)).deploy(
            STACK, build_role_template(), PARAMS
        )
        for r in ("us-east-1", "eu-west-1")
    ]
    assert [(r.region, r.action, r.status) for r in results] == [
        ("us-east-1", "created", "CREATE_COMPLETE"),
        ("eu-west-1", "created", "CREATE_COMPLETE"),
    ]
    iam = aws.client("iam", region_name="us-east-1")
    roles = {r["Arn"]: r for r in iam.list_roles()["Roles"]}
    assert {r.assume_role_arn for r in results} == set(roles)
    (statement,) = next(iter(roles.values()))["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "partner-ext-1"}}
    again = StackDeployer(aws.client("cloudformation", region_name="us-east-1")).deploy(
        STACK, build_role_template(), PARAMS
    )
    assert (again.action, again.assume_role_arn) == ("unchanged", results[0].assume_role_arn)
    changed = StackDeployer(aws.client("cloudformation", region_name="us-east-1")).deploy(
        STACK, build_role_template(), {**PARAMS, "ExternalId": "partner-ext-2"}
    )
    assert changed.action == "updated"


def test_events_deploy_dry_run_shows_the_change_set_and_leaves_nothing(aws: Any) -> None:
    cf = aws.client("cloudformation", region_name="us-east-1")
    preview = StackDeployer(cf).preview(STACK, build_role_template(), PARAMS)
    assert preview.action == "would create"
    assert [(c["action"], c["logicalId"], c["type"]) for c in preview.changes] == [
        ("Add", "ReadOnlyRole", "AWS::IAM::Role")
    ]
    live = [s for s in cf.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"]
    assert live == []
    assert aws.client("iam", region_name="us-east-1").list_roles()["Roles"] == []
    StackDeployer(cf).deploy(STACK, build_role_template(), PARAMS)
    same = StackDeployer(cf).preview(STACK, build_role_template(), PARAMS)
    assert (same.action, same.changes) == ("no change", [])


def _stack(status: str, **more: Any) -> dict[str, Any]:
    return {
        "Stacks": [
            {
                "StackName": STACK,
                "StackStatus": status,
                "CreationTime": datetime.datetime(2026, 1, 1),
                **more,
            }
        ]
    }


def test_events_deploy_waits_for_the_stack_then_reads_its_output() -> None:
    import boto3

    cf = boto3.client("cloudformation", region_name="us-east-1")
    clock = FakeClock()
    with Stubber(cf) as stub:
        stub.add_client_error(
            "describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist"
        )
        stub.add_response("create_stack", {"StackId": "arn:aws:cloudformation:stack/x"})
        stub.add_response("describe_stacks", _stack("CREATE_IN_PROGRESS"))
        stub.add_response("describe_stacks", _stack("CREATE_IN_PROGRESS"))
        arn = "arn:aws:iam::123456789012:role/x-ReadOnlyRole-1"
        stub.add_response(
            "describe_stacks",
            _stack("CREATE_COMPLETE", Outputs=[{"OutputKey": "AssumeRoleArn", "OutputValue": arn}]),
        )
        done = StackDeployer(cf, sleep=clock.sleep, clock=clock.clock).deploy(
            STACK, build_role_template(), PARAMS
        )
        stub.assert_no_pending_responses()
    assert (done.action, done.assume_role_arn) == ("created", arn)
    assert clock.sleeps == [1.0, 2.0]


def test_events_deploy_reports_a_rollback_and_a_timeout() -> None:
    import boto3

    cf = boto3.client("cloudformation", region_name="us-east-1")
    clock = FakeClock()
    with Stubber(cf) as stub:
        stub.add_response("describe_stacks", _stack("CREATE_COMPLETE"))
        stub.add_response("update_stack", {"StackId": "arn:aws:cloudformation:stack/x"})
        stub.add_response(
            "describe_stacks",
            _stack("UPDATE_ROLLBACK_COMPLETE", StackStatusReason="Role already exists"),
        )
        with pytest.raises(Refused, match="UPDATE_ROLLBACK_COMPLETE \\(Role already exists\\)"):
            StackDeployer(cf, sleep=clock.sleep, clock=clock.clock).deploy(
                STACK, build_role_template(), PARAMS
            )
        stub.add_response("describe_stacks", _stack("CREATE_COMPLETE"))
        stub.add_response("update_stack", {"StackId": "arn:aws:cloudformation:stack/x"})
        for _ in range(4):
            stub.add_response("describe_stacks", _stack("UPDATE_IN_PROGRESS"))
        with pytest.raises(Refused, match="still UPDATE_IN_PROGRESS after 3 s"):
            StackDeployer(
                cf, timeout=3, poll_interval=1, sleep=clock.sleep, clock=clock.clock
            ).deploy(STACK, build_role_template(), PARAMS)


def test_events_deploy_regions_are_checked_locally() -> None:
    assert parse_regions("us-east-1, eu-west-1,us-east-1", "x") == ("us-east-1", "eu-west-1")
    assert parse_regions(None, "ap-south-1") == ("ap-south-1",)
    with pytest.raises(InvalidInput, match="invalid region 'useast1'"):
        parse_regions("us-east-1,useast1", "x")


def test_events_check_role_reads_ecr_as_the_partner(aws: Any) -> None:
    StackDeployer(aws.client("cloudformation", region_name="us-east-1")).deploy(
        STACK, build_role_template(), PARAMS
    )
    role = aws.client("iam", region_name="us-east-1").list_roles()["Roles"][0]["Arn"]
    aws.client("ecr", region_name="us-east-1").create_repository(repositoryName="team/app")
    seen: list[dict[str, Any]] = []

    def ecr_for(credentials: dict[str, Any]) -> Any:
        seen.append(credentials)
        return EcrRegistry(
            aws.client(
                "ecr",
                region_name="us-east-1",
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
            )
        )

    found = check_role(aws.client("sts", region_name="us-east-1"), role, "partner-ext-1", ecr_for)
    assert found.repositories == 1 and not found.more
    assert found.assumed_arn.endswith("/ecrctl-check-role")
    assert seen and seen[0]["SessionToken"]


def test_events_check_role_refusals_are_exit_4_with_the_reason() -> None:
    import boto3

    role = "arn:aws:iam::210987654321:role/partner-read-only"
    sts = boto3.client("sts", region_name="us-east-1")
    with Stubber(sts) as stub:
        stub.add_client_error(
            "assume_role",
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/me is not authorized to perform: "
            "sts:AssumeRole on resource: " + role,
            expected_params={
                "RoleArn": role,
                "RoleSessionName": "ecrctl-check-role",
                "ExternalId": "wrong-id",
                "DurationSeconds": 900,
            },
        )
        with pytest.raises(ConfigurationError, match=r"cannot assume .* AccessDenied"):
            check_role(sts, role, "wrong-id", lambda _c: pytest.fail("no ECR call"))
    ecr = boto3.client("ecr", region_name="us-east-1")
    registry = EcrRegistry(ecr)
    with Stubber(sts) as stub, Stubber(ecr) as ecr_stub:
        stub.add_response(
            "assume_role",
            {
                "Credentials": {
                    "AccessKeyId": "ASIAEXAMPLEEXAMPLE12",
                    "SecretAccessKey": "x" * 40,
                    "SessionToken": "token",
                    "Expiration": datetime.datetime(2026, 1, 1),
                },
                "AssumedRoleUser": {
                    "AssumedRoleId": "AROAEXAMPLE:ecrctl-check-role",
                    "Arn": "arn:aws:sts::210987654321:assumed-role/partner-read-only/x",
                },
            },
        )
        ecr_stub.add_client_error("describe_repositories", "AccessDeniedException", "no ecr")
        with pytest.raises(ConfigurationError, match="may not read ECR: AccessDeniedException"):
            check_role(sts, role, "right-id", lambda _c: registry)
    with pytest.raises(InvalidInput, match="invalid ROLE_ARN"):
        check_role(sts, "partner-read-only", "right-id", lambda _c: registry)
    with pytest.raises(InvalidInput, match="invalid --external-id"):
        check_role(sts, role, "x", lambda _c: registry)


def test_events_role_template_is_the_role_only() -> None:
    doc = build_role_template()
    assert list(doc["Resources"]) == ["ReadOnlyRole"]
    assert set(doc["Parameters"]) == {"TrustedAccountId", "ExternalId", "RoleName"}
    assert doc["Parameters"]["RoleName"]["Default"] == ""  # CloudFormation names it
    assert json.dumps(doc["Outputs"]["AssumeRoleArn"]["Value"]) == (
        '{"Fn::GetAtt": ["ReadOnlyRole", "Arn"]}'
    )
