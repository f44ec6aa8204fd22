"""core.registry: the registry id on every call, botocore's paginators, one "not found" mapping,
PutImage paced once per HTTP attempt, and botocore's retries as the only retry layer."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ecrctl.core.ecr.api import BULK_ATTEMPTS, EcrRegistry
from ecrctl.core.ecr.pacing import TokenBucket
from ecrctl.core.exceptions import ImageNotFound, NotFound, RepositoryNotFound
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


@pytest.mark.parametrize("registry_id", [None, OTHER])
def test_the_registry_id_goes_with_every_call_and_page(
    stubbed: tuple[Any, Stubber], registry_id: str | None
) -> None:
    client, stub = stubbed
    extra = {"registryId": registry_id} if registry_id else {}
    stub.add_response("describe_repositories", {"repositories": []}, {**extra, "maxResults": 1000})
    stub.add_response("get_lifecycle_policy", {}, {**extra, "repositoryName": "app"})
    put = {"repositoryName": "app", "imageManifest": "{}", "imageTag": "x"}
    stub.add_response("put_image", {}, {**extra, **put})
    registry = EcrRegistry(client, registry_id)
    assert list(registry.items("describe_repositories", "repositories")) == []
    registry.call("get_lifecycle_policy", repositoryName="app")
    registry.put_image(**put)


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
    tags = [i["imageTag"] for i in registry.items("list_images", "imageIds", repositoryName="app")]
    assert tags == ["a", "b"]


def test_the_lifecycle_preview_is_paged_at_its_own_limit_from_a_token(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stub = stubbed
    asked = {"repositoryName": "app", "maxResults": 100, "nextToken": "t1"}
    stub.add_response("get_lifecycle_policy_preview", {"previewResults": []}, asked)
    registry = EcrRegistry(client)
    pages = registry.items(
        "get_lifecycle_policy_preview", "previewResults", repositoryName="app", nextToken="t1"
    )
    assert list(pages) == []


def test_a_missing_repository_is_one_not_found_naming_the_registry(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stub = stubbed
    stub.add_client_error("describe_images", "RepositoryNotFoundException", http_status_code=400)
    stub.add_client_error("describe_repositories", "RepositoryNotFoundException")
    registry = EcrRegistry(client, OTHER)
    with pytest.raises(RepositoryNotFound) as caught:
        list(registry.items("describe_images", "imageDetails", repositoryName="app"))
    assert str(caught.value) == f"repository app not found in registry {OTHER} (eu-west-1)"
    with pytest.raises(NotFound, match=r"^repository web not found in registry"):
        registry.call("describe_repositories", repositoryNames=["web"])


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
        registry.call("describe_images", repositoryName="app", imageIds=[{"imageTag": "x"}])
    with pytest.raises(ClientError):
        registry.call(
            "batch_delete_image", mapped=False, repositoryName="app", imageIds=[{"imageTag": "x"}]
        )


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
    registry.put_image(repositoryName="app", imageManifest="{}", imageTag="x")
    assert ecr.attempts("PutImage") == 2
    assert bucket.asked == 2  # the throttled attempt and its retry
    assert retries == [(1, "ThrottlingException")]
    registry.call("list_images", repositoryName="app")
    assert bucket.asked == 2  # only PutImage is paced


def test_a_throttled_put_image_is_tried_the_configured_number_of_times_in_all() -> None:
    ecr = ScriptedEcr(attempts=2)
    ecr.throttle("PutImage", times=2)
    bucket = CountingBucket()
    registry = EcrRegistry(ecr.client)
    registry.pace(bucket)
    with pytest.raises(ClientError) as caught:
        registry.put_image(repositoryName="app", imageManifest="{}", imageTag="x")
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
    registry.put_image(repositoryName="app", imageManifest="{}", imageTag="x")
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
