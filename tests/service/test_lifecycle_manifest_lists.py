"""LifecycleService.inventory: what each index references, from the index manifests (issue 19).

moto for the real round trip (OCI image index and Docker manifest list, seeded with their true
digests); botocore's Stubber for the call counts, the chunking by 100 and an unreadable index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.images.manifests import INDEX_ACCEPTED_MEDIA_TYPES
from ecrctl.core.lifecycle import evaluate, parse_policy
from ecrctl.core.lifecycle.preview import LifecycleService
from ecrctl.core.names import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST
from tests.conftest import put_buildx_image

REPO = "team/app"
T0 = datetime(2026, 5, 1, tzinfo=UTC)
UNTAGGED_AFTER_1_DAY = """{"rules": [{"rulePriority": 1, "selection": {"tagStatus": "untagged",
 "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1},
 "action": {"type": "expire"}}]}"""


@pytest.mark.parametrize(
    ("index_type", "child_type"), [(OCI_INDEX, OCI_MANIFEST), (DOCKER_LIST, DOCKER_MANIFEST)]
)
def test_inventory_knows_what_each_index_references(
    ecr: Any, index_type: str, child_type: str
) -> None:
    pushed = put_buildx_image(ecr, REPO, index_type, child_type)
    index, amd64, arm64, stray = (pushed[k] for k in ("index", "amd64", "arm64", "stray"))

    inventory = LifecycleService(EcrRegistry(ecr)).inventory(REPO)
    assert inventory.references == {index: {amd64, arm64}}
    assert inventory.unread == ()
    media = {i.digest: i.media_type for i in inventory.images}
    assert media[index] == index_type and media[stray] == child_type

    # Two days on, the untagged platform manifests are kept by `latest`; the stray one expires.
    policy = parse_policy(UNTAGGED_AFTER_1_DAY)
    at = datetime.now(UTC) + timedelta(days=2)
    evaluation = evaluate(policy, inventory.images, at, inventory.references)
    assert [d.image.digest for d in evaluation.affected] == [stray]
    held = {d.image.digest: d.held_by for d in evaluation.kept if d.held_by}
    assert held == {amd64: (index,), arm64: (index,)}


def _detail(n: int, media_type: str, tags: tuple[str, ...] = ()) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "imageDigest": f"sha256:{n:064x}",
        "imagePushedAt": T0,
        "imageManifestMediaType": media_type,
    }
    if tags:
        detail["imageTags"] = list(tags)
    return detail


def _describe(stub: Stubber, details: list[dict[str, Any]]) -> None:
    stub.add_response(
        "describe_images",
        {"imageDetails": details},
        {"repositoryName": REPO, "filter": {"imageStatus": "ANY"}, "maxResults": 1000},
    )


def _batch_get(stub: Stubber, digests: list[str], manifests: dict[str, str]) -> None:
    stub.add_response(
        "batch_get_image",
        {
            "images": [
                {
                    "imageId": {"imageDigest": d},
                    "imageManifest": manifests[d],
                    "imageManifestMediaType": OCI_INDEX,
                }
                for d in digests
                if d in manifests
            ],
            "failures": [
                {
                    "imageId": {"imageDigest": d},
                    "failureCode": "ImageNotFound",
                    "failureReason": "archived",
                }
                for d in digests
                if d not in manifests
            ],
        },
        {
            "repositoryName": REPO,
            "imageIds": [{"imageDigest": d} for d in digests],
            "acceptedMediaTypes": INDEX_ACCEPTED_MEDIA_TYPES,
        },
    )


def test_index_manifests_are_read_100_digests_a_call_and_only_for_indexes(stubbed: Any) -> None:
    client, stub = stubbed
    indexes = [_detail(n, OCI_INDEX, (f"v{n}",)) for n in range(150)]
    children = [_detail(1000 + n, OCI_MANIFEST) for n in range(150)]
    _describe(stub, children[:75] + indexes + children[75:])
    manifests = {
        d["imageDigest"]: f'{{"manifests": [{{"digest": "{c["imageDigest"]}"}}]}}'
        for d, c in zip(indexes, children, strict=True)
    }
    digests = [d["imageDigest"] for d in indexes]
    _batch_get(stub, digests[:100], manifests)  # Stubber fails on a third call or another split
    _batch_get(stub, digests[100:], manifests)
    inventory = LifecycleService(EcrRegistry(client)).inventory(REPO)
    assert len(inventory.images) == 300
    assert inventory.references[digests[149]] == {children[149]["imageDigest"]}
    assert len(inventory.references) == 150


def test_a_repository_without_indexes_costs_no_batch_get_image(stubbed: Any) -> None:
    client, stub = stubbed
    _describe(stub, [_detail(1, OCI_MANIFEST, ("v1",)), _detail(2, DOCKER_MANIFEST)])
    inventory = LifecycleService(EcrRegistry(client)).inventory(REPO)
    assert inventory.references == {} and len(inventory.images) == 2


def test_an_index_whose_manifest_cannot_be_read_is_reported(stubbed: Any) -> None:
    client, stub = stubbed
    readable, archived = _detail(1, OCI_INDEX, ("v1",)), _detail(2, OCI_INDEX, ("v0",))
    _describe(stub, [readable, archived, _detail(3, OCI_MANIFEST)])
    manifest = f'{{"manifests": [{{"digest": "sha256:{3:064x}"}}]}}'
    _batch_get(
        stub,
        [readable["imageDigest"], archived["imageDigest"]],
        {readable["imageDigest"]: manifest},
    )
    inventory = LifecycleService(EcrRegistry(client)).inventory(REPO)
    assert inventory.unread == (archived["imageDigest"],)
    assert inventory.references == {readable["imageDigest"]: {f"sha256:{3:064x}"}}
