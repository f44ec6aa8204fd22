"""How each account is reached (ecrctl/orgaccess.py), the calls exactly (Stubber): the caller's
own account without AssumeRole, one AssumeRole per other account, again before it expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber

from ecrctl.core.org.accounts import Account, RoleAccess
from ecrctl.core.org.limiter import AdaptiveWidth
from ecrctl.orgaccess import AccountAccess, Organization
from ecrctl.session import Settings

ME = "123456789012"
DEV = "111111111111"
ROLE = RoleAccess("ecrctl-read-only", "ext-1")


def _assumed(key: str, expires_in: timedelta) -> dict[str, Any]:
    return {
        "Credentials": {
            "AccessKeyId": key,
            "SecretAccessKey": f"{key}-secret",
            "SessionToken": f"{key}-token",
            "Expiration": datetime.now(UTC) + expires_in,
        },
        "AssumedRoleUser": {
            "AssumedRoleId": "AROAEXAMPLE:ecrctl",
            "Arn": f"arn:aws:sts::{DEV}:assumed-role/ecrctl-read-only/ecrctl",
        },
    }


@pytest.fixture
def organization() -> Any:
    org = Organization(Settings(region="eu-west-1"), ROLE, AdaptiveWidth())
    sts = org.caller_client("sts")
    with Stubber(sts) as stub:
        stub.add_response(
            "get_caller_identity",
            {"Account": ME, "Arn": f"arn:aws:iam::{ME}:user/ci", "UserId": "AIDA"},
        )
        yield org, stub
        stub.assert_no_pending_responses()


def test_the_callers_own_account_is_read_with_its_own_credentials(organization: Any) -> None:
    org, _ = organization
    mine = AccountAccess(org, Account(ME, "management"))
    assert mine.resolve_credentials() == "env"
    assert mine.identity() == {"Account": ME, "Arn": f"arn:aws:iam::{ME}:user/ci"}


def test_one_assume_role_per_account_and_again_before_it_expires(organization: Any) -> None:
    org, stub = organization
    params = {
        "RoleArn": f"arn:aws:iam::{DEV}:role/ecrctl-read-only",
        "RoleSessionName": "ecrctl",
        "ExternalId": "ext-1",
    }
    # 5 minutes left: inside botocore's mandatory refresh window (10 minutes)
    stub.add_response("assume_role", _assumed("ASIAFIRST0000000", timedelta(minutes=5)), params)
    stub.add_response("assume_role", _assumed("ASIASECOND000000", timedelta(hours=1)), params)
    dev = AccountAccess(org, Account(DEV, "dev"))
    assert dev.resolve_credentials() == "assume-role"
    assert dev.identity()["Arn"].endswith(":assumed-role/ecrctl-read-only/ecrctl")
    registry = dev.registry("eu-west-1")
    assert dev.registry("eu-west-1") is registry  # one per account and region
    assert dev.registry("us-east-1").region == "us-east-1"
    mine = AccountAccess(org, Account(ME))
    mine.resolve_credentials()
    assert mine.registry("eu-west-1") is not registry
    shared = org.shared_ecr("eu-west-1")  # the one botocore client of the region, for both
    signed: list[str] = []

    def answer(request: Any, **_: Any) -> Any:
        """What was sent (its access key), and ECR's answer without a network."""
        auth = request.headers["Authorization"]
        text = auth.decode() if isinstance(auth, bytes) else auth
        signed.append(text.split("Credential=")[1].split("/")[0])
        return _answer()

    shared.meta.events.register("before-send.ecr.DescribeRepositories", answer)
    for _ in range(2):
        assert list(registry.repositories()) == []
    list(mine.registry("eu-west-1").repositories())
    assert signed[-1] == "testing"  # the caller's own keys for its own account
    signed.pop()
    assert signed == [
        "ASIASECOND000000",
        "ASIASECOND000000",
    ]  # refreshed once, before the first call


def _answer() -> Any:
    from botocore.awsrequest import AWSResponse

    class Raw:
        def stream(self, **_: Any) -> Any:
            yield b'{"repositories": []}'

    return AWSResponse("https://ecr", 200, {}, Raw())
