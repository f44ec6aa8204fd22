"""What the sandbox answers as ECR does where moto has nothing: `registry show`, pull-through
cache rules and account settings; and DescribeImages' push times and scan status, so the seeded
images have an order and an age (ecrctl/sandbox/ecr_extras.py, registry_api.py)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ecrctl.sandbox.emulator import Emulator
from ecrctl.sandbox.seed import APP, SCANNED_TAG
from tests.conftest import ecrctl_command, seeded_emulator

pytestmark = pytest.mark.e2e

Run = Callable[..., subprocess.CompletedProcess[str]]
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/{}"


@pytest.fixture
def seeded(isolated_env: Path) -> Iterator[Emulator]:
    with seeded_emulator() as emulator:
        yield emulator


@pytest.fixture
def on_sandbox(seeded: Emulator) -> Run:
    env = {**os.environ, **seeded.environment(), "AWS_MAX_ATTEMPTS": "1"}

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*ecrctl_command(), *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


def _code(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def test_registry_show_on_the_sandbox_exits_0_with_the_real_values(on_sandbox: Run) -> None:
    shown = on_sandbox("-o", "json", "registry", "show")
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)
    assert doc["errors"] == {}
    assert doc["scanning"] == {"scanType": "BASIC", "rules": []}
    # --seed turns blob mounting on, as a team that copies within its registry does.
    assert (doc["pullThroughCacheRules"], doc["blobMounting"]) == ([], "ENABLED")
    assert on_sandbox("registry", "blob-mounting", "disable", "--yes").returncode == 0
    text = on_sandbox("-o", "text", "registry", "show")
    assert (text.returncode, text.stderr) == (0, "")
    assert "blob mounting\tDISABLED\n" in text.stdout
    assert "pull-through cache\tnone\n" in text.stdout


def test_pull_through_rules_round_trip_through_ecrctl(on_sandbox: Run) -> None:
    quay = on_sandbox("registry", "pull-through", "add", "quay", "--upstream", "quay.io", "--yes")
    assert quay.returncode == 0, quay.stderr
    hub = on_sandbox(
        *("registry", "pull-through", "add", "docker-hub", "--upstream", "docker.io"),
        *("--username", "my-docker-id", "--password-stdin", "--yes"),
        stdin="dckr_pat_example\n",
    )
    assert hub.returncode == 0, hub.stderr
    listed = json.loads(on_sandbox("-o", "json", "registry", "pull-through", "list").stdout)
    assert [(r["name"], r["upstreamRegistryUrl"]) for r in listed] == [
        ("quay", "quay.io"),
        ("docker-hub", "registry-1.docker.io"),
    ]
    assert listed[1]["credentialArn"].startswith(SECRET_ARN.format("docker-hub"))
    valid = on_sandbox("-o", "json", "registry", "pull-through", "validate", "docker-hub")
    assert valid.returncode == 0 and json.loads(valid.stdout)["valid"] is True
    shown = on_sandbox("-o", "text", "registry", "show")
    assert "pull-through cache\tquay -> quay.io\n" in shown.stdout
    assert "pull-through cache\tdocker-hub -> registry-1.docker.io\n" in shown.stdout

    assert on_sandbox("registry", "pull-through", "remove", "quay", "--yes").returncode == 0
    again = on_sandbox("registry", "pull-through", "remove", "quay", "--yes")
    assert (again.returncode, again.stderr) == (
        0,
        "no pull-through cache rule quay; nothing to remove\n",
    )
    gone = on_sandbox("registry", "pull-through", "validate", "quay")
    assert (gone.returncode, gone.stderr) == (3, "ecrctl: no pull-through cache rule quay\n")
    left = on_sandbox("-o", "text", "registry", "pull-through", "list").stdout
    assert [line.split("\t")[0] for line in left.splitlines()] == ["docker-hub"]


def test_a_rule_whose_secret_is_malformed_fails_validation_with_the_reason(
    seeded: Emulator, on_sandbox: Run
) -> None:
    sm = seeded.client("secretsmanager")
    arn = sm.create_secret(Name="ecr-pullthroughcache/ghcr", SecretString="not json")["ARN"]
    added = on_sandbox(
        *("registry", "pull-through", "add", "ghcr", "--upstream", "ghcr.io"),
        *("--secret-arn", arn, "--yes"),
    )
    assert added.returncode == 0, added.stderr
    checked = on_sandbox("registry", "pull-through", "validate", "ghcr")
    assert checked.returncode == 1
    assert checked.stderr.startswith("ecrctl: pull-through cache rule ghcr failed validation: ")
    assert "'username' and 'accessToken'" in checked.stderr


def test_pull_through_calls_refuse_as_ecr_does(seeded: Emulator) -> None:
    ecr = seeded.client("ecr")
    hub = {"upstreamRegistryUrl": "registry-1.docker.io", "upstreamRegistry": "docker-hub"}
    assert (
        _code(lambda: ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="hub", **hub))
        == "UnsupportedUpstreamRegistryException"
    )
    missing = SECRET_ARN.format("hub-AbCdEf")
    assert (
        _code(
            lambda: ecr.create_pull_through_cache_rule(
                ecrRepositoryPrefix="hub", credentialArn=missing, **hub
            )
        )
        == "SecretNotFoundException"
    )
    k8s = {"ecrRepositoryPrefix": "k8s", "upstreamRegistryUrl": "registry.k8s.io"}
    created = ecr.create_pull_through_cache_rule(**k8s)
    assert (created["upstreamRegistry"], created["registryId"]) == ("k8s", "123456789012")
    assert isinstance(created["createdAt"], datetime)
    assert (
        _code(lambda: ecr.create_pull_through_cache_rule(**k8s))
        == "PullThroughCacheRuleAlreadyExistsException"
    )
    assert (
        _code(
            lambda: ecr.create_pull_through_cache_rule(
                ecrRepositoryPrefix="example", upstreamRegistryUrl="example.com"
            )
        )
        == "UnsupportedUpstreamRegistryException"
    )
    assert (
        _code(lambda: ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=["nope"]))
        == "PullThroughCacheRuleNotFoundException"
    )
    assert (
        _code(lambda: ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="Bad_", **hub))
        == "ValidationException"
    )
    deleted = ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix="k8s")
    assert deleted["upstreamRegistryUrl"] == "registry.k8s.io"
    assert ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"] == []
    # Per region, as ECR keeps them.
    ecr.create_pull_through_cache_rule(**k8s)
    other = seeded.client("ecr", region="eu-west-1")
    assert other.describe_pull_through_cache_rules()["pullThroughCacheRules"] == []


def test_account_settings_have_ecrs_defaults_and_values(seeded: Emulator) -> None:
    # ECR's defaults, in a region the seed left alone (it enables blob mounting in its own).
    fresh = seeded.client("ecr", region="eu-west-1")
    assert fresh.get_account_setting(name="BASIC_SCAN_TYPE_VERSION")["value"] == "AWS_NATIVE"
    assert fresh.get_account_setting(name="REGISTRY_POLICY_SCOPE")["value"] == "V2"
    assert fresh.get_account_setting(name="BLOB_MOUNTING")["value"] == "DISABLED"
    ecr = seeded.client("ecr")
    assert ecr.get_account_setting(name="BLOB_MOUNTING")["value"] == "ENABLED"
    assert ecr.put_account_setting(name="BLOB_MOUNTING", value="DISABLED")["value"] == "DISABLED"
    assert ecr.get_account_setting(name="BLOB_MOUNTING")["value"] == "DISABLED"
    assert fresh.get_account_setting(name="BLOB_MOUNTING")["value"] == "DISABLED"
    assert (
        _code(lambda: ecr.put_account_setting(name="BLOB_MOUNTING", value="ON"))
        == "InvalidParameterException"
    )
    assert _code(lambda: ecr.get_account_setting(name="NOPE")) == "InvalidParameterException"


def test_seeded_images_were_pushed_days_apart(on_sandbox: Run) -> None:
    newest = on_sandbox("-o", "text", "tags", APP, "--sort", "pushed").stdout.split()
    assert newest[0] == "1.5.0" and set(newest[1:3]) == {"1.4.3", "latest"}
    assert newest[-1] == "1.0.9"
    images = json.loads(on_sandbox("-o", "json", "images", APP).stdout)
    pushed = sorted(datetime.fromisoformat(i["pushedAt"]) for i in images)
    assert pushed[-1] - pushed[0] > timedelta(days=40)
    # The lifecycle preview now sees ages: the untagged image is past the policy's 7 days.
    preview = on_sandbox("-o", "text", "lifecycle", "preview", APP)
    rows = [line.split("\t") for line in preview.stdout.splitlines()]
    assert sorted((r[1], r[2], r[3]) for r in rows) == [
        ("-", "1", "expire"),
        ("pr-1234", "2", "expire"),
    ]


def test_describe_images_reports_the_scan_of_scanned_images_only(on_sandbox: Run) -> None:
    def scans() -> dict[str, tuple[Any, Any]]:
        images = json.loads(on_sandbox("-o", "json", "images", APP).stdout)
        return {tag: (i["scanStatus"], i["severityCounts"]) for i in images for tag in i["tags"]}

    before = scans()
    status, counts = before[SCANNED_TAG]
    assert status == "COMPLETE"
    assert counts == {s: 2 for s in ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")}
    assert before["1.0.9"] == (None, {})
    started = on_sandbox("scan", APP, "1.0.9", "--start")
    assert started.returncode == 0, started.stderr
    assert scans()["1.0.9"] == ("COMPLETE", {"HIGH": 1})  # moto's one finding


def test_an_image_deleted_and_pushed_again_is_new_and_unscanned(seeded: Emulator) -> None:
    ecr = seeded.client("ecr")
    got = ecr.batch_get_image(repositoryName=APP, imageIds=[{"imageTag": SCANNED_TAG}])
    image = got["images"][0]
    ecr.batch_delete_image(repositoryName=APP, imageIds=[{"imageTag": SCANNED_TAG}])
    ecr.put_image(
        repositoryName=APP,
        imageManifest=image["imageManifest"],
        imageManifestMediaType=image["imageManifestMediaType"],
        imageDigest=image["imageId"]["imageDigest"],
        imageTag=SCANNED_TAG,
    )
    detail = ecr.describe_images(repositoryName=APP, imageIds=[{"imageTag": SCANNED_TAG}])[
        "imageDetails"
    ][0]
    assert detail["imagePushedAt"] > datetime.now(UTC) - timedelta(minutes=5)
    assert "imageScanStatus" not in detail


def test_deleting_an_image_in_one_repository_leaves_the_same_digest_in_another(
    seeded: Emulator,
) -> None:
    # A copy within the sandbox mounts blobs, so one digest is in many repositories; deleting
    # it in one (BatchDeleteImage, or DELETE /v2/…) must not reset its push time and scan
    # elsewhere.
    ecr = seeded.client("ecr")
    ids = [{"imageTag": SCANNED_TAG}]

    def detail() -> dict[str, Any]:
        found = ecr.describe_images(repositoryName=APP, imageIds=ids)["imageDetails"][0]
        return {k: found.get(k) for k in ("imagePushedAt", "imageScanStatus")}

    before = detail()
    assert before["imageScanStatus"] is not None
    image = ecr.batch_get_image(repositoryName=APP, imageIds=ids)["images"][0]
    ecr.create_repository(repositoryName="team/other")
    ecr.put_image(
        repositoryName="team/other",
        imageManifest=image["imageManifest"],
        imageManifestMediaType=image["imageManifestMediaType"],
        imageTag="x",
    )
    gone = ecr.batch_delete_image(
        repositoryName="team/other", imageIds=[{"imageDigest": image["imageId"]["imageDigest"]}]
    )
    assert len(gone["imageIds"]) == 1
    assert detail() == before
