"""ecrctl registry scanning|replication against moto in-process (moto keeps both faithfully).

Pull-through cache rules, account settings (blob mounting) and image replication status are
not in moto: tests/cli/test_registry_stubbed_cli.py covers them with botocore's Stubber.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

ACCOUNT = "123456789012"


def config(ecr: Any) -> dict[str, Any]:
    return dict(ecr.get_registry_scanning_configuration()["scanningConfiguration"])


def test_scanning_set_enhanced_continuous_then_a_second_run_changes_nothing(
    cli: Any, ecr: Any
) -> None:
    first = cli("-o", "json", "registry", "scanning", "set", "--enhanced", "--yes")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["changed"] is True
    assert config(ecr) == {
        "scanType": "ENHANCED",
        "rules": [
            {
                "scanFrequency": "CONTINUOUS_SCAN",
                "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}],
            }
        ],
    }
    second = cli("-o", "json", "registry", "scanning", "set", "--enhanced", "--continuous")
    assert second.exit_code == 0, second.stderr  # no --yes needed: nothing to change
    assert json.loads(second.stdout)["changed"] is False
    assert "nothing changed" in second.stderr


def test_scanning_on_push_with_filters_and_back_to_basic(cli: Any, ecr: Any) -> None:
    args = ("registry", "scanning", "set", "--enhanced", "--on-push")
    assert cli(*args, "--filter", "prod/*", "--filter", "api", "--yes").exit_code == 0
    rule = config(ecr)["rules"][0]
    assert rule["scanFrequency"] == "SCAN_ON_PUSH"
    assert [f["filter"] for f in rule["repositoryFilters"]] == ["api", "prod/*"]
    shown = cli("registry", "scanning", "show")
    assert shown.stdout == "ENHANCED, SCAN_ON_PUSH: api,prod/*\n"
    assert cli("registry", "scanning", "set", "--basic", "--yes").exit_code == 0
    assert config(ecr) == {"scanType": "BASIC", "rules": []}


def test_scanning_set_asks_off_a_terminal_and_dry_run_changes_nothing(cli: Any, ecr: Any) -> None:
    refused = cli("registry", "scanning", "set", "--enhanced")
    assert refused.exit_code == 2 and "pass --yes" in refused.stderr
    dry = cli("-o", "json", "registry", "scanning", "set", "--enhanced", "--dry-run")
    assert dry.exit_code == 0
    doc = json.loads(dry.stdout)
    assert doc["changed"] is False and doc["wouldChange"] is True
    assert config(ecr)["scanType"] == "BASIC"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "choose one of --enhanced or --basic"),
        (["--enhanced", "--basic"], "choose one of --enhanced or --basic"),
        (["--basic", "--continuous"], "--continuous needs --enhanced"),
        (["--enhanced", "--filter", "Prod/*"], "invalid --filter"),
        (["--enhanced", "--continuous", "--on-push"], "choose one of --continuous"),
    ],
)
def test_scanning_bad_input_is_exit_2_before_any_call(
    cli: Any, args: list[str], message: str
) -> None:
    result = cli("registry", "scanning", "set", *args, "--yes")
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr


def destinations(ecr: Any) -> list[dict[str, str]]:
    rules = ecr.describe_registry().get("replicationConfiguration", {}).get("rules", [])
    return [d for rule in rules for d in rule["destinations"]]


def test_replication_set_show_remove_each_idempotent(cli: Any, ecr: Any) -> None:
    added = cli("registry", "replication", "set", "--to-region", "eu-west-1", "--yes")
    assert added.exit_code == 0, added.stderr
    assert destinations(ecr) == [{"region": "eu-west-1", "registryId": ACCOUNT}]
    again = cli("-o", "json", "registry", "replication", "set", "--to-region", "eu-west-1")
    assert again.exit_code == 0 and json.loads(again.stdout)["changed"] is False
    assert "nothing changed" in again.stderr
    assert cli("registry", "replication", "show").stdout == f"eu-west-1\t{ACCOUNT}\t*\n"

    removed = cli("registry", "replication", "remove", "--to-region", "eu-west-1", "--yes")
    assert removed.exit_code == 0, removed.stderr
    assert destinations(ecr) == []
    twice = cli("registry", "replication", "remove", "--to-region", "eu-west-1")
    assert twice.exit_code == 0 and "nothing changed" in twice.stderr


def test_replication_with_a_prefix_filter(cli: Any, ecr: Any) -> None:
    result = cli(
        "registry", "replication", "set", "--to-region", "us-west-2", "--prefix", "prod/", "--yes"
    )
    assert result.exit_code == 0, result.stderr
    rule = ecr.describe_registry()["replicationConfiguration"]["rules"][0]
    assert rule["repositoryFilters"] == [{"filter": "prod/", "filterType": "PREFIX_MATCH"}]


def test_cross_account_replication_prints_the_destination_policy(cli: Any, ecr: Any) -> None:
    result = cli(
        "-o", "json", "registry", "replication", "set",
        "--to-region", "eu-west-1", "--to-account", "222233334444", "--yes",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    statement = json.loads(result.stdout)["destinationPolicyStatement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert statement["Action"] == ["ecr:CreateRepository", "ecr:ReplicateImage"]
    assert statement["Resource"] == "arn:aws:ecr:eu-west-1:222233334444:repository/*"
    assert (
        '"ecr:ReplicateImage"' in result.stderr and "--apply-destination-profile" in result.stderr
    )
    assert destinations(ecr) == [{"region": "eu-west-1", "registryId": "222233334444"}]


def test_replication_to_itself_is_refused_locally(cli: Any, ecr: Any) -> None:
    result = cli("registry", "replication", "set", "--to-region", "us-east-1", "--yes")
    assert result.exit_code == 2 and "this registry itself" in result.stderr
    assert destinations(ecr) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["set"], "--to-region REGION is required"),
        (["set", "--to-region", "Europe"], "invalid --to-region"),
        (["set", "--to-region", "eu-west-1", "--to-account", "12345"], "invalid --to-account"),
        (["set", "--to-region", "eu-west-1", "--prefix", "Prod"], "invalid --prefix"),
        (
            ["set", "--to-region", "eu-west-1", "--apply-destination-profile", "x"],
            "another account",
        ),
        (["remove"], "--to-region REGION"),
        (["remove", "--all", "--to-region", "eu-west-1"], "--all removes every"),
    ],
)
def test_replication_bad_input_is_exit_2(cli: Any, ecr: Any, args: list[str], message: str) -> None:
    result = cli("registry", "replication", *args, "--yes")
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert destinations(ecr) == []


def test_apply_destination_profile_puts_the_statement_in_the_other_registry(
    cli: Any, ecr: Any, isolated_env: Any
) -> None:
    """moto keeps one registry per account: the destination profile's keys are a role's in
    account 222233334444 (moto maps assumed-role keys to that account)."""
    import boto3

    dest_account = "222233334444"
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{dest_account}:role/admin", RoleSessionName="test"
    )["Credentials"]
    (isolated_env / "aws-credentials").write_text(
        "[dest]\n"
        f"aws_access_key_id = {creds['AccessKeyId']}\n"
        f"aws_secret_access_key = {creds['SecretAccessKey']}\n"
        f"aws_session_token = {creds['SessionToken']}\n"
    )
    args = (
        "-o", "json", "registry", "replication", "set", "--to-region", "eu-west-1",
        "--to-account", dest_account, "--apply-destination-profile", "dest", "--yes",
    )  # fmt: skip
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    dest = boto3.client(
        "ecr",
        region_name="eu-west-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    policy = json.loads(dest.get_registry_policy()["policyText"])
    assert [s["Sid"] for s in policy["Statement"]] == [f"ReplicationFrom{ACCOUNT}"]
    assert json.loads(result.stdout)["destinationPolicy"]["changed"] is True
    assert destinations(ecr) == [{"region": "eu-west-1", "registryId": dest_account}]

    again = cli(*args)
    assert again.exit_code == 0, again.stderr
    doc = json.loads(again.stdout)
    assert doc["changed"] is False and doc["destinationPolicy"]["changed"] is False
    assert "already allows replication" in again.stderr


def test_apply_destination_profile_of_the_wrong_account_is_refused(
    cli: Any, ecr: Any, isolated_env: Any
) -> None:
    (isolated_env / "aws-credentials").write_text(
        "[dest]\naws_access_key_id = other\naws_secret_access_key = other\n"
    )  # moto's default account, not the destination
    result = cli(
        "registry", "replication", "set", "--to-region", "eu-west-1",
        "--to-account", "222233334444", "--apply-destination-profile", "dest", "--yes",
    )  # fmt: skip
    assert result.exit_code == 2
    assert f"is account {ACCOUNT}, not the destination 222233334444" in result.stderr
    assert destinations(ecr) == []
