"""core/ecr (EcrRegistry): the registry id on every call, botocore's paginators, one "not found" mapping,
PutImage paced once per HTTP attempt, and botocore's retries as the only retry layer."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ecrctl.core.ecr.api import BULK_ATTEMPTS, EcrRegistry
from ecrctl.core.ecr.pacing import TokenBucket
from ecrctl.core.exceptions import (
    ImageNotFound,
    LifecyclePolicyNotFound,
    NotFound,
    PreviewInProgress,
    Refused,
    RepositoryAlreadyExists,
    RepositoryNotEmpty,
    RepositoryNotFound,
    ScanLimitExceeded,
    ScanNotFound,
)
from tests.scripted import ScriptedEcr

OTHER = "210987654321"


class CountingBucket(TokenBucket):
    """A bucket that never waits and counts how often it was asked."""

    def __init__(self) -> None:
        super().__init__(rate=1e9, burst=1000)
        self.asked = 0

    def acquire(self) -> float:
        self.asked += 1
        return super().acquire()


@pytest.fixture
def stubber_region() -> str:
    return "eu-west-1"


PUT = {
    "repositoryName": "app",
    "imageManifest": "{}",
    "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json",
    "imageDigest": "sha256:" + "0" * 64,
    "imageTag": "x",
}


def put(registry: EcrRegistry) -> None:
    registry.put_manifest(
        "app", PUT["imageManifest"], PUT["imageManifestMediaType"], PUT["imageDigest"], "x"
    )


@pytest.mark.parametrize("registry_id", [None, OTHER])
def test_the_registry_id_goes_with_every_call_and_page(
    stubbed: tuple[Any, Stubber], registry_id: str | None
) -> None:
    client, stub = stubbed
    extra = {"registryId": registry_id} if registry_id else {}
    stub.add_response("describe_repositories", {"repositories": []}, {**extra, "maxResults": 1000})
    stub.add_response("get_lifecycle_policy", {}, {**extra, "repositoryName": "app"})
    stub.add_response("put_image", {"image": {}}, {**extra, **PUT})
    stub.add_response(
        "describe_pull_through_cache_rules", {}, {**extra, "ecrRepositoryPrefixes": ["hub"]}
    )
    registry = EcrRegistry(client, registry_id)
    assert list(registry.repositories()) == []
    registry.lifecycle_policy("app")
    put(registry)
    assert registry.pull_through_rule("hub") is None


def test_registry_wide_calls_carry_no_registry_id(stubbed: tuple[Any, Stubber]) -> None:
    """GetAccountSetting, GetRegistryPolicy, DescribeRegistry act on the caller's own registry
    and take no registryId: the wrapper adds none (botocore would refuse it)."""
    client, stub = stubbed
    stub.add_response(
        "get_account_setting",
        {"name": "BLOB_MOUNTING", "value": "ENABLED"},
        {"name": "BLOB_MOUNTING"},
    )
    stub.add_response("get_registry_policy", {"registryId": OTHER, "policyText": "{}"}, {})
    stub.add_response(
        "describe_registry", {"registryId": OTHER, "replicationConfiguration": {"rules": []}}, {}
    )
    registry = EcrRegistry(client, OTHER)
    assert registry.account_setting("BLOB_MOUNTING") == "ENABLED"
    assert registry.registry_policy_text() == "{}"
    assert registry.registry_replication()["registryId"] == OTHER


def test_a_paginator_follows_next_token_asking_for_the_largest_page(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stub = stubbed
    asked = {"repositoryName": "app", "registryId": OTHER, "maxResults": 1000}
    stub.add_response("list_images", {"imageIds": [{"imageTag": "a"}], "nextToken": "t1"}, asked)
    stub.add_response(
        "list_images", {"imageIds": [{"imageTag": "b"}]}, {**asked, "nextToken": "t1"}
    )
    registry = EcrRegistry(client, OTHER)
    tags = [i["imageTag"] for i in registry.image_ids("app")]
    assert tags == ["a", "b"]


def test_the_lifecycle_preview_is_paged_at_its_own_limit_from_a_token(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stub = stubbed
    asked = {"repositoryName": "app", "maxResults": 100}
    stub.add_response(
        "get_lifecycle_policy_preview",
        {"previewResults": [{"imageDigest": "sha256:a"}], "nextToken": "t2"},
        {**asked, "nextToken": "t1"},
    )
    stub.add_response(
        "get_lifecycle_policy_preview", {"previewResults": []}, {**asked, "nextToken": "t2"}
    )
    registry = EcrRegistry(client)
    assert [r["imageDigest"] for r in registry.lifecycle_preview_results("app", "t1")] == [
        "sha256:a"
    ]


def test_a_preview_that_repeats_its_page_token_is_refused_not_read_forever(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stub = stubbed
    stub.add_response("get_lifecycle_policy_preview", {"previewResults": [], "nextToken": "t1"})
    with pytest.raises(Refused, match="same lifecycle preview page token twice"):
        list(EcrRegistry(client).lifecycle_preview_results("app", "t1"))


def test_a_missing_repository_is_one_not_found_naming_the_registry(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stub = stubbed
    stub.add_client_error("describe_images", "RepositoryNotFoundException", http_status_code=400)
    stub.add_client_error("describe_repositories", "RepositoryNotFoundException")
    registry = EcrRegistry(client, OTHER)
    with pytest.raises(RepositoryNotFound) as caught:
        list(registry.images("app"))
    assert str(caught.value) == f"repository app not found in registry {OTHER} (eu-west-1)"
    with pytest.raises(NotFound, match=r"^repository web not found in registry"):
        registry.repository("web")


def test_a_missing_image_is_image_not_found_and_bulk_writes_keep_ecrs_error(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stub = stubbed
    stub.add_client_error(
        "describe_images", "ImageNotFoundException", "The image with imageId x does not exist"
    )
    stub.add_client_error("batch_delete_image", "RepositoryNotFoundException")
    registry = EcrRegistry(client)
    with pytest.raises(ImageNotFound, match="image not found in app: The image with imageId x"):
        registry.images_by_id("app", [{"imageTag": "x"}])
    with pytest.raises(ClientError):
        registry.delete_image_ids("app", [{"imageTag": "x"}])


def test_answers_a_caller_acts_on_are_ecrctls_own(stubbed: tuple[Any, Stubber]) -> None:
    """No caller needs the client's exception classes: a missing policy, rule or setting is None
    (or False), the refusals callers act on are ecrctl's exceptions."""
    client, stub = stubbed
    for operation, code in (
        ("get_lifecycle_policy", "LifecyclePolicyNotFoundException"),
        ("delete_lifecycle_policy", "LifecyclePolicyNotFoundException"),
        ("get_repository_policy", "RepositoryPolicyNotFoundException"),
        ("delete_repository_policy", "RepositoryPolicyNotFoundException"),
        ("get_registry_policy", "RegistryPolicyNotFoundException"),
        ("describe_pull_through_cache_rules", "PullThroughCacheRuleNotFoundException"),
        ("delete_pull_through_cache_rule", "PullThroughCacheRuleNotFoundException"),
        ("validate_pull_through_cache_rule", "PullThroughCacheRuleNotFoundException"),
        ("create_repository", "RepositoryAlreadyExistsException"),
        ("delete_repository", "RepositoryNotEmptyException"),
        ("start_image_scan", "LimitExceededException"),
        ("describe_image_scan_findings", "ScanNotFoundException"),
        ("start_lifecycle_policy_preview", "LifecyclePolicyNotFoundException"),
        ("start_lifecycle_policy_preview", "LifecyclePolicyPreviewInProgressException"),
    ):
        stub.add_client_error(operation, code, "ECR said so")
    registry = EcrRegistry(client)
    assert registry.lifecycle_policy("app") is None
    assert registry.remove_lifecycle_policy("app") is None
    assert registry.repository_policy("app") is None
    assert registry.remove_repository_policy("app") is False
    assert registry.registry_policy_text() is None
    assert registry.pull_through_rule("hub") is None
    assert registry.remove_pull_through_rule("hub") is False
    assert registry.check_pull_through_rule("hub") is None
    with pytest.raises(RepositoryAlreadyExists, match=r"^repository app already exists$"):
        registry.create_repo({"repositoryName": "app"})
    with pytest.raises(RepositoryNotEmpty):
        registry.delete_repo("app", force=False)
    with pytest.raises(ScanLimitExceeded, match=r"^ECR said so$"):
        registry.start_scan("app", {"imageTag": "v1"})
    with pytest.raises(ScanNotFound):
        next(registry.scan_findings("app", {"imageTag": "v1"}))
    with pytest.raises(LifecyclePolicyNotFound):
        registry.start_lifecycle_preview("app")
    with pytest.raises(PreviewInProgress):
        registry.start_lifecycle_preview("app", "{}" + " " * 100)


