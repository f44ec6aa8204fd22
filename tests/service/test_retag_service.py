"""core.retag against moto (happy paths) and against ECR's real answers (botocore Stubber)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.stub import Stubber

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.ecr.pacing import TokenBucket
from ecrctl.core.exceptions import InvalidInput, NotFound, Refused
from ecrctl.core.images.retag import ACCEPTED_MEDIA_TYPES, RetagService, match_images
from ecrctl.core.names import DOCKER_LIST, OCI_INDEX, OCI_MANIFEST
from ecrctl.sandbox.images import put_synthetic, synthetic_index, synthetic_manifest
from tests.fakeclock import FakeClock
from tests.moto_serial import serialize_moto_ecr_writes
from tests.scripted import ScriptedEcr


class Calls:
    """Counts API calls made through a client (a botocore event hook)."""

    def __init__(self, client: Any) -> None:
        self.names: list[str] = []
        client.meta.events.register("before-call.ecr.*", self._seen)

    def _seen(self, model: Any, **_: Any) -> None:
        self.names.append(model.name)

    def count(self, name: str) -> int:
        return self.names.count(name)


@pytest.fixture(autouse=True)
def _serial_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    serialize_moto_ecr_writes(monkeypatch)  # ecrctl's concurrent calls meet a consistent moto


def _service(ecr: Any) -> RetagService:
    # No real waiting in tests: an unlimited bucket and a sleep that does nothing.
    return RetagService(EcrRegistry(ecr), pacer=TokenBucket(rate=1e9, burst=1000))


def _one_at_a_time(client: Any, **kwargs: Any) -> RetagService:
    """For the Stubber, whose answers are consumed in order: one PutImage at a time."""
    return RetagService(
        EcrRegistry(client), pacer=TokenBucket(rate=1e9, burst=1000), workers=1, **kwargs
    )


def _tags_of(ecr: Any, repo: str) -> dict[str, str]:
    details = ecr.describe_images(repositoryName=repo)["imageDetails"]
    return {t: d["imageDigest"] for d in details for t in d.get("imageTags", [])}


def test_retag_puts_the_same_digest_under_every_new_tag(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    image = synthetic_manifest("one")
    put_synthetic(ecr, "app", image, "v1")
    calls = Calls(ecr)
    result = _service(ecr).retag("app", "v1", ["stable", "prod"])
    assert result.ok and result.digest == image.digest
    assert [(o.tag, o.outcome) for o in result.tags] == [("stable", "created"), ("prod", "created")]
    # one BatchGetImage (source + current state of the new tags), one PutImage a tag, one check
    assert calls.names == ["BatchGetImage", "PutImage", "PutImage", "DescribeImages"]
    assert _tags_of(ecr, "app") == {t: image.digest for t in ("v1", "stable", "prod")}


def test_retag_by_digest_of_a_multi_arch_index_keeps_it_an_index(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    amd, arm = synthetic_manifest("amd", media_type=OCI_MANIFEST), synthetic_manifest("arm")
    index = synthetic_index([(amd, "linux/amd64"), (arm, "linux/arm64")])
    for child in (amd, arm):
        put_synthetic(ecr, "app", child)
    put_synthetic(ecr, "app", index, "1.0")
    result = _service(ecr).retag("app", f"@{index.digest}", ["latest"])
    assert result.ok and result.media_type == OCI_INDEX
    got = ecr.batch_get_image(repositoryName="app", imageIds=[{"imageTag": "latest"}])["images"][0]
    assert got["imageManifest"] == index.manifest
    assert got["imageManifestMediaType"] == OCI_INDEX
    assert got["imageId"]["imageDigest"] == index.digest


def test_rerun_is_idempotent_and_reports_unchanged(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    put_synthetic(ecr, "app", synthetic_manifest("one"), "v1")
    _service(ecr).retag("app", "v1", ["stable"])
    calls = Calls(ecr)
    again = _service(ecr).retag("app", "v1", ["stable", "v1"])
    assert again.ok
    assert [o.outcome for o in again.tags] == ["unchanged", "unchanged"]
    assert calls.count("PutImage") == 0


def test_moving_a_tag_in_a_mutable_repository_reports_old_and_new(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    old, new = synthetic_manifest("old"), synthetic_manifest("new")
    put_synthetic(ecr, "app", old, "latest")
    put_synthetic(ecr, "app", new, "v2")
    result = _service(ecr).retag("app", "v2", ["latest"])
    (moved,) = result.tags
    assert (moved.outcome, moved.previous_digest, moved.digest) == ("moved", old.digest, new.digest)
    assert _tags_of(ecr, "app")["latest"] == new.digest


def test_no_clobber_refuses_before_changing_anything(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    old, new = synthetic_manifest("old"), synthetic_manifest("new")
    put_synthetic(ecr, "app", old, "latest")
    put_synthetic(ecr, "app", new, "v2")
    calls = Calls(ecr)
    with pytest.raises(Refused, match=r"--no-clobber: 1 tag\(s\).*latest.*nothing changed"):
        _service(ecr).retag("app", "v2", ["fresh", "latest"], no_clobber=True)
    assert calls.count("PutImage") == 0
    assert _tags_of(ecr, "app") == {"latest": old.digest, "v2": new.digest}


def test_no_clobber_accepts_new_and_unchanged_tags(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    put_synthetic(ecr, "app", synthetic_manifest("one"), "v1")
    result = _service(ecr).retag("app", "v1", ["v1", "fresh"], no_clobber=True)
    assert [o.outcome for o in result.tags] == ["unchanged", "created"]


def test_immutable_repository_on_moto_refuses_the_move_applies_the_rest(ecr: Any) -> None:
    # moto answers ImageAlreadyExistsException (naming the other digest) where ECR answers
    # ImageTagAlreadyExistsException; both are a refusal of that one tag.
    ecr.create_repository(repositoryName="app", imageTagMutability="IMMUTABLE")
    old, new = synthetic_manifest("old"), synthetic_manifest("new")
    put_synthetic(ecr, "app", old, "release")
    put_synthetic(ecr, "app", new, "v2")
    result = _service(ecr).retag("app", "v2", ["release", "fresh"])
    assert not result.ok
    outcomes = {o.tag: o for o in result.tags}
    assert outcomes["release"].outcome == "refused"
    assert outcomes["release"].digest == old.digest
    assert outcomes["fresh"].outcome == "created"
    assert _tags_of(ecr, "app") == {"release": old.digest, "v2": new.digest, "fresh": new.digest}


def test_many_tags_are_fetched_and_verified_in_chunks_of_100(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    image = synthetic_manifest("one")
    put_synthetic(ecr, "app", image, "v1")
    calls = Calls(ecr)
    tags = [f"t{n}" for n in range(150)]
    result = _service(ecr).retag("app", "v1", tags)
    assert result.ok and len(result.tags) == 150
    assert calls.count("BatchGetImage") == 2  # 1 source + 99 tags, then 51 tags
    assert calls.count("PutImage") == 150
    assert calls.count("DescribeImages") == 2


def test_bad_input_is_refused_before_any_call(ecr: Any) -> None:
    calls = Calls(ecr)
    with pytest.raises(InvalidInput, match="invalid tag"):
        _service(ecr).retag("app", "v1", ["ok", "-bad"])
    with pytest.raises(InvalidInput, match="invalid digest"):
        _service(ecr).retag("app", "@sha256:short", ["ok"])
    with pytest.raises(InvalidInput, match="at least one new tag"):
        _service(ecr).retag("app", "v1", [])
    assert calls.names == []


def test_missing_source_and_repository_are_not_found(ecr: Any) -> None:
    with pytest.raises(NotFound, match="repository nope not found"):
        _service(ecr).retag("nope", "v1", ["x"])
    ecr.create_repository(repositoryName="app")
    with pytest.raises(NotFound, match="v9 not found in app"):
        _service(ecr).retag("app", "v9", ["x"])


def test_match_images_pairs_moto_answers_by_request_order() -> None:
    digest_a, digest_b = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    requested = [{"imageTag": "v1"}, {"imageTag": "gone"}, {"imageTag": "other"}]
    response = {
        # moto names each image by its latest tag, not by the tag that was asked for
        "images": [
            {"imageId": {"imageTag": "latest", "imageDigest": digest_a}},
            {"imageId": {"imageTag": "other", "imageDigest": digest_b}},
        ],
        "failures": [{"imageId": {"imageTag": "gone"}, "failureCode": "ImageNotFound"}],
    }
    found = match_images(requested, response)
    assert found[("tag", "v1")]["imageId"]["imageDigest"] == digest_a
    assert found[("tag", "other")]["imageId"]["imageDigest"] == digest_b
    assert ("tag", "gone") not in found


# --- ECR's real answers, through botocore's Stubber -----------------------------------------

INDEX = synthetic_index(
    [(synthetic_manifest("a", media_type=OCI_MANIFEST), "linux/amd64")], media_type=OCI_INDEX
)


def _get(
    stub: Stubber,
    image: Any,
    tags: list[str],
    existing: dict[str, str] | None = None,
    source: dict[str, str] | None = None,
) -> None:
    source = source or {"imageTag": "v1"}
    ids = [source, *({"imageTag": t} for t in tags)]
    images = [
        {
            "registryId": "123456789012",
            "repositoryName": "app",
            "imageId": {**source, "imageDigest": image.digest},
            "imageManifest": image.manifest,
            "imageManifestMediaType": image.media_type,
        }
    ]
    for tag, digest in (existing or {}).items():
        images.append(
            {
                "registryId": "123456789012",
                "repositoryName": "app",
                "imageId": {"imageTag": tag, "imageDigest": digest},
                "imageManifest": "{}",
                "imageManifestMediaType": OCI_MANIFEST,
            }
        )
    failures = [
        {
            "imageId": {"imageTag": t},
            "failureCode": "ImageNotFound",
            "failureReason": "Requested image not found",
        }
        for t in tags
        if t not in (existing or {})
    ]
    stub.add_response(
        "batch_get_image",
        {"images": images, "failures": failures},
        {"repositoryName": "app", "imageIds": ids, "acceptedMediaTypes": ACCEPTED_MEDIA_TYPES},
    )


def _put_ok(stub: Stubber, image: Any, tag: str) -> None:
    stub.add_response(
        "put_image",
        {
            "image": {
                "repositoryName": "app",
                "imageId": {"imageTag": tag, "imageDigest": image.digest},
            }
        },
        {
            "repositoryName": "app",
            "imageManifest": image.manifest,
            "imageManifestMediaType": image.media_type,
            "imageDigest": image.digest,
            "imageTag": tag,
        },
    )


def _describe(stub: Stubber, tags_by_digest: dict[str, list[str]], asked: list[str]) -> None:
    stub.add_response(
        "describe_images",
        {"imageDetails": [{"imageDigest": d, "imageTags": t} for d, t in tags_by_digest.items()]},
        {"repositoryName": "app", "imageIds": [{"imageTag": t} for t in asked]},
    )


def test_oci_index_media_type_and_bytes_are_put_exactly(stubbed: Any) -> None:
    client, stub = stubbed
    _get(stub, INDEX, ["latest"])
    _put_ok(stub, INDEX, "latest")  # the Stubber checks imageManifestMediaType == OCI index
    _describe(stub, {INDEX.digest: ["v1", "latest"]}, ["latest"])
    result = _one_at_a_time(client).retag("app", "v1", ["latest"])
    assert result.ok and result.media_type == OCI_INDEX


def test_docker_manifest_list_keeps_its_media_type(stubbed: Any) -> None:
    client, stub = stubbed
    listing = synthetic_index([(synthetic_manifest("x"), "linux/amd64")], media_type=DOCKER_LIST)
    _get(stub, listing, ["multi"])
    _put_ok(stub, listing, "multi")
    _describe(stub, {listing.digest: ["multi"]}, ["multi"])
    assert _one_at_a_time(client).retag("app", "v1", ["multi"]).media_type == DOCKER_LIST


def test_ecr_immutable_refusal_names_the_tag_and_applies_the_others(stubbed: Any) -> None:
    client, stub = stubbed
    other = "sha256:" + "c" * 64
    _get(stub, INDEX, ["release", "fresh"], existing={"release": other})
    message = (
        "The image tag 'release' already exists in the 'app' repository and cannot be "
        "overwritten because the repository is immutable."
    )
    stub.add_client_error(
        "put_image",
        service_error_code="ImageTagAlreadyExistsException",
        service_message=message,
        http_status_code=400,
    )
    _put_ok(stub, INDEX, "fresh")
    _describe(stub, {INDEX.digest: ["v1", "fresh"]}, ["fresh"])
    result = _one_at_a_time(client).retag("app", "v1", ["release", "fresh"])
    outcomes = {o.tag: o for o in result.tags}
    assert outcomes["release"].outcome == "refused"
    assert "immutable" in (outcomes["release"].reason or "")
    assert outcomes["release"].previous_digest == other
    assert outcomes["fresh"].outcome == "created"
    assert not result.ok


@pytest.mark.parametrize(
    ("before", "outcome"), [(None, "created"), ("sha256:" + "c" * 64, "moved")]
)
def test_image_already_exists_for_the_same_digest_counts_from_what_ecr_holds(
    stubbed: Any, before: str | None, outcome: str
) -> None:
    # The tag named nothing (or another image) when the run began and names the image now: a
    # lost answer made botocore resend an applied PutImage, which ECR answers "already exists".
    client, stub = stubbed
    _get(stub, INDEX, ["stable"], existing={"stable": before} if before else None)
    stub.add_client_error(
        "put_image",
        service_error_code="ImageAlreadyExistsException",
        http_status_code=400,
        service_message=f"Image with digest '{INDEX.digest}' and tag 'stable' already exists in "
        "the repository with name 'app' in registry with id '123456789012'",
    )
    _describe(stub, {INDEX.digest: ["v1", "stable"]}, ["stable"])
    result = _one_at_a_time(client).retag("app", "v1", ["stable"])
    assert result.ok and result.tags[0].outcome == outcome
    assert (result.tags[0].previous_digest, result.tags[0].digest) == (before, INDEX.digest)


def test_layers_not_found_fails_and_stops_the_other_tags(stubbed: Any) -> None:
    client, stub = stubbed
    _get(stub, INDEX, ["a", "b", "c"])
    stub.add_client_error(
        "put_image",
        service_error_code="LayersNotFoundException",
        http_status_code=400,
        service_message="The image layers were not found",
    )
    service = _one_at_a_time(client)
    result = service.retag("app", "v1", ["a", "b", "c"])
    assert [o.outcome for o in result.tags] == ["failed", "skipped", "skipped"]
    assert "LayersNotFoundException" in (result.tags[0].reason or "")
    assert "not attempted" in (result.tags[1].reason or "")


def test_throttling_then_success_is_invisible_and_each_retry_is_reported() -> None:
    """botocore retries the throttled PutImage (HTTP answers, not a Stubber); ecrctl only paces
    each attempt and tells ``on_retry``."""
    ecr = ScriptedEcr(attempts=3)
    source = {"imageTag": "v1", "imageDigest": INDEX.digest}
    image = {"imageId": source, "imageManifest": INDEX.manifest}
    ecr.answer("BatchGetImage", {"images": [image], "failures": []})
    ecr.throttle("PutImage")
    ecr.answer("PutImage", {"image": {"imageId": {"imageTag": "x", "imageDigest": INDEX.digest}}})
    details = [{"imageDigest": INDEX.digest, "imageTags": ["v1", "x"]}]
    ecr.answer("DescribeImages", {"imageDetails": details})
    retries: list[tuple[int, str]] = []
    service = RetagService(
        EcrRegistry(ecr.client),
        pacer=TokenBucket(rate=1e9, burst=1000),
        workers=1,
        on_retry=lambda n, c: retries.append((n, c)),
    )
    result = service.retag("app", "v1", ["x"])
    assert result.ok and result.tags[0].outcome == "created"
    assert ecr.attempts("PutImage") == 2
    assert retries == [(1, "ThrottlingException")]


def test_a_refusal_after_a_retry_is_settled_by_reading_the_tag_back() -> None:
    """The first PutImage may have been applied (a 503: its answer says nothing of the work);
    botocore retries and the retry is throttled: what ECR holds decides, not the last answer."""
    ecr = ScriptedEcr(attempts=2)
    source = {"imageTag": "v1", "imageDigest": INDEX.digest}
    image = {"imageId": source, "imageManifest": INDEX.manifest}
    ecr.answer("BatchGetImage", {"images": [image], "failures": []})
    ecr.answer("PutImage", {"__type": "ServiceUnavailableException", "message": "busy"}, 503)
    ecr.throttle("PutImage")
    details = [{"imageDigest": INDEX.digest, "imageTags": ["v1", "x"]}]
    ecr.answer("DescribeImages", {"imageDetails": details})
    service = RetagService(EcrRegistry(ecr.client), pacer=TokenBucket(rate=1e9, burst=1000))
    result = service.retag("app", "v1", ["x"])
    assert [(o.outcome, o.digest) for o in result.tags] == [("created", INDEX.digest)]


def test_verification_catches_a_tag_that_resolves_elsewhere(stubbed: Any) -> None:
    client, stub = stubbed
    other = "sha256:" + "d" * 64
    _get(stub, INDEX, ["x", "y"])
    _put_ok(stub, INDEX, "x")
    _put_ok(stub, INDEX, "y")
    _describe(stub, {INDEX.digest: ["v1", "x"], other: ["y"]}, ["x", "y"])
    service = _one_at_a_time(client)
    result = service.retag("app", "v1", ["x", "y"])
    outcomes = {o.tag: o for o in result.tags}
    assert outcomes["x"].ok
    assert outcomes["y"].outcome == "failed" and outcomes["y"].digest == other
    assert "verification failed" in (outcomes["y"].reason or "")


def test_source_by_digest_is_fetched_by_digest(stubbed: Any) -> None:
    client, stub = stubbed
    source = {"imageDigest": INDEX.digest}
    _get(stub, INDEX, ["x"], source=source)
    _put_ok(stub, INDEX, "x")
    _describe(stub, {INDEX.digest: ["x"]}, ["x"])
    result = _one_at_a_time(client).retag("app", f"@{INDEX.digest}", ["x"])
    assert result.ok
    assert json.loads(INDEX.manifest)["mediaType"] == result.media_type


class PutImageQuota:
    """ECR's PutImage quota in front of moto: more than ``limit`` attempts in any one second
    would be throttled (checked on each HTTP attempt, after ecrctl's pacer)."""

    def __init__(self, ecr: Any, clock: Any, limit: int = 10) -> None:
        self._clock = clock
        self.limit = limit
        self.stamps: list[float] = []
        self.over = 0
        ecr.meta.events.register("before-send.ecr.PutImage", self._attempt)

    def _attempt(self, **_: Any) -> None:
        now = self._clock.now
        if len([s for s in self.stamps if now - s < 1.0 - 1e-6]) >= self.limit:
            self.over += 1
        self.stamps.append(now)


def test_hundred_tags_stay_under_the_put_image_quota(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    image = synthetic_manifest("one")
    put_synthetic(ecr, "app", image, "v1")
    fake = FakeClock()
    # the default rate, 10 a second; the pacer is asked before the quota sees the attempt
    service = RetagService(
        EcrRegistry(ecr), pacer=TokenBucket(clock=fake.clock, sleep=fake.sleep), workers=1
    )
    quota = PutImageQuota(ecr, fake)
    tags = [f"build-{n}" for n in range(100)]
    result = service.retag("app", "v1", tags)
    assert result.ok, [o.reason for o in result.failed]
    assert [o.outcome for o in result.tags] == ["created"] * 100
    assert len(quota.stamps) == 100
    # at ECR's quota the pacer alone keeps every call under it: 100 calls in ~10 s
    assert quota.over == 0
    assert fake.now == pytest.approx(9.9)
    assert _tags_of(ecr, "app") == {t: image.digest for t in ["v1", *tags]}
