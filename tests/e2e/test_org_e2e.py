"""The installed ecrctl over an AWS Organization on a moto server (Organizations, STS, ECR over
HTTP): --accounts org / org:OU / ID,ID, each account reached through AssumeRole."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from ecrctl.sandbox.images import put_synthetic, synthetic_manifest
from tests.ecrproxy import JSON_TYPE, Reply, ecr_error, query_error
from tests.org_env import (
    EXTERNAL_ID,
    MANAGEMENT,
    REGIONS,
    ROLE,
    Organization,
    create_organization,
)

pytestmark = pytest.mark.e2e

ROLE_OPTIONS = ("--role-name", ROLE, "--external-id", EXTERNAL_ID)
BOTH = ("--regions", ",".join(REGIONS))


@pytest.fixture
def org(moto_server: str, server_env: dict[str, str]) -> Organization:
    return create_organization(moto_server)


def _rows(stdout: str) -> list[list[str]]:
    return [line.split("\t") for line in stdout.splitlines()]


def test_every_account_of_the_organisation_in_two_regions(run_ecrctl: Any, org: Any) -> None:
    done = run_ecrctl("repo", "list", "--accounts", "org", *ROLE_OPTIONS, *BOTH, "-o", "text")
    assert done.exit_code == 0, done.stderr
    assert done.stderr == ""
    expected = [[MANAGEMENT, "master", region, "app-management"] for region in REGIONS]
    for name, account in org.ids.items():
        expected += [[account, name, region, f"app-{name}"] for region in REGIONS]
    # each account sees its own repositories only, through its own credentials
    assert sorted(_rows(done.stdout)) == sorted(expected)
    as_json = run_ecrctl("repo", "list", "--accounts", "org", *ROLE_OPTIONS, *BOTH, "-o", "json")
    docs = json.loads(as_json.stdout)
    prod = [d for d in docs if d["accountName"] == "prod"]
    assert {(d["account"], d["region"], d["name"]) for d in prod} == {
        (org.ids["prod"], region, "app-prod") for region in REGIONS
    }
    assert "profile" not in docs[0]


def test_whoami_shows_the_assumed_role_of_each_account(run_ecrctl: Any, org: Any) -> None:
    done = run_ecrctl("whoami", "--accounts", "org", *ROLE_OPTIONS, "-o", "json")
    assert done.exit_code == 0, done.stderr
    by_account = {d["account"]: d for d in json.loads(done.stdout)}
    assert set(by_account) == {MANAGEMENT, *org.ids.values()}
    dev = by_account[org.ids["dev"]]
    assert dev["arn"] == f"arn:aws:sts::{org.ids['dev']}:assumed-role/{ROLE}/ecrctl"
    assert dev["credentials"] == "assume-role"
    assert by_account[MANAGEMENT]["credentials"] == "env"  # the caller's own, no AssumeRole


def test_an_explicit_list_of_accounts(run_ecrctl: Any, org: Any) -> None:
    ids = f"{org.ids['stage']},{org.ids['dev']}"
    done = run_ecrctl(
        "repo", "list", "--accounts", ids, *ROLE_OPTIONS, "--regions", "us-east-1", "-o", "text"
    )
    assert done.exit_code == 0, done.stderr
    assert _rows(done.stdout) == [
        [org.ids["stage"], "-", "us-east-1", "app-stage"],
        [org.ids["dev"], "-", "us-east-1", "app-dev"],
    ]


def test_an_organizational_unit_at_any_depth(run_ecrctl: Any, org: Any) -> None:
    client = org.organizations()
    unit = client.create_organizational_unit(ParentId=org.root, Name="workloads")
    unit_id = unit["OrganizationalUnit"]["Id"]
    inner = client.create_organizational_unit(ParentId=unit_id, Name="prod")
    inner_id = inner["OrganizationalUnit"]["Id"]
    client.move_account(
        AccountId=org.ids["dev"], SourceParentId=org.root, DestinationParentId=unit_id
    )
    client.move_account(
        AccountId=org.ids["prod"], SourceParentId=org.root, DestinationParentId=inner_id
    )
    client.close_account(AccountId=org.ids["stage"])  # SUSPENDED: never asked
    done = run_ecrctl(
        "repo", "list", "--accounts", f"org:{unit_id}", *ROLE_OPTIONS, "--regions", "eu-west-1"
    )
    assert done.exit_code == 0, done.stderr
    assert sorted(r[1] for r in _rows(done.stdout)) == ["dev", "prod"]
    everyone = run_ecrctl("repo", "list", "--accounts", "org", *ROLE_OPTIONS)
    assert "stage" not in {r[1] for r in _rows(everyone.stdout)}


def test_where_finds_an_image_in_one_account_of_the_organisation(run_ecrctl: Any, org: Any) -> None:
    image = synthetic_manifest("release")
    put_synthetic(org.ecr(org.ids["stage"], "us-east-1"), "app-stage", image, tag="1.4.2")
    done = run_ecrctl(
        "where", "app-stage:1.4.2", "--accounts", "org", *ROLE_OPTIONS, *BOTH, "-o", "json"
    )
    assert done.exit_code == 0, done.stderr
    found = json.loads(done.stdout)
    assert [(f["account"], f["accountName"], f["region"], f["digest"]) for f in found] == [
        (org.ids["stage"], "stage", "us-east-1", image.digest)
    ]
    nowhere = run_ecrctl("where", "app-stage:9.9.9", "--accounts", "org", *ROLE_OPTIONS)
    assert nowhere.exit_code == 3


def _refuse_role_of(account: str) -> Any:
    """A proxy hook: STS refuses AssumeRole into ``account``, as it does when the role's trust
    policy or its ExternalId condition does not let the caller in."""

    def intercept(operation: str, body: bytes, principal: str) -> Reply | None:
        if operation != "AssumeRole":
            return None
        arn = (parse_qs(body.decode()).get("RoleArn") or [""])[0]
        if f":{account}:" not in arn:
            return None
        return query_error(
            403,
            "AccessDenied",
            f"User: arn:aws:iam::{MANAGEMENT}:user/ci is not authorized to perform: "
            f"sts:AssumeRole on resource: {arn}",
        )

    return intercept


def test_an_account_whose_role_is_refused_is_one_line_and_the_rest_is_shown(
    run_ecrctl: Any, org: Any, ecr_proxy: Any
) -> None:
    proxy = ecr_proxy(latency=0, intercept=_refuse_role_of(org.ids["prod"]))
    done = run_ecrctl(
        "repo",
        "list",
        "--accounts",
        "org",
        *ROLE_OPTIONS,
        *BOTH,
        "-o",
        "text",
        env={"AWS_ENDPOINT_URL": proxy.url},
    )
    assert done.exit_code == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(
        f"ecrctl: account {org.ids['prod']} (prod), regions eu-west-1,us-east-1: access denied"
    )
    assert "sts:AssumeRole" in lines[0]
    shown = {(r[1], r[2]) for r in _rows(done.stdout)}
    assert shown == {(n, r) for n in ("master", "dev", "stage") for r in REGIONS}
    assert proxy.counts["AssumeRole"] == 3  # one per member account, the caller's none
    assert proxy.counts["DescribeRepositories"] == 6


def test_throttling_slows_the_run_down_and_does_not_fail_it(
    run_ecrctl: Any, org: Any, ecr_proxy: Any
) -> None:
    left = {"AssumeRole": 2, "DescribeRepositories": 3}  # the first calls are throttled
    lock = threading.Lock()  # the proxy answers on many threads

    def throttle(operation: str, body: bytes, principal: str) -> Reply | None:
        with lock:
            if left.get(operation, 0) <= 0:
                return None
            left[operation] -= 1
        if operation == "AssumeRole":
            return query_error(400, "Throttling", "Rate exceeded")
        return ecr_error(400, "ThrottlingException", "Rate exceeded")

    proxy = ecr_proxy(latency=0, intercept=throttle)
    done = run_ecrctl(
        "repo",
        "list",
        "--accounts",
        "org",
        *ROLE_OPTIONS,
        *BOTH,
        "-o",
        "text",
        env={"AWS_ENDPOINT_URL": proxy.url},  # AWS_MAX_ATTEMPTS=1: botocore does not retry
    )
    assert done.exit_code == 0, done.stderr
    assert len(done.stdout.splitlines()) == 8
    assert proxy.counts["DescribeRepositories"] == 8 + 3
    assert proxy.counts["AssumeRole"] == 3 + 2  # each member account once, plus the 2 refused
    assert done.stderr.startswith("note: AWS throttled ")


def test_role_name_from_the_environment_or_config_and_checked_before_any_call(
    run_ecrctl: Any, org: Any
) -> None:
    by_env = run_ecrctl(
        "uri", "--accounts", org.ids["dev"], "--regions", "eu-west-1",
        env={"ECRCTL_ROLE_NAME": ROLE},
    )  # fmt: skip
    assert by_env.exit_code == 0, by_env.stderr
    assert by_env.stdout.split("\t")[-1].strip() == (
        f"{org.ids['dev']}.dkr.ecr.eu-west-1.amazonaws.com"
    )
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "ecrctl" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[accounts]\nrole_name = "{ROLE}"\nexternal_id = "{EXTERNAL_ID}"\n')
    by_config = run_ecrctl("tags", "app-dev", "--accounts", org.ids["dev"], "-o", "json")
    assert by_config.exit_code == 0, by_config.stderr
    assert json.loads(by_config.stdout) == []
    config.unlink()
    missing = run_ecrctl("repo", "list", "--accounts", "org")
    assert missing.exit_code == 2
    assert "--role-name NAME" in missing.stderr
    both = run_ecrctl("repo", "list", "--accounts", "org", "--profiles", "dev", *ROLE_OPTIONS)
    assert both.exit_code == 2
    bad = run_ecrctl("repo", "list", "--accounts", "org:team-a", *ROLE_OPTIONS)
    assert bad.exit_code == 2
    assert "organizational unit" in bad.stderr
    alone = run_ecrctl("repo", "list", "--role-name", ROLE)
    assert alone.exit_code == 2
    assert "go with --accounts" in alone.stderr


def test_the_template_names_the_role_the_organisation_is_read_through(
    run_ecrctl: Any, org: Any
) -> None:
    template = run_ecrctl("events", "template", "--read-only-role", "--role-name", ROLE)
    assert template.exit_code == 0, template.stderr
    assert f"Default: {ROLE}" in template.stdout
    deploy = (
        "events", "template", "--deploy", "--trusted-account", MANAGEMENT,
        "--external-id", EXTERNAL_ID, "--role-name", ROLE, "--yes", "-o", "text",
    )  # fmt: skip
    done = run_ecrctl(*deploy, "--regions", "eu-west-1")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.split("\t")[-1].strip() == f"arn:aws:iam::{MANAGEMENT}:role/{ROLE}"
    twice = run_ecrctl(*deploy, "--regions", "eu-west-1,us-east-1")
    assert twice.exit_code == 2
    assert "deploy it in one region" in twice.stderr
    bad = run_ecrctl("events", "template", "--read-only-role", "--role-name", "no spaces")
    assert bad.exit_code == 2
    assert "invalid --role-name" in bad.stderr


def test_images_fail_on_finds_the_account_with_findings(
    run_ecrctl: Any, org: Any, ecr_proxy: Any
) -> None:
    """moto's DescribeImages carries no findings summary: the proxy adds ECR's for prod."""
    image = synthetic_manifest("scanned")
    for name in ("dev", "prod"):
        client = org.ecr(org.ids[name], "eu-west-1")
        client.create_repository(repositoryName="shared")
        put_synthetic(client, "shared", image, tag="1.0")
    prod = org.ids["prod"]

    def findings(operation: str, body: bytes, principal: str) -> Reply | None:
        if operation != "DescribeImages" or not principal.startswith(prod):
            return None
        detail = {
            "registryId": prod,
            "repositoryName": "shared",
            "imageDigest": image.digest,
            "imageTags": ["1.0"],
            "imageSizeInBytes": 100,
            "imagePushedAt": 1.7e9,
            "imageScanStatus": {"status": "COMPLETE"},
            "imageScanFindingsSummary": {"findingSeverityCounts": {"HIGH": 2, "LOW": 1}},
        }
        return Reply(
            200, [("Content-Type", JSON_TYPE)], json.dumps({"imageDetails": [detail]}).encode()
        )

    proxy = ecr_proxy(latency=0, intercept=findings)
    gated = ("images", "shared", "--accounts", "org", *ROLE_OPTIONS, "--regions", "eu-west-1")
    env = {"AWS_ENDPOINT_URL": proxy.url}
    done = run_ecrctl(*gated, "--fail-on", "high", "-o", "text", env=env)
    assert done.exit_code == 5, done.stderr
    assert sorted(r[1] for r in _rows(done.stdout)) == ["dev", "prod"]
    gate = done.stderr.splitlines()[-1]
    assert gate.startswith("ecrctl: 2 finding(s) at HIGH or worse in 1 image(s) (--fail-on HIGH)")
    assert f"account {prod} (prod), region eu-west-1" in gate
    assert org.ids["dev"] not in done.stderr
    assert run_ecrctl(*gated, "--fail-on", "CRITICAL", env=env).exit_code == 0
    assert run_ecrctl(*gated, "--fail-on", "worst", env=env).exit_code == 2


def test_regions_all_is_each_accounts_enabled_regions(
    run_ecrctl: Any, org: Any, ecr_proxy: Any
) -> None:
    proxy = ecr_proxy(latency=0)
    done = run_ecrctl(
        "repo", "list", "--accounts", org.ids["dev"], *ROLE_OPTIONS, "--regions", "all",
        "-o", "text", env={"AWS_ENDPOINT_URL": proxy.url},
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    assert sorted(_rows(done.stdout)) == [
        [org.ids["dev"], "-", region, "app-dev"] for region in sorted(REGIONS)
    ]
    assert proxy.counts["DescribeRegions"] == 1
    assert proxy.counts["DescribeRepositories"] > len(REGIONS)  # every region enabled


def test_login_stores_each_accounts_token(run_ecrctl: Any, org: Any) -> None:
    accounts = f"{MANAGEMENT},{org.ids['dev']}"
    done = run_ecrctl(
        "login", "--accounts", accounts, *ROLE_OPTIONS, "--regions", "eu-west-1", "-o", "json"
    )
    assert done.exit_code == 0, done.stderr
    stored = json.loads(done.stdout)
    assert [d["account"] for d in stored] == [MANAGEMENT, org.ids["dev"]]
    config = json.loads((Path(os.environ["DOCKER_CONFIG"]) / "config.json").read_text())
    assert len(config["auths"]) == 2, config
    helper = run_ecrctl("login", "--accounts", accounts, *ROLE_OPTIONS, "--helper")
    assert helper.exit_code == 2
    assert "drop --helper" in helper.stderr


def test_a_caller_without_credentials_is_one_line_not_one_per_account(
    run_ecrctl: Any, org: Any
) -> None:
    done = run_ecrctl(
        "repo", "list", "--accounts", "org", *ROLE_OPTIONS,
        env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
    )  # fmt: skip
    assert done.exit_code == 4
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "ecrctl: no AWS credentials found: run `aws configure`, set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY, or pass --profile"
    ]
