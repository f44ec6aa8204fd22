"""core.images against moto, and paging against ECR's real behaviour with botocore's Stubber."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import NotFound
from ecrctl.core.images.listing import ImageService
from ecrctl.sandbox.images import put_synthetic, seed_repository, synthetic_manifest


def test_tags_sorted_by_version_and_filtered(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    seed_repository(ecr, "app", ["1.0.10", "1.0.9", "v10", "v2", "latest"])
    service = ImageService(EcrRegistry(ecr))
    assert [e.tag for e in service.tags("app")] == ["1.0.9", "1.0.10", "latest", "v2", "v10"]
    assert [e.tag for e in service.tags("app", match="1.0.*")] == ["1.0.9", "1.0.10"]
    assert [e.tag for e in service.tags("app", sort="name", limit=2)] == ["1.0.10", "1.0.9"]


def test_every_tag_of_a_multi_tag_image_is_listed_with_its_digest(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    image = synthetic_manifest("one")
    put_synthetic(ecr, "app", image, "v1")
    put_synthetic(ecr, "app", image, "stable")
    entries = ImageService(EcrRegistry(ecr)).tags("app")
    assert {(e.tag, e.digest) for e in entries} == {("v1", image.digest), ("stable", image.digest)}


def test_untagged_images(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    seed_repository(ecr, "app", ["v1"])
    orphan = synthetic_manifest("orphan")
    put_synthetic(ecr, "app", orphan)
    assert [i.digest for i in ImageService(EcrRegistry(ecr)).untagged("app")] == [orphan.digest]
    assert len(ImageService(EcrRegistry(ecr)).images("app")) == 2


def test_missing_repository_is_not_found(ecr: Any) -> None:
    with pytest.raises(NotFound):
        ImageService(EcrRegistry(ecr)).tags("nope")


def _detail(n: int) -> dict[str, Any]:
    return {
        "registryId": "123456789012",
        "repositoryName": "app",
        "imageDigest": f"sha256:{n:064x}",
        "imageTags": [f"v{n}"],
        "imageSizeInBytes": 10,
        "imagePushedAt": datetime(2026, 1, 1, tzinfo=UTC),
    }


def test_every_page_is_followed_with_the_largest_page_size() -> None:
    """moto returns one page whatever is asked; ECR pages, so check the paging on a Stubber."""
    client = boto3.client("ecr", region_name="us-east-1")
    stubber = Stubber(client)
    base = {"repositoryName": "app", "filter": {"tagStatus": "TAGGED"}, "maxResults": 1000}
    stubber.add_response(
        "describe_images", {"imageDetails": [_detail(1), _detail(2)], "nextToken": "t1"}, base
    )
    stubber.add_response(
        "describe_images",
        {"imageDetails": [_detail(3)], "nextToken": "t2"},
        {**base, "nextToken": "t1"},
    )
    stubber.add_response(
        "describe_images", {"imageDetails": [_detail(10)]}, {**base, "nextToken": "t2"}
    )
    with stubber:
        tags = [e.tag for e in ImageService(EcrRegistry(client)).tags("app")]
    stubber.assert_no_pending_responses()
    assert tags == ["v1", "v2", "v3", "v10"]


def test_registry_id_is_passed_on_every_call() -> None:
    client = boto3.client("ecr", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response(
        "describe_images",
        {"imageDetails": [_detail(1)]},
        {"repositoryName": "app", "registryId": "210987654321", "maxResults": 1000},
    )
    with stubber:
        images = ImageService(EcrRegistry(client, "210987654321")).images("app")
    assert [i.tags for i in images] == [("v1",)]


def test_images_without_batch_get_image_permission_still_list(ecr: Any) -> None:
    """Platforms need BatchGetImage; a read-only role without it still gets its listing."""
    from ecrctl.core.names import OCI_INDEX

    client = boto3.client("ecr", region_name="us-east-1")
    stubber = Stubber(client)
    index = "sha256:" + "1" * 64
    stubber.add_response(
        "describe_images",
        {"imageDetails": [{"imageDigest": index, "imageManifestMediaType": OCI_INDEX,
                           "repositoryName": "app", "registryId": "123456789012"}]},
    )  # fmt: skip
    stubber.add_client_error("batch_get_image", "AccessDeniedException", "not allowed")
    with stubber:
        found = ImageService(EcrRegistry(client)).images("app")
    assert [(i.digest, i.platforms) for i in found] == [(index, ())]
