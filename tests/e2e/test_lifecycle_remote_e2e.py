"""``ecrctl lifecycle preview --remote`` as a subprocess against a scripted ECR endpoint.

moto has no lifecycle preview API, so a small HTTP server speaks ECR's JSON protocol for the two
preview operations: the real command, botocore and its parsing run unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests import fakehttp
from tests.fakehttp import Reply, Request, json_reply

pytestmark = pytest.mark.e2e
fake_server = fakehttp.fake_server

TARGET = "AmazonEC2ContainerRegistry_V20150921."


def result(n: int, tags: list[str], priority: int, action: str = "EXPIRE") -> dict[str, Any]:
    item: dict[str, Any] = {
        "imageDigest": f"sha256:{n:064x}",
        "imagePushedAt": 1_780_000_000 + n,
        "action": {"type": action},
        "appliedRulePriority": priority,
        "storageClass": "STANDARD",
    }
    if tags:
        item["imageTags"] = tags
    return item


def scripted_ecr(script: dict[str, Any]) -> Callable[[Request], Reply]:
    """Start, then IN_PROGRESS once, then COMPLETE in two pages (or FAILED when scripted)."""

    def answer(request: Request) -> Reply:
        operation = request.headers.get("X-Amz-Target", "").removeprefix(TARGET)
        body = json.loads(request.body or b"{}")
        script.setdefault("calls", []).append((operation, body))
        if operation == "StartLifecyclePolicyPreview":
            reply = {"repositoryName": body["repositoryName"], "status": "IN_PROGRESS"}
        elif operation == "GetLifecyclePolicyPreview":
            polls = sum(1 for op, _ in script["calls"] if op == operation)
            if polls == 1:
                reply = {"status": "IN_PROGRESS"}
            elif script.get("fail"):
                reply = {"status": "FAILED"}
            elif "nextToken" not in body:
                reply = {
                    "status": "COMPLETE",
                    "previewResults": [result(2, ["v2", "stable"], 1), result(1, [], 2)],
                    "nextToken": "page-2",
                    "summary": {"expiringImageTotalCount": 3},
                }
            else:
                reply = {"status": "COMPLETE", "previewResults": [result(3, ["v3"], 1)]}
        else:
            return Reply(400)
        return json_reply(200, reply, {"Content-Type": "application/x-amz-json-1.1"})

    return answer


@pytest.fixture
def scripted(fake_server: Any) -> tuple[str, dict[str, Any]]:
    script: dict[str, Any] = {}
    return fake_server(scripted_ecr(script)).url, script


def test_remote_preview_polls_pages_and_prints_the_local_shape(
    run_ecrctl: Any, scripted: tuple[str, dict[str, Any]]
) -> None:
    url, script = scripted
    out = run_ecrctl("lifecycle", "preview", "team/app", "--remote", env={"AWS_ENDPOINT_URL": url})
    assert out.exit_code == 0, out.stderr
    assert out.stdout.splitlines() == [
        f"sha256:{2:064x}\tv2,stable\t1\texpire",
        f"sha256:{3:064x}\tv3\t1\texpire",
        f"sha256:{1:064x}\t-\t2\texpire",
    ]
    assert "preview of team/app: IN_PROGRESS" in out.stderr
    assert "preview of team/app: COMPLETE" in out.stderr
    operations = [op for op, _ in script["calls"]]
    assert operations == ["StartLifecyclePolicyPreview", *["GetLifecyclePolicyPreview"] * 3]
    assert "lifecyclePolicyText" not in script["calls"][0][1]  # the current policy
    assert script["calls"][-1][1]["nextToken"] == "page-2"
    assert all(body.get("maxResults") == 100 for op, body in script["calls"][1:])


def test_remote_preview_failed_exits_1(
    run_ecrctl: Any, scripted: tuple[str, dict[str, Any]]
) -> None:
    url, script = scripted
    script["fail"] = True
    out = run_ecrctl("lifecycle", "preview", "team/app", "--remote", env={"AWS_ENDPOINT_URL": url})
    assert out.exit_code == 1
    assert out.stdout == ""
    assert out.stderr.strip().endswith(
        "ecrctl: AWS's lifecycle policy preview for team/app ended FAILED"
    )
