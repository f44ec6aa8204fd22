"""The installed ecrctl against a moto server: registry settings and IAM wiring, end to end."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

pytestmark = pytest.mark.e2e

ACCOUNT = "123456789012"


def test_scanning_and_replication_flows(run_ecrctl: Any, moto_server: str) -> None:
    ecr = boto3.client("ecr", region_name="us-east-1", endpoint_url=moto_server)
    set_scan = run_ecrctl("registry", "scanning", "set", "--enhanced", "--on-push", "--yes")
    assert set_scan.exit_code == 0, set_scan.stderr
    assert run_ecrctl("registry", "scanning", "show").stdout == "ENHANCED, SCAN_ON_PUSH: *\n"
    assert ecr.get_registry_scanning_configuration()["scanningConfiguration"]["scanType"] == (
        "ENHANCED"
    )

    replicate = ("registry", "replication", "set", "--to-region", "eu-west-1", "--prefix", "prod")
    off_terminal = run_ecrctl(*replicate)
    assert off_terminal.exit_code == 2 and "pass --yes" in off_terminal.stderr
    assert run_ecrctl(*replicate, "--yes").exit_code == 0
    second = run_ecrctl("-o", "json", *replicate)
    assert second.exit_code == 0 and json.loads(second.stdout)["changed"] is False
    shown = run_ecrctl("registry", "replication", "show")
    assert shown.stdout == f"eu-west-1\t{ACCOUNT}\tprod\n"
    removed = run_ecrctl("registry", "replication", "remove", "--all", "--yes")
    assert removed.exit_code == 0, removed.stderr
    assert ecr.describe_registry()["replicationConfiguration"]["rules"] == []


def test_registry_show_says_which_sections_the_endpoint_lacks(run_ecrctl: Any) -> None:
    """moto answers no pull-through or account-setting call: those sections say so, exit 1."""
    result = run_ecrctl("-o", "json", "registry", "show")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["scanning"] == {"scanType": "BASIC", "rules": []}
    assert set(doc["errors"]) >= {"pullThroughCacheRules"}
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("ecrctl: could not read ")


def test_policy_attach_role_and_detach(run_ecrctl: Any, moto_server: str) -> None:
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=moto_server)
    iam.create_role(RoleName="codebuild-app", AssumeRolePolicyDocument="{}")
    attach = ("policy", "push", "--repository", "app", "--attach-role", "codebuild-app")
    dry = run_ecrctl(*attach, "--dry-run")
    assert dry.exit_code == 0 and "+++ role codebuild-app (new)" in dry.stderr
    assert iam.list_role_policies(RoleName="codebuild-app")["PolicyNames"] == []
    assert run_ecrctl(*attach, "--yes").exit_code == 0
    stored = iam.get_role_policy(RoleName="codebuild-app", PolicyName="ecrctl-push")
    assert stored["PolicyDocument"]["Statement"][1]["Resource"] == (
        f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/app"
    )
    same = run_ecrctl(*attach)
    assert same.exit_code == 0 and "nothing changed" in same.stderr
    assert run_ecrctl(*attach, "--detach", "--yes").exit_code == 0
    assert iam.list_role_policies(RoleName="codebuild-app")["PolicyNames"] == []