def test_batch_get_image_is_sent_100_ids_a_call(stubbed: tuple[Any, Stubber]) -> None:
    client, stub = stubbed
    ids: list[Any] = [{"imageTag": f"t{i}"} for i in range(150)]
    media = ["application/vnd.oci.image.manifest.v1+json"]
    for chunk in (ids[:100], ids[100:]):
        stub.add_response(
            "batch_get_image",
            {"images": [], "failures": []},
            {"repositoryName": "app", "imageIds": chunk, "acceptedMediaTypes": media},
        )
    asked = [chunk for chunk, _ in EcrRegistry(client).get_manifests("app", ids, media)]
    assert [len(chunk) for chunk in asked] == [100, 50]
    with pytest.raises(ValueError, match="at most 100"):
        EcrRegistry(client).delete_image_ids("app", ids)


def test_put_image_is_paced_once_per_attempt_retries_included() -> None:
    ecr = ScriptedEcr(attempts=3)
    ecr.throttle("PutImage")
    ecr.answer("PutImage", {"image": {}})
    ecr.answer("ListImages", {"imageIds": []})
    bucket = CountingBucket()
    retries: list[tuple[int, str]] = []
    registry = EcrRegistry(ecr.client)
    registry.pace(bucket)
    registry.report_retries(lambda n, code: retries.append((n, code)))
    put(registry)
    assert ecr.attempts("PutImage") == 2
    assert bucket.asked == 2  # the throttled attempt and its retry
    assert retries == [(1, "ThrottlingException")]
    assert list(registry.image_ids("app")) == []
    assert bucket.asked == 2  # only PutImage is paced


