"""retag / untag when the network fails: every id is reported done or not done, from ECR's state.

A double in front of moto fails chosen calls the way a network does: before the request reaches
ECR (nothing done) or after ECR did the work (the answer is lost). Botocore's own retries are
out of the picture here (they are exercised end to end in tests/e2e/test_limits_faults.py):
each failure below is what reaches ecrctl once they are spent.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.ecr.pacing import TokenBucket
from ecrctl.core.images.retag import RetagService
from ecrctl.core.images.untag import UntagService
from ecrctl.sandbox.images import put_synthetic, synthetic_manifest
from tests.moto_serial import serialize_moto_ecr_writes

URL = "https://api.ecr.us-east-1.amazonaws.com/"
# (operation, its 1-based call number) -> "ok", "down" (not sent) or "lost" (done, answer lost)
Network = Callable[[str, int], str]


@pytest.fixture(autouse=True)
def _serial_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    serialize_moto_ecr_writes(monkeypatch)


class FlakyNetwork:
    """moto behind a network that fails the calls ``network`` names.

    A second client on the same moto, whose every HTTP attempt (paginated calls included) meets
    the network first (botocore's ``before-send`` event): "down" fails before the request is
    sent, "lost" and "500" apply it on moto through ``ecr`` and then fail.
    """

    def __init__(self, ecr: Any, network: Network) -> None:
        import boto3

        self._ecr = ecr
        self.network = network
        self.calls: Counter[str] = Counter()
        self.client = boto3.client("ecr", region_name=ecr.meta.region_name)
        self.client.meta.events.register("before-send.ecr", self._send)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def _send(self, request: Any, event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        name = xform_name(operation)
        self.calls[name] += 1
        fate = self.network(name, self.calls[name])
        if fate == "ok":
            return
        if fate == "down":
            raise EndpointConnectionError(endpoint_url=URL)
        getattr(self._ecr, name)(**json.loads(request.body))
        if fate == "lost":
            raise ReadTimeoutError(endpoint_url=URL)
        raise ClientError(
            {
                "Error": {"Code": "ServerException", "Message": "Internal error"},
                "ResponseMetadata": {"HTTPStatusCode": 500},
            },
            operation,
        )


def _retag(ecr: Any) -> RetagService:
    return RetagService(EcrRegistry(ecr), pacer=TokenBucket(rate=1e9, burst=1000), workers=1)


def _tags_of(ecr: Any, repo: str = "app") -> dict[str, str]:
    details = ecr.describe_images(repositoryName=repo)["imageDetails"]
    return {t: d["imageDigest"] for d in details for t in d.get("imageTags", [])}


def _digests(ecr: Any, repo: str = "app") -> set[str]:
    pages = ecr.get_paginator("describe_images").paginate(repositoryName=repo)
    return {d["imageDigest"] for p in pages for d in p["imageDetails"]}


def test_retag_lost_put_image_answer_counts_what_ecr_holds(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    image, other = synthetic_manifest("one"), synthetic_manifest("other")
    put_synthetic(ecr, "app", image, "v1")
    put_synthetic(ecr, "app", other, "b")
    # PutImage "b" is done but its answer is lost; the network then works again.
    flaky = FlakyNetwork(ecr, lambda op, n: "lost" if (op, n) == ("put_image", 2) else "ok")
    result = _retag(flaky).retag("app", "v1", ["a", "b", "c"])
    outcomes = {o.tag: (o.outcome, o.digest) for o in result.tags}
    assert outcomes["a"] == ("created", image.digest)
    assert outcomes["b"] == ("moved", image.digest)  # read back: b now names the image
    assert outcomes["c"][0] == "skipped"  # not attempted once the network failed
    assert "not attempted after ReadTimeoutError on b" in (result.tags[2].reason or "")
    assert flaky.calls["describe_images"] == 1  # one read-back for the applied and lost tags
    again = _retag(ecr).retag("app", "v1", ["a", "b", "c"])
    assert [o.outcome for o in again.tags] == ["unchanged", "unchanged", "created"]
    assert _tags_of(ecr) == {t: image.digest for t in ("v1", "a", "b", "c")}


def test_retag_network_down_mid_run_reports_each_tag_and_a_rerun_completes(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    image = synthetic_manifest("one")
    put_synthetic(ecr, "app", image, "v1")
    tags = [f"t{n}" for n in range(10)]

    def network(op: str, n: int) -> str:  # three PutImage pass, then nothing gets through
        return "down" if op == "describe_images" or (op == "put_image" and n > 3) else "ok"

    result = _retag(FlakyNetwork(ecr, network)).retag("app", "v1", tags)
    assert [o.outcome for o in result.tags] == ["created"] * 3 + ["failed"] + ["skipped"] * 6
    failed = result.tags[3]
    assert failed.reason is not None and failed.reason.startswith("EndpointConnectionError: ")
    assert "not confirmed: reading the tags back failed" in failed.reason
    assert all(
        o.reason == "not attempted after EndpointConnectionError on t3" for o in result.tags[4:]
    )
    assert _tags_of(ecr) == {t: image.digest for t in ["v1", *tags[:3]]}
    again = _retag(ecr).retag("app", "v1", tags)
    assert [o.outcome for o in again.tags] == ["unchanged"] * 3 + ["created"] * 7
    assert _tags_of(ecr) == {t: image.digest for t in ["v1", *tags]}


def test_retag_server_error_after_the_put_was_applied_is_created(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    image = synthetic_manifest("one")
    put_synthetic(ecr, "app", image, "v1")
    flaky = FlakyNetwork(ecr, lambda op, n: "500" if (op, n) == ("put_image", 1) else "ok")
    result = _retag(flaky).retag("app", "v1", ["a", "b"])
    assert [o.outcome for o in result.tags] == ["created", "created"] and result.ok


def _seed(ecr: Any, count: int) -> list[str]:
    ecr.create_repository(repositoryName="app")
    images = [synthetic_manifest(f"i{n}", layers=1) for n in range(count)]
    for n, image in enumerate(images):
        put_synthetic(ecr, "app", image, f"tag-{n}")
    return [i.digest for i in images]


def _untag(ecr: Any) -> UntagService:
    return UntagService(EcrRegistry(ecr), workers=1)


def test_untag_lost_answer_ids_gone_are_removed_with_one_read_back(ecr: Any) -> None:
    _seed(ecr, 150)
    flaky = FlakyNetwork(ecr, lambda op, n: "lost" if op == "batch_delete_image" else "ok")
    service = _untag(flaky)
    plan = service.plan("app", [f"tag-{n}" for n in range(150)])
    done = service.execute(plan)
    status = Counter(r.status for r in done.removals)
    assert status == {"removed": 100, "skipped": 50}  # the first chunk was applied, unseen
    assert flaky.calls["list_images"] == 1
    assert {r.reason for r in done.removals if r.status == "skipped"} == {
        "not attempted after ReadTimeoutError"
    }
    removed = {r.digest for r in done.removals if r.status == "removed"}
    assert _digests(ecr) == {r.digest for r in done.removals} - removed
    not_done = [r.tags[0] for r in done.removals if r.status != "removed"]
    again = _untag(ecr)
    rest = again.execute(again.plan("app", not_done))  # the report names what is left
    assert rest.ok and len(rest.removals) == 50
    assert _digests(ecr) == set()


def test_untag_network_down_mid_run_reports_each_id_and_a_rerun_completes(ecr: Any) -> None:
    digests = _seed(ecr, 250)

    def network(op: str, n: int) -> str:  # one chunk goes through, then the network is down
        return "down" if op == "list_images" or (op == "batch_delete_image" and n > 1) else "ok"

    flaky = FlakyNetwork(ecr, network)
    service = _untag(flaky)
    done = service.execute(service.plan("app", [], match="tag-*"))
    status = Counter(r.status for r in done.removals)
    assert status == {"removed": 100, "failed": 100, "skipped": 50}
    assert not done.ok
    failed = [r for r in done.removals if r.status == "failed"]
    assert all((r.reason or "").startswith("EndpointConnectionError: ") for r in failed)
    assert all("not confirmed" in (r.reason or "") for r in failed)
    removed = {r.digest for r in done.removals if r.status == "removed"}
    assert _digests(ecr) == set(digests) - removed  # the report is what ECR holds
    again = _untag(ecr)
    rest = again.execute(again.plan("app", [], match="tag-*"))
    assert rest.ok and len(rest.removals) == 150
    assert _digests(ecr) == set()


def test_untag_server_error_after_the_delete_was_applied_is_removed(ecr: Any) -> None:
    _seed(ecr, 3)
    flaky = FlakyNetwork(ecr, lambda op, n: "500" if op == "batch_delete_image" else "ok")
    service = _untag(flaky)
    done = service.execute(service.plan("app", ["tag-0", "tag-1"]))
    assert [r.status for r in done.removals] == ["removed", "removed"] and done.ok
    assert flaky.calls["list_images"] == 1
    assert sorted(_tags_of(ecr)) == ["tag-2"]
