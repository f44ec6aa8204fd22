"""core/lifecycle/change: the PolicyChange of `ecrctl lifecycle put` against moto in-process.

moto stores lifecycle policies and lists images faithfully but never evaluates a policy; the
evaluation here is ecrctl's own, on the images moto lists."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import NotFound
from ecrctl.core.lifecycle.builder import build_policy
from ecrctl.core.lifecycle.change import apply_policy_change, evaluate_on, plan_policy_change
from ecrctl.core.lifecycle.preview import LifecycleService
from ecrctl.sandbox.images import seed_repository

REPO = "team/app"
KEEP_ONE = build_policy(keep_last=1)
KEEP_FIVE = build_policy(keep_last=5)


@pytest.fixture
def service(ecr: Any) -> LifecycleService:
    ecr.create_repository(repositoryName=REPO)
    seed_repository(ecr, REPO, ["v1", "v2", "v3"])
    return LifecycleService(EcrRegistry(ecr))


def now() -> datetime:
    return datetime.now(UTC)


def test_first_policy_diffs_from_nothing_and_counts_what_it_expires(
    service: LifecycleService,
) -> None:
    change = plan_policy_change(service, REPO, KEEP_ONE, at=now())
    assert change.changed and change.current is None and not change.put
    assert change.diff[:3] == [f"--- {REPO} (no policy)", f"+++ {REPO} (new)", "@@ -0,0 +1,16 @@"]
    body = change.diff[3:]
    assert len(body) == 16 and all(line.startswith("+") for line in body)
    assert '+        "countNumber": 1' in body
    # Keep one of three: two expire (moto pushes them within the same second; which two is
    # not the point here).
    assert change.expiring == 2 and len(change.evaluation.affected) == 2
    doc = change.to_json()
    keys = ["repository", "changed", "put", "policy", "at", "summary", "affected", "later"]
    assert list(doc) == keys
    assert (doc["changed"], doc["put"], doc["summary"]["expire"]) == (True, False, 2)
    assert doc["policy"] == json.loads(KEEP_ONE.text)


def test_the_same_policy_written_differently_is_no_change(
    ecr: Any, service: LifecycleService
) -> None:
    spaced = json.dumps(json.loads(KEEP_ONE.text), indent=4)
    ecr.put_lifecycle_policy(repositoryName=REPO, lifecyclePolicyText=spaced)
    change = plan_policy_change(service, REPO, KEEP_ONE, at=now())
    assert not change.changed and change.diff == []
    assert change.to_json()["changed"] is False
    assert change.expiring == 2  # what it does is still reported


def test_a_new_policy_diffs_against_the_current_one(ecr: Any, service: LifecycleService) -> None:
    ecr.put_lifecycle_policy(repositoryName=REPO, lifecyclePolicyText=KEEP_FIVE.text)
    change = plan_policy_change(service, REPO, KEEP_ONE, at=now())
    assert change.diff[:2] == [f"--- {REPO} (current)", f"+++ {REPO} (new)"]
    changed = [line for line in change.diff[2:] if line[:1] in "+-"]
    assert changed == [
        '-      "description": "Keep the 5 most recently pushed images",',
        '+      "description": "Keep the 1 most recently pushed images",',
        '-        "countNumber": 5',
        '+        "countNumber": 1',
    ]
    assert change.expiring == 2
    assert plan_policy_change(service, REPO, KEEP_FIVE, at=now()).expiring == 0


def test_apply_puts_the_policy_and_a_second_plan_finds_nothing_to_change(
    ecr: Any, service: LifecycleService
) -> None:
    change = apply_policy_change(service, plan_policy_change(service, REPO, KEEP_ONE, at=now()))
    assert change.put and change.to_json()["put"] is True
    stored = ecr.get_lifecycle_policy(repositoryName=REPO)["lifecyclePolicyText"]
    assert json.loads(stored) == json.loads(KEEP_ONE.text)
    assert not plan_policy_change(service, REPO, KEEP_ONE, at=now()).changed


def test_a_missing_repository_is_not_found_before_anything_is_put(ecr: Any) -> None:
    with pytest.raises(NotFound, match="repository team/none not found"):
        plan_policy_change(LifecycleService(EcrRegistry(ecr)), "team/none", KEEP_ONE, at=now())


def test_evaluate_on_the_current_policy(ecr: Any, service: LifecycleService) -> None:
    with pytest.raises(NotFound, match="has no lifecycle policy"):
        evaluate_on(service, REPO, None, now())
    ecr.put_lifecycle_policy(repositoryName=REPO, lifecyclePolicyText=KEEP_ONE.text)
    evaluated = evaluate_on(service, REPO, None, now())
    assert json.loads(evaluated.policy.text) == json.loads(KEEP_ONE.text)
    assert evaluated.evaluation.count("expire") == 2 and evaluated.unread == ()