def test_a_throttled_put_image_is_tried_the_configured_number_of_times_in_all() -> None:
    ecr = ScriptedEcr(attempts=2)
    ecr.throttle("PutImage", times=2)
    bucket = CountingBucket()
    registry = EcrRegistry(ecr.client)
    registry.pace(bucket)
    with pytest.raises(ClientError) as caught:
        put(registry)
    assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    assert ecr.attempts("PutImage") == 2  # botocore's attempts, no second layer on top
    assert bucket.asked == 2


def test_a_second_pace_on_the_same_registry_does_not_pace_twice() -> None:
    ecr = ScriptedEcr(attempts=1)
    ecr.answer("PutImage", {"image": {}})
    first, second = CountingBucket(), CountingBucket()
    registry = EcrRegistry(ecr.client)
    registry.pace(first)
    registry.pace(second)
    put(registry)
    assert (first.asked, second.asked) == (0, 1)


@pytest.mark.parametrize(
    ("env", "bulk", "attempts"),
    [(None, False, None), (None, True, BULK_ATTEMPTS), ("2", True, 2), ("2", False, 2)],
)
def test_the_ecr_client_carries_the_attempts_once(
    monkeypatch: pytest.MonkeyPatch, env: str | None, bulk: bool, attempts: int | None
) -> None:
    """Reads keep botocore's default (a wrong endpoint fails at once, as with the aws CLI);
    retag and untag get room for throttling; AWS_MAX_ATTEMPTS always decides."""
    from ecrctl.session import Clients, resolve_settings

    if env is None:
        monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    else:
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", env)
    settings = resolve_settings(
        profile=None, region="eu-west-1", endpoint_url=None, registry_id=None, debug=False
    )
    client = Clients(settings).ecr(bulk_writes=bulk)
    configured = client.meta.config.retries.get("total_max_attempts")
    if attempts is None:
        assert configured is None  # botocore's own default: 3 in standard mode
    else:
        assert client.meta.config.retries["total_max_attempts"] == attempts
