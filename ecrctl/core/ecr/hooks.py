"""botocore's events on one ECR client: PutImage pacing and notes of botocore's own retries.

Both are asked once per HTTP attempt, retries included: the pacer through
``before-send.ecr.PutImage``; the retry notes through ``needs-retry.ecr`` (which failure) and the
next attempt's ``before-send.ecr`` (its number, from the ``amz-sdk-request`` header). ecrctl adds
no retry loop of its own; see core/ecr/api.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ecrctl.core.ecr.pacing import TokenBucket

if TYPE_CHECKING:
    from botocore.awsrequest import AWSPreparedRequest
    from botocore.hooks import BaseEventHooks

OnRetry = Callable[[int, str], object]


def attempt_of(request: AWSPreparedRequest) -> int:
    """The attempt number botocore writes in the ``amz-sdk-request`` header (1 if absent)."""
    header: str | bytes = request.headers.get("amz-sdk-request") or ""
    if isinstance(header, bytes):
        header = header.decode("ascii", "replace")
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "attempt" and value.isdigit():
            return int(value)
    return 1


class ClientHooks:
    """The pacer and the retry observer registered (once each) on one client's events."""

    def __init__(self, events: BaseEventHooks) -> None:
        self._events = events
        self._lock = threading.Lock()
        self._hooked: set[str] = set()
        self._pacer: TokenBucket | None = None
        self._on_retry: OnRetry | None = None
        self._last_failure = threading.local()

    def _hook(self, event: str, handler: Callable[..., None]) -> None:
        with self._lock:
            if event not in self._hooked:
                self._hooked.add(event)
                self._events.register(event, handler)

    def pace(self, pacer: TokenBucket) -> None:
        """Ask ``pacer`` for a token before every PutImage attempt made through this client."""
        self._pacer = pacer
        self._hook("before-send.ecr.PutImage", self._before_put)

    def _before_put(self, **_: object) -> None:
        if self._pacer is not None:
            self._pacer.acquire()

    def report_retries(self, on_retry: OnRetry) -> None:
        """Call ``on_retry(retry number, error code)`` before each retry botocore makes."""
        self._on_retry = on_retry
        self._hook("needs-retry.ecr", self._failed)
        self._hook("before-send.ecr", self._before_send)

    def _failed(
        self,
        response: tuple[object, Mapping[str, Mapping[str, object]]] | None = None,
        caught_exception: BaseException | None = None,
        **_: object,
    ) -> None:
        if caught_exception is not None:
            code = type(caught_exception).__name__
        else:
            parsed = response[1] if isinstance(response, tuple) else {}
            code = str((parsed.get("Error") or {}).get("Code") or "")
        self._last_failure.code = code

    def _before_send(self, request: AWSPreparedRequest, **_: object) -> None:
        attempt = attempt_of(request)
        if attempt > 1 and self._on_retry is not None:
            self._on_retry(attempt - 1, str(getattr(self._last_failure, "code", "")))
