"""ecrctl registry pull-through / blob-mounting / show, images --replication: what moto lacks.

moto (5.x) implements no pull-through cache call, no GetAccountSetting/PutAccountSetting and no
DescribeImageReplicationStatus, so ECR is botocore's Stubber here, answering with the request
and response shapes of AWS's API reference (botocore checks both against its ECR model). The
Secrets Manager side of ``pull-through add --username`` is moto's, which is faithful.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

ACCOUNT = "123456789012"
SECRET_ARN = (
    f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:ecr-pullthroughcache/docker-hub-AbCdEf"
)
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    with mock_aws():
        client = boto3.client("ecr", region_name="us-east-1")
        with Stubber(client) as stubber:
            monkeypatch.setattr("ecrctl.session.Clients.ecr", lambda self, region=None: client)
            yield stubber
            stubber.assert_no_pending_responses()


def rule(name: str = "docker-hub", credential: str | None = SECRET_ARN) -> dict[str, Any]:
    found: dict[str, Any] = {
        "ecrRepositoryPrefix": name,
        "upstreamRegistryUrl": "registry-1.docker.io",
        "createdAt": CREATED,
        "registryId": ACCOUNT,
        "upstreamRegistry": "docker-hub",
    }
    if credential:
        found["credentialArn"] = credential
    return found


def no_rule(stub: Stubber, name: str = "docker-hub") -> None:
    stub.add_client_error(
        "describe_pull_through_cache_rules",
        "PullThroughCacheRuleNotFoundException",
        expected_params={"ecrRepositoryPrefixes": [name]},
    )


def has_rule(stub: Stubber, found: dict[str, Any]) -> None:
    stub.add_response(
        "describe_pull_through_cache_rules",
        {"pullThroughCacheRules": [found]},
        {"ecrRepositoryPrefixes": [found["ecrRepositoryPrefix"]]},
    )


def test_add_with_a_secret_arn_creates_the_rule_and_a_second_run_changes_nothing(
    cli: Any, stub: Stubber
) -> None:
    no_rule(stub)
    stub.add_response(
        "create_pull_through_cache_rule",
        {k: v for k, v in rule().items() if k != "upstreamRegistry"},
        {
            "ecrRepositoryPrefix": "docker-hub",
            "upstreamRegistryUrl": "registry-1.docker.io",
            "upstreamRegistry": "docker-hub",
            "credentialArn": SECRET_ARN,
        },
    )
    args = ("registry", "pull-through", "add", "docker-hub", "--upstream", "docker.io")
    first = cli("-o", "json", *args, "--secret-arn", SECRET_ARN, "--yes")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["changed"] is True

    has_rule(stub, rule())
    second = cli("-o", "json", *args, "--secret-arn", SECRET_ARN)  # no --yes: nothing to ask
    assert second.exit_code == 0, second.stderr
    assert json.loads(second.stdout)["changed"] is False
    assert "nothing changed" in second.stderr


def test_add_with_username_creates_the_secret_then_the_rule_never_printing_it(
    cli: Any, stub: Stubber
) -> None:
    no_rule(stub)
    created: dict[str, Any] = {}

    def capture(params: dict[str, Any], **_: Any) -> None:
        created.update(params)

    stub.add_response(
        "create_pull_through_cache_rule",
        {"ecrRepositoryPrefix": "docker-hub", "upstreamRegistryUrl": "registry-1.docker.io"},
    )
    stub.client.meta.events.register(
        "provide-client-params.ecr.CreatePullThroughCacheRule", capture
    )
    result = cli(
        "--debug", "registry", "pull-through", "add", "docker-hub", "--upstream", "docker.io",
        "--username", "bot", "--password-stdin", "--yes",
        input="dckr_pat_secret\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "debug: -> secretsmanager.CreateSecret" in result.stderr  # --debug did log it
    assert "dckr_pat_secret" not in result.stdout + result.stderr
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    secret = sm.get_secret_value(SecretId="ecr-pullthroughcache/docker-hub")
    assert json.loads(secret["SecretString"]) == {
        "username": "bot",
        "accessToken": "dckr_pat_secret",
    }
    assert created["credentialArn"] == secret["ARN"]
    assert created["upstreamRegistryUrl"] == "registry-1.docker.io"


def test_add_dry_run_creates_neither_secret_nor_rule(cli: Any, stub: Stubber) -> None:
    no_rule(stub)
    result = cli(
        "registry", "pull-through", "add", "docker-hub", "--upstream", "docker.io",
        "--username", "bot", "--password-stdin", "--dry-run", input="tok\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "dry run: would create secret ecr-pullthroughcache/docker-hub" in result.stderr
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    assert sm.list_secrets()["SecretList"] == []


def test_add_refuses_a_rule_that_caches_another_upstream(cli: Any, stub: Stubber) -> None:
    has_rule(stub, {**rule(credential=None), "upstreamRegistryUrl": "quay.io"})
    result = cli("registry", "pull-through", "add", "docker-hub", "--upstream", "k8s", "--yes")
    assert result.exit_code == 1
    assert "already caches quay.io" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Docker_Hub", "--upstream", "quay.io"], "invalid pull-through cache name"),
        (["docker-hub", "--upstream", "registry.example.com"], "unsupported --upstream"),
        (["docker-hub", "--upstream", "docker.io"], "needs credentials"),
        (["k8s", "--upstream", "registry.k8s.io", "--secret-arn", SECRET_ARN], "no credentials"),
        (["docker-hub", "--upstream", "docker.io", "--secret-arn", "arn:aws:s3:::x"], "invalid --secret-arn"),
        (["docker-hub", "--upstream", "docker.io", "--username", "bot"], "go together"),
    ],
)  # fmt: skip
def test_add_bad_input_is_exit_2_before_any_call(
    cli: Any, stub: Stubber, args: list[str], message: str
) -> None:
    result = cli("registry", "pull-through", "add", *args, "--yes")
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr


def test_list_and_remove_twice(cli: Any, stub: Stubber) -> None:
    stub.add_response(
        "describe_pull_through_cache_rules",
        {
            "pullThroughCacheRules": [
                rule(),
                rule("quay", None) | {"upstreamRegistryUrl": "quay.io"},
            ]
        },
        {"maxResults": 1000},
    )
    listed = cli("registry", "pull-through", "list")
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        f"docker-hub\tregistry-1.docker.io\t{SECRET_ARN}\t2026-01-02T03:04:05+00:00",
        "quay\tquay.io\t-\t2026-01-02T03:04:05+00:00",
    ]
    has_rule(stub, rule())
    stub.add_response(
        "delete_pull_through_cache_rule",
        {"ecrRepositoryPrefix": "docker-hub", "registryId": ACCOUNT},
        {"ecrRepositoryPrefix": "docker-hub"},
    )
    removed = cli("registry", "pull-through", "remove", "docker-hub", "--yes")
    assert removed.exit_code == 0, removed.stderr
    no_rule(stub)
    again = cli("registry", "pull-through", "remove", "docker-hub")
    assert again.exit_code == 0 and "nothing to remove" in again.stderr


def test_validate_reports_the_failure_and_exits_1(cli: Any, stub: Stubber) -> None:
    stub.add_response(
        "validate_pull_through_cache_rule",
        {
            "ecrRepositoryPrefix": "docker-hub",
            "registryId": ACCOUNT,
            "upstreamRegistryUrl": "registry-1.docker.io",
            "credentialArn": SECRET_ARN,
            "isValid": False,
            "failure": "Invalid credentials for the upstream registry",
        },
        {"ecrRepositoryPrefix": "docker-hub"},
    )
    result = cli("-o", "json", "registry", "pull-through", "validate", "docker-hub")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["valid"] is False
    assert "Invalid credentials for the upstream registry" in result.stderr


def test_validate_of_a_missing_rule_is_exit_3(cli: Any, stub: Stubber) -> None:
    stub.add_client_error(
        "validate_pull_through_cache_rule", "PullThroughCacheRuleNotFoundException"
    )
    result = cli("registry", "pull-through", "validate", "docker-hub")
    assert (
        result.exit_code == 3 and result.stderr == "ecrctl: no pull-through cache rule docker-hub\n"
    )


def test_uri_of_an_image_under_a_pull_through_prefix(cli: Any) -> None:
    result = cli("--registry-id", ACCOUNT, "uri", "docker-hub/library/nginx:1.27")
    assert result.exit_code == 0
    assert (
        result.stdout
        == f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/nginx:1.27\n"
    )


def account_setting(stub: Stubber, value: str) -> None:
    stub.add_response(
        "get_account_setting", {"name": "BLOB_MOUNTING", "value": value}, {"name": "BLOB_MOUNTING"}
    )


def test_blob_mounting_enable_show_and_idempotent(cli: Any, stub: Stubber) -> None:
    account_setting(stub, "DISABLED")
    stub.add_response(
        "put_account_setting",
        {"name": "BLOB_MOUNTING", "value": "ENABLED"},
        {"name": "BLOB_MOUNTING", "value": "ENABLED"},
    )
    enabled = cli("registry", "blob-mounting", "enable", "--yes")
    assert enabled.exit_code == 0, enabled.stderr
    account_setting(stub, "ENABLED")
    again = cli("-o", "json", "registry", "blob-mounting", "enable")
    assert again.exit_code == 0 and json.loads(again.stdout)["changed"] is False
    account_setting(stub, "ENABLED")
    assert cli("registry", "blob-mounting", "show").stdout == "ENABLED\n"


def test_blob_mounting_disable_asks_off_a_terminal(cli: Any, stub: Stubber) -> None:
    account_setting(stub, "ENABLED")
    result = cli("registry", "blob-mounting", "disable")
    assert result.exit_code == 2 and "pass --yes" in result.stderr  # and no PutAccountSetting


def test_show_gathers_every_setting(cli: Any, stub: Stubber) -> None:
    stub.add_response(
        "get_registry_scanning_configuration",
        {"registryId": ACCOUNT, "scanningConfiguration": {"scanType": "BASIC", "rules": []}},
    )
    stub.add_response(
        "describe_registry",
        {
            "registryId": ACCOUNT,
            "replicationConfiguration": {
                "rules": [{"destinations": [{"region": "eu-west-1", "registryId": ACCOUNT}]}]
            },
        },
    )
    stub.add_response(
        "describe_pull_through_cache_rules",
        {"pullThroughCacheRules": [rule()]},
        {"maxResults": 1000},
    )
    account_setting(stub, "ENABLED")
    stub.add_client_error("get_registry_policy", "RegistryPolicyNotFoundException")
    result = cli("-o", "json", "registry", "show")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["registryId"] == ACCOUNT
    assert doc["scanning"] == {"scanType": "BASIC", "rules": []}
    assert doc["replication"]["rules"][0]["destinations"][0]["region"] == "eu-west-1"
    assert doc["pullThroughCacheRules"][0]["name"] == "docker-hub"
    assert doc["blobMounting"] == "ENABLED"
    assert doc["registryPolicy"] is None and doc["errors"] == {}


def test_show_reports_a_section_it_cannot_read_and_exits_1(cli: Any, stub: Stubber) -> None:
    stub.add_response(
        "get_registry_scanning_configuration",
        {"registryId": ACCOUNT, "scanningConfiguration": {"scanType": "BASIC", "rules": []}},
    )
    stub.add_response("describe_registry", {"registryId": ACCOUNT})
    stub.add_client_error(
        "describe_pull_through_cache_rules",
        "AccessDeniedException",
        "User is not authorized to perform: ecr:DescribePullThroughCacheRules",
    )
    account_setting(stub, "DISABLED")
    stub.add_client_error("get_registry_policy", "RegistryPolicyNotFoundException")
    result = cli("registry", "show")
    assert result.exit_code == 1
    assert "pull-through cache\tunavailable: access denied" in result.stdout
    assert "blob mounting\tDISABLED" in result.stdout
    assert result.stderr == "ecrctl: could not read pull-through cache (see above)\n"


def test_images_replication_shows_each_destination(cli: Any, stub: Stubber) -> None:
    digest = "sha256:" + "c" * 64
    stub.add_response(
        "describe_images",
        {"imageDetails": [{"imageDigest": digest, "imageTags": ["v1"], "imagePushedAt": CREATED}]},
        {"repositoryName": "app", "maxResults": 1000},
    )
    stub.add_response(
        "describe_image_replication_status",
        {
            "repositoryName": "app",
            "imageId": {"imageDigest": digest},
            "replicationStatuses": [
                {"region": "eu-west-1", "registryId": ACCOUNT, "status": "COMPLETE"},
                {
                    "region": "us-west-2",
                    "registryId": "222233334444",
                    "status": "FAILED",
                    "failureCode": "Replication blocked by destination registry policy",
                },
            ],
        },
        {"repositoryName": "app", "imageId": {"imageDigest": digest}},
    )
    result = cli("images", "app", "--replication")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{digest}\tv1\teu-west-1\t{ACCOUNT}\tCOMPLETE\t-",
        f"{digest}\tv1\tus-west-2\t222233334444\tFAILED\t"
        "Replication blocked by destination registry policy",
    ]
