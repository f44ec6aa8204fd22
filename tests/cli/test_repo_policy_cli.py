"""repo grant-pull / revoke-pull / policy set|get|delete and repo show's "may pull", on moto."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def policy_of(ecr: Any) -> dict[str, Any]:
    return json.loads(ecr.get_repository_policy(repositoryName="app")["policyText"])


def test_grant_pull_needs_yes_off_a_terminal_and_dry_run_changes_nothing(
    cli: Any, ecr: Any
) -> None:
    ecr.create_repository(repositoryName="app")
    refused = cli("repo", "grant-pull", "app", "--account", "222222222222")
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    dry = cli("repo", "grant-pull", "app", "--account", "222222222222", "--dry-run")
    assert dry.exit_code == 0
    assert '+        "AWS": "arn:aws:iam::222222222222:root"' in dry.stderr
    assert "dry run" in dry.stderr
    missing = ecr.exceptions.RepositoryPolicyNotFoundException
    try:
        ecr.get_repository_policy(repositoryName="app")
        raise AssertionError("a dry run set a policy")
    except missing:
        pass


def test_grant_revoke_round_trip_keeps_a_hand_written_statement(
    cli: Any, ecr: Any, tmp_path: Path
) -> None:
    ecr.create_repository(repositoryName="app")
    own = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CiPush",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::999999999999:role/ci"},
                "Action": ["ecr:PutImage"],
            }
        ],
    }
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(own))
    assert cli("repo", "policy", "set", "app", str(path), "--yes").exit_code == 0
    done = cli(
        "repo", "grant-pull", "app", "--account", "222222222222", "--org", "o-abcdefghij", "--yes"
    )
    assert done.exit_code == 0, done.stderr
    statements = {s["Sid"]: s for s in policy_of(ecr)["Statement"]}
    assert set(statements) == {"CiPush", "EcrctlPull", "EcrctlPullOrg"}
    shown = cli("repo", "show", "app", "-o", "json")
    assert json.loads(shown.stdout)["mayPull"] == "accounts 222222222222; orgs o-abcdefghij"
    again = cli("repo", "grant-pull", "app", "--account", "222222222222", "--yes")
    assert again.exit_code == 0 and "nothing to change" in again.stderr
    cli("repo", "revoke-pull", "app", "--account", "222222222222", "--org", "o-abcdefghij", "--yes")
    assert policy_of(ecr) == own
    assert cli("repo", "policy", "delete", "app", "--yes").exit_code == 0
    assert cli("repo", "policy", "get", "app").exit_code == 3


def test_policy_set_refuses_a_bad_file_before_any_call(cli: Any, ecr: Any, tmp_path: Path) -> None:
    ecr.create_repository(repositoryName="app")
    path = tmp_path / "bad.json"
    path.write_text('{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}')
    done = cli("repo", "policy", "set", "app", str(path), "--yes")
    assert done.exit_code == 2
    assert "not an ECR action" in done.stderr
    bad_account = cli("repo", "grant-pull", "app", "--account", "12", "--yes")
    assert bad_account.exit_code == 2 and "12-digit" in bad_account.stderr
