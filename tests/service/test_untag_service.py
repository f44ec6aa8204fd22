"""core.untag against moto (plans and happy paths) and ECR's real answers (botocore Stubber)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import InvalidInput, NotFound
from ecrctl.core.images.retag import ACCEPTED_MEDIA_TYPES
from ecrctl.core.images.untag import UntagService, deletion_phases, hold_referenced, index_children
from ecrctl.core.names import OCI_INDEX, OCI_MANIFEST
from ecrctl.sandbox.images import (
    SyntheticImage,
    put_synthetic,
    seed_repository,
    synthetic_index,
    synthetic_manifest,
)
from tests.moto_serial import serialize_moto_ecr_writes
from tests.scripted import ScriptedEcr


class Calls:
    def __init__(self, client: Any) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []
        client.meta.events.register("provide-client-params.ecr.*", self._seen)

    def _seen(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.seen.append((model.name, params))

    def of(self, name: str) -> list[dict[str, Any]]:
        return [p for n, p in self.seen if n == name]


@pytest.fixture(autouse=True)
def _serial_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    serialize_moto_ecr_writes(monkeypatch)  # ecrctl's concurrent calls meet a consistent moto


def _service(ecr: Any, workers: int = 4) -> UntagService:
    return UntagService(EcrRegistry(ecr), workers=workers)


def _state(ecr: Any, repo: str = "app") -> dict[str, list[str]]:
    details = ecr.describe_images(repositoryName=repo)["imageDetails"]
    return {d["imageDigest"]: sorted(d.get("imageTags", [])) for d in details}


def test_removing_one_tag_of_a_multi_tag_image_keeps_the_image(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    image = synthetic_manifest("one")
    for tag in ("v1", "stable", "latest"):
        put_synthetic(ecr, "app", image, tag)
    plan = _service(ecr).plan("app", ["stable"])
    (removal,) = plan.removals
    assert (removal.kind, removal.tags, removal.remaining_tags) == (
        "tag",
        ("stable",),
        ("v1", "latest"),
    )
    done = _service(ecr).execute(plan)
    assert done.ok and done.removals[0].status == "removed"
    assert _state(ecr) == {image.digest: ["latest", "v1"]}


def test_removing_every_tag_or_the_digest_deletes_the_image(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    a, b, c = seed_repository(ecr, "app", ["a", "b", "c"])
    plan = _service(ecr).plan("app", ["a", f"@{b}"])
    assert sorted((r.kind, r.digest) for r in plan.removals) == sorted([("image", a), ("image", b)])
    assert _service(ecr).execute(plan).ok
    assert _state(ecr) == {c: ["c"]}


def test_untagged_and_match_select_images_and_tags(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    digests = seed_repository(ecr, "app", ["pr-1", "pr-2", "v1"])
    orphan = synthetic_manifest("orphan")
    put_synthetic(ecr, "app", orphan)
    plan = _service(ecr).plan("app", [], untagged=True, match="pr-*")
    assert {r.digest for r in plan.removals} == {orphan.digest, digests[0], digests[1]}
    assert _service(ecr).execute(plan).ok
    assert _state(ecr) == {digests[2]: ["v1"]}


def test_missing_targets_are_listed_and_the_rest_removed(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    seed_repository(ecr, "app", ["a", "b"])
    plan = _service(ecr).plan("app", ["a", "nope"])
    assert plan.missing == ("nope",)
    done = _service(ecr).execute(plan)
    assert not done.ok and [r.status for r in done.removals] == ["removed"]


def test_nothing_found_at_all_is_not_found(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    seed_repository(ecr, "app", ["a"])
    with pytest.raises(NotFound, match=r"nope, @sha256:.* not found in app"):
        _service(ecr).plan("app", ["nope", "@sha256:" + "0" * 64])
    with pytest.raises(NotFound, match="repository gone not found"):
        _service(ecr).plan("gone", ["a"])


def test_input_is_checked_before_any_call(ecr: Any) -> None:
    calls = Calls(ecr)
    with pytest.raises(InvalidInput, match="--untagged or --match"):
        _service(ecr).plan("app", [])
    with pytest.raises(InvalidInput, match="invalid tag"):
        _service(ecr).plan("app", ["ok", "no way"])
    assert calls.seen == []


def _multi_arch(ecr: Any, name: str, tag: str | None) -> tuple[SyntheticImage, list[str]]:
    kids = [synthetic_manifest(f"{name}-{arch}", media_type=OCI_MANIFEST) for arch in ("a", "b")]
    for kid in kids:
        put_synthetic(ecr, "app", kid)
    index = synthetic_index([(kids[0], "linux/amd64"), (kids[1], "linux/arm64")])
    put_synthetic(ecr, "app", index, tag)
    return index, [k.digest for k in kids]


def test_children_of_an_index_that_stays_are_kept_and_say_which_index(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    index, kids = _multi_arch(ecr, "m", "v1")
    orphan = synthetic_manifest("orphan")
    put_synthetic(ecr, "app", orphan)
    plan = _service(ecr).plan("app", [], untagged=True)
    assert [r.digest for r in plan.removals] == [orphan.digest]
    assert {k.digest: k.held_by for k in plan.kept} == {d: (index.digest,) for d in kids}
    assert plan.index_tags == {index.digest: ("v1",)}
    assert plan.ok  # kept because --untagged selected them, not because they were named
    assert _service(ecr).execute(plan).ok
    assert set(_state(ecr)) == {index.digest, *kids}


def test_a_named_child_that_is_kept_is_a_failure(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    _index, kids = _multi_arch(ecr, "m", "v1")
    plan = _service(ecr).plan("app", [f"@{kids[0]}"])
    assert plan.removals == () and plan.kept[0].explicit and not plan.ok


def test_index_is_deleted_before_its_children(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    index, kids = _multi_arch(ecr, "m", "v1")
    calls = Calls(ecr)
    plan = _service(ecr).plan("app", ["v1"], untagged=True)
    assert (plan.removals[0].digest, plan.removals[0].phase) == (index.digest, 0)
    assert {(r.digest, r.phase) for r in plan.removals[1:]} == {(kids[0], 1), (kids[1], 1)}
    # the index manifests were read, with every media type accepted
    (fetch,) = calls.of("BatchGetImage")
    assert fetch["imageIds"] == [{"imageDigest": index.digest}]
    assert fetch["acceptedMediaTypes"] == ACCEPTED_MEDIA_TYPES
    done = _service(ecr).execute(plan)
    assert done.ok
    first, second = calls.of("BatchDeleteImage")
    assert first["imageIds"] == [{"imageDigest": index.digest}]
    assert {i["imageDigest"] for i in second["imageIds"]} == set(kids)
    assert _state(ecr) == {}


def test_a_child_shared_with_another_index_stays(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    shared = synthetic_manifest("shared", media_type=OCI_MANIFEST)
    own = synthetic_manifest("own", media_type=OCI_MANIFEST)
    for kid in (shared, own):
        put_synthetic(ecr, "app", kid)
    old = synthetic_index([(shared, "linux/amd64"), (own, "linux/arm64")])
    new = synthetic_index([(shared, "linux/amd64")])
    put_synthetic(ecr, "app", old, "old")
    put_synthetic(ecr, "app", new, "new")
    plan = _service(ecr).plan("app", ["old"], untagged=True)
    assert {r.digest for r in plan.removals} == {old.digest, own.digest}
    assert [(k.digest, k.held_by) for k in plan.kept] == [(shared.digest, (new.digest,))]
    assert _service(ecr).execute(plan).ok
    assert set(_state(ecr)) == {new.digest, shared.digest}


def test_large_sets_go_in_chunks_of_100_with_progress(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    for n in range(250):
        put_synthetic(ecr, "app", synthetic_manifest(f"i{n}", layers=1))
    plan = _service(ecr).plan("app", [], untagged=True)
    calls = Calls(ecr)
    progress: list[tuple[int, int]] = []
    done = _service(ecr).execute(plan, progress=lambda d, t: progress.append((d, t)))
    assert done.ok and len(done.removals) == 250
    sizes = sorted(len(p["imageIds"]) for p in calls.of("BatchDeleteImage"))
    assert sizes == [50, 100, 100]
    assert sorted(progress)[-1] == (250, 250) and len(progress) == 3
    assert _state(ecr) == {}


def test_planning_helpers() -> None:
    assert index_children('{"manifests": [{"digest": "sha256:1"}, {"digest": "sha256:2"}]}') == {
        "sha256:1",
        "sha256:2",
    }
    assert index_children("not json") == set()
    # nested: top -> mid -> leaf, all deleted: three phases
    children = {"top": {"mid"}, "mid": {"leaf"}}
    assert deletion_phases({"top", "mid", "leaf"}, children) == {"top": 0, "mid": 1, "leaf": 2}
    # a kept index keeps what it references, and what that references in turn
    held = hold_referenced({"mid", "leaf"}, {"top", "mid", "leaf"}, children)
    assert held == {"mid": {"top"}, "leaf": {"mid"}}


# --- ECR's real answers, through botocore's Stubber -----------------------------------------


def _detail(digest: str, tags: list[str], media_type: str = OCI_MANIFEST) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "registryId": "123456789012",
        "repositoryName": "app",
        "imageDigest": digest,
        "imagePushedAt": datetime(2026, 1, 1, tzinfo=UTC),
        "imageSizeInBytes": 10,
        "imageManifestMediaType": media_type,
    }
    if tags:
        detail["imageTags"] = tags
    return detail


def _describe(stub: Stubber, details: list[dict[str, Any]]) -> None:
    stub.add_response(
        "describe_images", {"imageDetails": details}, {"repositoryName": "app", "maxResults": 1000}
    )


def test_image_referenced_by_manifest_list_is_reported_per_id(stubbed: Any) -> None:
    client, stub = stubbed
    d1, d2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    # ECR knows of a reference that the plan could not see (an index in another state)
    _describe(stub, [_detail(d1, []), _detail(d2, [])])
    reason = "Requested image is referenced by a manifest list: [sha256:" + "9" * 64 + "]"
    stub.add_response(
        "batch_delete_image",
        {
            "imageIds": [{"imageDigest": d2}],
            "failures": [
                {
                    "imageId": {"imageDigest": d1},
                    "failureCode": "ImageReferencedByManifestList",
                    "failureReason": reason,
                }
            ],
        },
        {"repositoryName": "app", "imageIds": [{"imageDigest": d1}, {"imageDigest": d2}]},
    )
    service = _service(client, workers=1)
    done = service.execute(service.plan("app", [], untagged=True))
    status = {r.digest: (r.status, r.reason) for r in done.removals}
    assert status[d2] == ("removed", None)
    assert status[d1] == ("failed", f"ImageReferencedByManifestList: {reason}")
    assert not done.ok


def test_throttled_chunk_is_retried_by_botocore_then_succeeds() -> None:
    ecr = ScriptedEcr(attempts=2)
    d1 = "sha256:" + "1" * 64
    detail = {"imageDigest": d1, "imageTags": ["old"], "imageSizeInBytes": 10}
    ecr.answer("DescribeImages", {"imageDetails": [detail]})
    ecr.throttle("BatchDeleteImage")
    ecr.answer("BatchDeleteImage", {"imageIds": [{"imageDigest": d1}], "failures": []})
    service = _service(ecr.client, workers=1)
    done = service.execute(service.plan("app", ["old"]))
    assert done.ok and done.removals[0].status == "removed"
    assert ecr.attempts("BatchDeleteImage") == 2


def test_a_chunk_that_fails_whole_marks_each_id_with_the_reason(stubbed: Any) -> None:
    client, stub = stubbed
    d1 = "sha256:" + "1" * 64
    _describe(stub, [_detail(d1, ["a", "b"])])
    stub.add_client_error(
        "batch_delete_image",
        service_error_code="ServerException",
        service_message="Internal error",
        http_status_code=500,
    )
    # A 5xx may hide work done: one read-back shows tag a is still there, so it failed.
    stub.add_response(
        "list_images",
        {"imageIds": [{"imageDigest": d1, "imageTag": "a"}, {"imageDigest": d1, "imageTag": "b"}]},
        {"repositoryName": "app", "maxResults": 1000},
    )
    service = _service(client, workers=1)
    done = service.execute(service.plan("app", ["a"]))
    assert done.removals[0].status == "failed"
    assert done.removals[0].reason == "ServerException: Internal error"


def test_image_not_found_after_a_resent_delete_is_removed(stubbed: Any) -> None:
    # A lost answer makes botocore resend an applied BatchDeleteImage: ECR then answers
    # ImageNotFound for ids that this very run removed.
    client, stub = stubbed
    d1, d2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    _describe(stub, [_detail(d1, ["a"]), _detail(d2, ["b", "c"])])
    gone = "Requested image not found"
    stub.add_response(
        "batch_delete_image",
        {
            "failures": [
                {
                    "imageId": {"imageDigest": d1},
                    "failureCode": "ImageNotFound",
                    "failureReason": gone,
                },
                {
                    "imageId": {"imageTag": "b"},
                    "failureCode": "ImageNotFound",
                    "failureReason": gone,
                },
            ],
        },
        {"repositoryName": "app", "imageIds": [{"imageDigest": d1}, {"imageTag": "b"}]},
    )
    service = _service(client, workers=1)
    done = service.execute(service.plan("app", ["a", "b"]))
    assert [(r.ref, r.status, r.reason) for r in done.removals] == [
        (d1, "removed", None),
        ("b", "removed", None),
    ]
    assert done.ok


def test_oci_index_children_found_through_stubbed_batch_get_image(stubbed: Any) -> None:
    client, stub = stubbed
    kid = synthetic_manifest("k", media_type=OCI_MANIFEST)
    index = synthetic_index([(kid, "linux/amd64")], media_type=OCI_INDEX)
    _describe(stub, [_detail(index.digest, ["v1"], OCI_INDEX), _detail(kid.digest, [])])
    stub.add_response(
        "batch_get_image",
        {
            "images": [
                {
                    "imageId": {"imageDigest": index.digest},
                    "imageManifest": index.manifest,
                    "imageManifestMediaType": OCI_INDEX,
                }
            ],
            "failures": [],
        },
        {
            "repositoryName": "app",
            "imageIds": [{"imageDigest": index.digest}],
            "acceptedMediaTypes": ACCEPTED_MEDIA_TYPES,
        },
    )
    plan = _service(client).plan("app", [], untagged=True)
    assert plan.removals == ()
    assert plan.kept[0].digest == kid.digest and plan.kept[0].held_by == (index.digest,)


class GatedDeletes:
    """An ECR double whose BatchDeleteImage calls wait at a gate until ``width`` are in flight.

    No sleeping: a call proceeds only once ``width`` calls have entered at the same time, so the
    test proves they overlapped; ``most`` records the widest overlap seen.
    """

    def __init__(self, ecr: Any, width: int) -> None:
        self._ecr = ecr
        self._width = width
        self._lock = threading.Lock()
        self._full = threading.Event()
        self.in_flight = 0
        self.most = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ecr, name)

    def batch_delete_image(self, **params: Any) -> Any:
        with self._lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            if self.in_flight >= self._width:
                self._full.set()
        try:
            # A guard against a hang, not a timing assumption: without the overlap it fails.
            assert self._full.wait(timeout=30), f"never {self._width} calls in flight"
            return self._ecr.batch_delete_image(**params)
        finally:
            with self._lock:
                self.in_flight -= 1


def test_chunks_are_sent_concurrently_but_bounded(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    for n in range(700):
        put_synthetic(ecr, "app", synthetic_manifest(f"i{n}", layers=1))
    gated = GatedDeletes(ecr, width=3)
    service = UntagService(EcrRegistry(gated), workers=3)
    done = service.execute(service.plan("app", [], untagged=True))
    assert done.ok and len(done.removals) == 700
    assert gated.most == 3  # 7 chunks, 3 did overlap, and never more than 3 at a time
    assert _state(ecr) == {}
