"""The repository policy use cases (core/access/policy_change.py) on moto: each plan reads the
current policy and changes nothing; apply makes exactly the planned change and says so."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecrctl.core.access.policy_change import (
    apply_policy_change,
    plan_grant_pull,
    plan_policy_delete,
    plan_policy_set,
    plan_revoke_pull,
)
from ecrctl.core.access.repo_policy import RepositoryPolicies
from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import NotFound

OTHER = "222222222222"
OWN_STATEMENT = {
    "Sid": "Own",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
    "Action": ["ecr:BatchGetImage"],
}


@pytest.fixture
def policies(ecr: Any) -> RepositoryPolicies:
    ecr.create_repository(repositoryName="app")
    return RepositoryPolicies(EcrRegistry(ecr))


def stored(ecr: Any) -> Any:
    try:
        return json.loads(ecr.get_repository_policy(repositoryName="app")["policyText"])
    except ecr.exceptions.RepositoryPolicyNotFoundException:
        return None


def test_grant_is_planned_without_a_call_that_writes_then_applied(
    ecr: Any, policies: RepositoryPolicies
) -> None:
    change = plan_grant_pull(policies, "app", accounts=[OTHER], orgs=[], region="us-east-1")
    assert (change.before, change.changed, change.applied, change.status) == (
        None,
        True,
        False,
        "would change",
    )
    assert f'+        "AWS": "arn:aws:iam::{OTHER}:root"' in change.diff
    assert change.pull_access.accounts == [OTHER]
    assert stored(ecr) is None  # planning wrote nothing
    assert change.to_json() == {
        "repository": "app",
        "changed": False,
        "policy": change.after,
        "pullAccess": {"accounts": [OTHER], "principals": [], "orgs": [], "anyone": False},
    }
    done = apply_policy_change(policies, change)
    assert (done.applied, done.status, done.to_json()["changed"]) == (True, "changed", True)
    assert stored(ecr) == change.after

    again = plan_grant_pull(policies, "app", accounts=[OTHER], orgs=[], region="us-east-1")
    assert (again.changed, again.status, again.diff) == (False, "unchanged", "")
    assert "pullAccess" not in again.to_json()
    assert apply_policy_change(policies, again).applied is False  # nothing to do, nothing done


def test_revoke_names_who_another_statement_still_lets_pull(
    ecr: Any, policies: RepositoryPolicies
) -> None:
    own = {"Version": "2012-10-17", "Statement": [OWN_STATEMENT]}
    apply_policy_change(policies, plan_policy_set(policies, "app", own))
    granted = plan_grant_pull(policies, "app", accounts=[OTHER], orgs=["o-abcdefghij"])
    apply_policy_change(policies, granted)
    revoke = plan_revoke_pull(policies, "app", accounts=[OTHER], orgs=["o-abcdefghij"])
    assert revoke.still_pulling == (OTHER,)  # through "Own", which ecrctl does not manage
    assert revoke.after == own
    apply_policy_change(policies, revoke)
    assert stored(ecr) == own


def test_revoking_the_last_statement_deletes_the_policy(
    ecr: Any, policies: RepositoryPolicies
) -> None:
    apply_policy_change(policies, plan_grant_pull(policies, "app", accounts=[OTHER], orgs=[]))
    revoke = plan_revoke_pull(policies, "app", accounts=[OTHER], orgs=[])
    assert revoke.after is None and revoke.still_pulling == ()
    assert apply_policy_change(policies, revoke).applied
    assert stored(ecr) is None


def test_delete_plans_against_the_current_policy_and_refuses_none(
    ecr: Any, policies: RepositoryPolicies
) -> None:
    with pytest.raises(NotFound, match="app has no repository policy"):
        plan_policy_delete(policies, "app")
    own = {"Version": "2012-10-17", "Statement": [OWN_STATEMENT]}
    apply_policy_change(policies, plan_policy_set(policies, "app", own))
    delete = plan_policy_delete(policies, "app")
    assert (delete.before, delete.after, delete.pull_access.summary()) == (
        own,
        None,
        "own account only",
    )
    assert stored(ecr) == own
    assert apply_policy_change(policies, delete).to_json() == {
        "repository": "app",
        "changed": True,
        "policy": None,
        "pullAccess": {"accounts": [], "principals": [], "orgs": [], "anyone": False},
    }
    assert stored(ecr) is None


def test_a_missing_repository_is_not_found_when_planning(policies: RepositoryPolicies) -> None:
    with pytest.raises(NotFound):
        plan_grant_pull(policies, "absent", accounts=[OTHER], orgs=[])
