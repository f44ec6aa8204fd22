"""LifecycleService: AWS's remote preview with botocore's Stubber (moto has no preview API), and
get/put/delete/images against moto in-process."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import NotFound, Refused
from ecrctl.core.lifecycle import evaluate, parse_policy
from ecrctl.core.lifecycle.builder import build_policy
from ecrctl.core.lifecycle.preview import LifecycleService
from ecrctl.sandbox.images import seed_repository
from tests.fakeclock import FakeClock

REPO = "team/app"
T0 = datetime(2026, 5, 1, tzinfo=UTC)
POLICY = build_policy(keep_last=1)


def result(n: int, priority: int = 1, action: str = "EXPIRE", tags: tuple[str, ...] = ()) -> Any:
    item: dict[str, Any] = {
        "imageDigest": f"sha256:{n:064x}",
        "imagePushedAt": T0 + timedelta(hours=n),
        "action": {"type": action},
        "appliedRulePriority": priority,
        "storageClass": "STANDARD",
    }
    if tags:
        item["imageTags"] = list(tags)
    if action == "TRANSITION":
        item["action"]["targetStorageClass"] = "ARCHIVE"
    return item


def service(client: Any, clock: FakeClock) -> LifecycleService:
    return LifecycleService(EcrRegistry(client), sleep=clock.sleep, clock=clock)


def start(stub: Stubber, text: str | None = POLICY.text) -> None:
    expected: dict[str, Any] = {"repositoryName": REPO}
    if text is not None:
        expected["lifecyclePolicyText"] = text
    stub.add_response(
        "start_lifecycle_policy_preview",
        {"repositoryName": REPO, "status": "IN_PROGRESS", "registryId": "123456789012"},
        expected,
    )


def get(stub: Stubber, status: str, results: list[Any] = (), token: str | None = None,
        after: str | None = None, summary: dict[str, Any] | None = None) -> None:  # fmt: skip
    response: dict[str, Any] = {"repositoryName": REPO, "status": status}
    if results:
        response["previewResults"] = list(results)
    if token:
        response["nextToken"] = token
    if summary:
        response["summary"] = summary
    expected: dict[str, Any] = {"repositoryName": REPO, "maxResults": 100}
    if after:
        expected["nextToken"] = after
    stub.add_response("get_lifecycle_policy_preview", response, expected)


def test_in_progress_then_complete_with_several_pages(stubbed: Any) -> None:
    client, stub = stubbed
    clock = FakeClock()
    start(stub)
    get(stub, "IN_PROGRESS")
    get(stub, "IN_PROGRESS")
    get(
        stub,
        "COMPLETE",
        [result(3, tags=("v3", "stable")), result(1)],
        token="page-2",
        summary={
            "expiringImageTotalCount": 3,
            "transitioningImageTotalCounts": [
                {"targetStorageClass": "ARCHIVE", "imageTotalCount": 1}
            ],
        },
    )
    get(
        stub,
        "COMPLETE",
        [result(2, priority=2, action="TRANSITION")],
        token="page-3",
        after="page-2",
    )
    get(stub, "COMPLETE", [result(5)], after="page-3")
    seen: list[tuple[str, float]] = []
    preview = service(client, clock).remote_preview(
        REPO, POLICY, on_status=lambda s, t: seen.append((s, t))
    )
    assert [s for s, _ in seen] == ["IN_PROGRESS", "IN_PROGRESS", "COMPLETE"]
    assert clock.sleeps == [1.0, 2.0]  # backs off between polls
    assert preview.status == "COMPLETE"
    assert (preview.expiring_total, preview.transitioning_total) == (3, 1)
    # Every page collected; ordered by rule priority, then oldest first.
    assert [(d.image.digest[-1], d.rule_priority, d.action) for d in preview.affected] == [
        ("1", 1, "expire"),
        ("3", 1, "expire"),
        ("5", 1, "expire"),
        ("2", 2, "transition"),
    ]
    assert preview.affected[1].image.tags == ("v3", "stable")
    assert preview.to_json()["summary"] == {"expire": 3, "transition": 1}


def test_preview_of_the_current_policy_sends_no_text(stubbed: Any) -> None:
    client, stub = stubbed
    start(stub, text=None)
    get(stub, "COMPLETE")
    preview = service(client, FakeClock()).remote_preview(REPO)
    assert preview.affected == []


def test_failed_preview_is_refused(stubbed: Any) -> None:
    client, stub = stubbed
    start(stub)
    get(stub, "IN_PROGRESS")
    get(stub, "FAILED")
    with pytest.raises(Refused, match="ended FAILED"):
        service(client, FakeClock()).remote_preview(REPO, POLICY)


def test_preview_gives_up_after_the_timeout(stubbed: Any) -> None:
    client, stub = stubbed
    clock = FakeClock()
    start(stub)
    for _ in range(4):
        get(stub, "IN_PROGRESS")
    with pytest.raises(Refused, match="still IN_PROGRESS after 7 s"):
        service(client, clock).remote_preview(REPO, POLICY, timeout=7)
    assert clock.sleeps == [1.0, 2.0, 4.0]


def test_preview_already_running_and_no_policy(stubbed: Any) -> None:
    client, stub = stubbed
    stub.add_client_error(
        "start_lifecycle_policy_preview", "LifecyclePolicyPreviewInProgressException", "busy"
    )
    with pytest.raises(Refused, match="already running"):
        service(client, FakeClock()).remote_preview(REPO, POLICY)
    stub.add_client_error(
        "start_lifecycle_policy_preview", "LifecyclePolicyNotFoundException", "none"
    )
    with pytest.raises(NotFound, match="no lifecycle policy to preview"):
        service(client, FakeClock()).remote_preview(REPO)


def test_images_include_archived_and_skip_those_being_restored(stubbed: Any) -> None:
    client, stub = stubbed
    images = [
        {"imageDigest": "sha256:" + "a" * 64, "imageTags": ["v1"], "imagePushedAt": T0},
        {
            "imageDigest": "sha256:" + "b" * 64,
            "imagePushedAt": T0,
            "imageStatus": "ARCHIVED",
            "lastArchivedAt": T0 + timedelta(days=1),
        },
        {"imageDigest": "sha256:" + "c" * 64, "imagePushedAt": T0, "imageStatus": "ACTIVATING"},
    ]
    stub.add_response(
        "describe_images",
        {"imageDetails": images[:2], "nextToken": "t"},
        {"repositoryName": REPO, "filter": {"imageStatus": "ANY"}, "maxResults": 1000},
    )
    stub.add_response(
        "describe_images",
        {"imageDetails": images[2:]},
        {
            "repositoryName": REPO,
            "filter": {"imageStatus": "ANY"},
            "maxResults": 1000,
            "nextToken": "t",
        },
    )
    records = LifecycleService(EcrRegistry(client)).images(REPO)
    assert [(r.digest[7], r.storage_class) for r in records] == [
        ("a", "standard"),
        ("b", "archive"),
    ]
    assert records[1].last_archived_at == T0 + timedelta(days=1)


# --- against moto in-process --------------------------------------------------------------------


def test_put_get_delete_round_trip(ecr: Any) -> None:
    ecr.create_repository(repositoryName=REPO)
    svc = LifecycleService(EcrRegistry(ecr))
    assert svc.current(REPO) is None
    with pytest.raises(NotFound, match="has no lifecycle policy"):
        svc.get(REPO)
    policy = build_policy(keep_last=3, tag_prefixes=["release-"], expire_untagged_after=7)
    svc.put(REPO, policy)
    stored = svc.get(REPO)
    assert stored.document == json.loads(policy.text)
    assert parse_policy(stored.text).to_json() == policy.to_json()
    deleted = svc.delete(REPO)
    assert deleted.document == json.loads(policy.text)
    assert svc.current(REPO) is None
    with pytest.raises(NotFound, match="has no lifecycle policy"):
        svc.delete(REPO)


def test_missing_repository_is_not_found(ecr: Any) -> None:
    svc = LifecycleService(EcrRegistry(ecr))
    for call in (svc.current, svc.images, svc.delete):
        with pytest.raises(NotFound, match="repository nope/app not found"):
            call("nope/app")


def test_local_evaluation_of_seeded_images(ecr: Any) -> None:
    ecr.create_repository(repositoryName=REPO)
    seed_repository(ecr, REPO, ["v1", "v2", "v3"])
    images = LifecycleService(EcrRegistry(ecr)).images(REPO)
    assert sorted(t for i in images for t in i.tags) == ["v1", "v2", "v3"]
    evaluation = evaluate(build_policy(keep_last=1), images, datetime.now(UTC))
    assert (evaluation.count("expire"), len(evaluation.kept)) == (2, 1)
