"""Repository policies: local checks, and grant/revoke touching only ecrctl's pull statements."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecrctl.core.access.repo_policy import (
    PULL_ACTIONS,
    grant_pull,
    parse_policy,
    pull_access,
    revoke_pull,
)
from ecrctl.core.exceptions import InvalidInput

PUSH_FROM_CI: dict[str, Any] = {
    "Sid": "CiPush",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::999999999999:role/ci"},
    "Action": ["ecr:PutImage", "ecr:InitiateLayerUpload"],
}


def current() -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [dict(PUSH_FROM_CI)]}


def test_grant_adds_the_least_privilege_statement_and_keeps_the_others() -> None:
    new = grant_pull(current(), accounts=["222222222222", "111111111111"], orgs=[])
    assert new["Statement"][0] == PUSH_FROM_CI
    added = new["Statement"][1]
    assert sorted(added["Action"]) == sorted(PULL_ACTIONS)
    assert added["Principal"]["AWS"] == [
        "arn:aws:iam::111111111111:root",
        "arn:aws:iam::222222222222:root",
    ]
    assert grant_pull(new, accounts=["111111111111"], orgs=[]) == new  # idempotent


def test_org_grant_is_a_principal_org_condition() -> None:
    new = grant_pull(None, accounts=[], orgs=["o-abcdefghij"])
    (statement,) = new["Statement"]
    assert statement["Principal"] == "*"
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}
    assert pull_access(new).orgs == ["o-abcdefghij"] and not pull_access(new).anyone


def test_revoke_removes_only_those_principals() -> None:
    granted = grant_pull(current(), accounts=["111111111111", "222222222222"], orgs=[])
    revoked = revoke_pull(granted, accounts=["111111111111"], orgs=[])
    assert revoked is not None
    assert revoked["Statement"][0] == PUSH_FROM_CI
    assert revoked["Statement"][1]["Principal"]["AWS"] == "arn:aws:iam::222222222222:root"
    emptied = revoke_pull(revoked, accounts=["222222222222"], orgs=[])
    assert emptied == current()
    assert revoke_pull(current(), accounts=["222222222222"], orgs=[]) == current()
    only_ours = grant_pull(None, accounts=["111111111111"], orgs=[])
    assert revoke_pull(only_ours, accounts=["111111111111"], orgs=[]) is None


def test_pull_access_reads_hand_written_statements() -> None:
    doc = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "444444444444"}, "Action": "ecr:*"},
            {"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"},
            {"Effect": "Allow", "Principal": {"AWS": "555555555555"}, "Action": "ecr:PutImage"},
        ]
    }
    access = pull_access(doc)
    assert access.accounts == ["444444444444"]
    assert access.anyone
    assert "ANYONE" in access.summary()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"Statement": []}', "non-empty"),
        ('{"Statement":[{"Effect":"Allow","Action":"ecr:BatchGetImage"}]}', "Principal"),
        ('{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:Get*"}]}', "not an ECR"),
        (
            '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:PullAll"}]}',
            "ecr:PullAll",
        ),
        ('{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"ecr:*"}]}', "Effect"),
    ],
)
def test_bad_policies_are_refused_locally(text: str, said: str) -> None:
    with pytest.raises(InvalidInput, match=said):
        parse_policy(text)


def test_size_limit_and_wildcards() -> None:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "ecr:Batch*", "Sid": "x" * 11000}
    with pytest.raises(InvalidInput, match="10240"):
        parse_policy(json.dumps({"Statement": [statement]}))
    statement["Sid"] = "Ok"
    assert parse_policy(json.dumps({"Statement": [statement]}))["Statement"][0]["Sid"] == "Ok"
