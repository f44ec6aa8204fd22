"""The registry setting use cases (core/registry/change.py, replication_change.py,
pullthrough_change.py): plans that write nothing, results that say what was written.

Scanning and replication on moto (faithful for both); pull-through cache rules, which moto
lacks, with botocore's Stubber on ECR and moto's Secrets Manager."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.registry import pullthrough as pt
from ecrctl.core.registry.change import SettingPlan, plan_scanning
from ecrctl.core.registry.pullthrough_change import apply_pull_through_add, plan_pull_through_add
from ecrctl.core.registry.replication_change import plan_replication_add, plan_replication_remove
from ecrctl.core.registry.settings import SettingChange, desired_scanning

ACCOUNT = "123456789012"
DEST = "222233334444"


def destinations(ecr: Any) -> list[dict[str, str]]:
    rules = ecr.describe_registry().get("replicationConfiguration", {}).get("rules", [])
    return [d for rule in rules for d in rule["destinations"]]


def test_a_setting_plan_puts_only_a_change() -> None:
    made: list[SettingChange] = []
    same = SettingPlan(SettingChange("x", {"a": 1}, {"a": 1}), made.append)
    assert same.apply().to_json() == {
        "setting": "x",
        "before": {"a": 1},
        "after": {"a": 1},
        "changed": False,
        "wouldChange": False,
        "dryRun": False,
    }
    assert made == []
    other = SettingPlan(SettingChange("x", "DISABLED", "ENABLED"), made.append)
    dry = other.dry_run().to_json()
    assert (dry["changed"], dry["wouldChange"], dry["dryRun"], made) == (False, True, True, [])
    result = other.apply()
    assert (result.applied, result.to_json()["changed"], made) == (True, True, [other.change])


def test_scanning_plan_then_apply(ecr: Any) -> None:
    registry = EcrRegistry(ecr)
    plan = plan_scanning(registry, desired_scanning(enhanced=True, frequency=None, filters=[]))
    assert plan.changed and plan.change.before == {"scanType": "BASIC", "rules": []}
    assert ecr.get_registry_scanning_configuration()["scanningConfiguration"]["scanType"] == "BASIC"
    assert plan.apply().applied
    config = ecr.get_registry_scanning_configuration()["scanningConfiguration"]
    assert config["scanType"] == "ENHANCED"
    again = plan_scanning(registry, desired_scanning(enhanced=True, frequency=None, filters=[]))
    assert not again.changed and not again.apply().applied


def test_replication_in_the_same_account_needs_no_destination_policy(ecr: Any) -> None:
    registry = EcrRegistry(ecr)
    plan = plan_replication_add(
        registry, region="eu-west-1", source_region="us-east-1", account=None, prefixes=[]
    )
    assert (plan.registry_id, plan.account, plan.cross_account) == (ACCOUNT, ACCOUNT, False)
    assert plan.statement is None and plan.destination_policy is None
    assert destinations(ecr) == []
    assert plan.replication.apply().applied
    assert destinations(ecr) == [{"region": "eu-west-1", "registryId": ACCOUNT}]
    with pytest.raises(InvalidInput, match="is for another account"):
        plan_replication_add(
            registry,
            region="eu-west-2",
            source_region="us-east-1",
            account=ACCOUNT,
            prefixes=[],
            destination_profile="dest",
            open_destination=lambda profile, region: pytest.fail("opened"),
        )
    remove = plan_replication_remove(registry, region="eu-west-1", account=None, everything=False)
    assert remove.change.after == {"rules": []} and remove.apply().applied
    assert destinations(ecr) == []


def test_another_account_gets_the_statement_and_with_its_profile_its_policy(ecr: Any) -> None:
    registry = EcrRegistry(ecr)
    plain = plan_replication_add(
        registry, region="eu-west-1", source_region="us-east-1", account=DEST, prefixes=["prod/"]
    )
    assert plain.cross_account and plain.destination_policy is None
    assert plain.statement is not None and plain.statement["Sid"] == f"ReplicationFrom{ACCOUNT}"

    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{DEST}:role/admin", RoleSessionName="test"
    )["Credentials"]  # moto keeps one registry per account: this role's is DEST's
    dest = boto3.client(
        "ecr",
        region_name="eu-west-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    opened: list[tuple[str, str]] = []

    def open_destination(profile: str, region: str) -> EcrRegistry:
        opened.append((profile, region))
        return EcrRegistry(dest)

    plan = plan_replication_add(
        registry,
        region="eu-west-1",
        source_region="us-east-1",
        account=DEST,
        prefixes=["prod/"],
        destination_profile="dest",
        open_destination=open_destination,
    )
    assert opened == [("dest", "eu-west-1")] and plan.destination_policy is not None
    policy = plan.destination_policy
    assert policy.changed and policy.change.before is None
    with pytest.raises(dest.exceptions.RegistryPolicyNotFoundException):
        dest.get_registry_policy()  # planning wrote nothing
    assert policy.apply().applied and plan.replication.apply().applied
    assert destinations(ecr) == [{"region": "eu-west-1", "registryId": DEST}]
    assert f"ReplicationFrom{ACCOUNT}" in dest.get_registry_policy()["policyText"]

    with pytest.raises(InvalidInput, match=f"is account {DEST}, not the destination 333344445555"):
        plan_replication_add(
            registry,
            region="eu-west-1",
            source_region="us-east-1",
            account="333344445555",
            prefixes=[],
            destination_profile="dest",
            open_destination=open_destination,
        )


@pytest.fixture
def stubbed_ecr() -> Iterator[tuple[Any, Stubber]]:
    with mock_aws():
        client = boto3.client("ecr", region_name="us-east-1")
        with Stubber(client) as stub:
            yield client, stub
            stub.assert_no_pending_responses()


def test_pull_through_with_a_login_writes_the_secret_then_the_rule(
    stubbed_ecr: tuple[Any, Stubber],
) -> None:
    ecr, stub = stubbed_ecr
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    stub.add_client_error(
        "describe_pull_through_cache_rules",
        "PullThroughCacheRuleNotFoundException",
        expected_params={"ecrRepositoryPrefixes": ["docker-hub"]},
    )
    login = {"username": "bot", "accessToken": "dckr_pat_secret"}
    source = pt.upstream("docker.io")
    plan = plan_pull_through_add(
        EcrRegistry(ecr), "docker-hub", source, login=login, secrets=lambda: sm
    )
    assert (plan.secret_action, plan.rule_action) == ("create", "create")
    assert plan.steps == [
        "create secret ecr-pullthroughcache/docker-hub",
        "create pull-through cache rule docker-hub -> registry-1.docker.io",
    ]
    assert "dckr_pat_secret" not in repr(plan)
    assert sm.list_secrets()["SecretList"] == []  # planning wrote nothing
    assert plan.to_json(dry_run=True) == {
        "name": "docker-hub",
        "upstreamRegistryUrl": "registry-1.docker.io",
        "upstreamRegistry": "docker-hub",
        "credentialArn": None,
        "changed": False,
        "wouldChange": True,
        "dryRun": True,
    }
    created: dict[str, Any] = {}
    stub.add_response(
        "create_pull_through_cache_rule",
        {"ecrRepositoryPrefix": "docker-hub", "upstreamRegistryUrl": "registry-1.docker.io"},
    )
    ecr.meta.events.register(
        "provide-client-params.ecr.CreatePullThroughCacheRule",
        lambda params, **_: created.update(params),
    )
    done = apply_pull_through_add(EcrRegistry(ecr), plan, lambda: sm)
    arn = sm.describe_secret(SecretId="ecr-pullthroughcache/docker-hub")["ARN"]
    assert created["credentialArn"] == arn == done.rule.credential_arn
    assert done.to_json(dry_run=False)["changed"] is True and done.applied


def test_pull_through_already_there_has_no_step(stubbed_ecr: tuple[Any, Stubber]) -> None:
    ecr, stub = stubbed_ecr
    arn = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:ecr-pullthroughcache/quay-AbCdEf"
    stub.add_response(
        "describe_pull_through_cache_rules",
        {
            "pullThroughCacheRules": [
                {
                    "ecrRepositoryPrefix": "quay",
                    "upstreamRegistryUrl": "quay.io",
                    "createdAt": datetime(2026, 1, 2, tzinfo=UTC),
                    "registryId": ACCOUNT,
                    "credentialArn": arn,
                }
            ]
        },
        {"ecrRepositoryPrefixes": ["quay"]},
    )
    plan = plan_pull_through_add(EcrRegistry(ecr), "quay", pt.upstream("quay.io"), secret_arn=arn)
    assert (plan.steps, plan.changed, plan.secret_action, plan.rule_action) == (
        [],
        False,
        "none",
        "none",
    )
