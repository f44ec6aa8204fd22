"""An ECR client whose HTTP attempts are answered from a script, for tests of retries and pacing.

botocore's Stubber answers before a request is built, so botocore's retries and the handlers of
``before-send`` (where ecrctl paces PutImage) never see it. Here each HTTP attempt goes through
botocore as it would to ECR, and a ``before-send`` handler answers it from the script instead of
the network: a throttled answer is retried by botocore's own retry configuration.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

THROTTLED = {"__type": "ThrottlingException", "message": "Rate exceeded"}


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


class ScriptedEcr:
    """``client``: an ECR client with ``attempts`` in all per call (botocore's standard mode).

    ``answer(operation, body, status)`` queues one answer; ``sent`` lists each attempt's
    (operation, parameters) in order.
    """

    def __init__(self, attempts: int = 3, registry_region: str = "eu-west-1") -> None:
        import boto3
        from botocore.config import Config

        config = Config(retries={"mode": "standard", "total_max_attempts": attempts})
        self.client = boto3.client(
            "ecr",
            region_name=registry_region,
            endpoint_url="https://ecr.scripted.invalid",
            config=config,
        )
        self.answers: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.client.meta.events.register("before-send.ecr", self._answer)

    def answer(self, operation: str, body: dict[str, Any], status: int = 200) -> None:
        self.answers[operation].append((status, body))

    def throttle(self, operation: str, times: int = 1) -> None:
        for _ in range(times):
            self.answer(operation, THROTTLED, 400)

    def attempts(self, operation: str) -> int:
        return sum(1 for name, _ in self.sent if name == operation)

    def _answer(self, request: Any, event_name: str, **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse

        operation = event_name.rsplit(".", 1)[-1]
        self.sent.append((operation, json.loads(request.body or b"{}")))
        queued = self.answers[operation]
        assert queued, f"no answer left for {operation}"
        status, body = queued.pop(0)
        headers = {"Content-Type": "application/x-amz-json-1.1"}
        return AWSResponse(request.url, status, headers, _Body(json.dumps(body).encode()))
