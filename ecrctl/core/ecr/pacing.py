"""Pacing for ECR's rate-limited writes, and reading the errors of bulk calls.

PutImage is limited to about 10 calls a second per region. A token bucket keeps ecrctl under that
rate (core.registry asks it before every PutImage attempt); a call throttled all the same is
retried by botocore's retry configuration, the only retry layer (see core.registry).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

PUT_IMAGE_RATE = 10.0  # calls a second, per region (ECR's PutImage quota)
PUT_IMAGE_BURST = 1  # evenly spaced: a quota counted over any one-second window holds


def error_code(error: BaseException) -> str:
    """The AWS error code of a botocore ClientError (duck-typed), else ''."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str((response.get("Error") or {}).get("Code", ""))
    return ""


def error_message(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        message = str((response.get("Error") or {}).get("Message", "")).strip()
        if message:
            return message
    return str(error)


def is_aws_error(error: BaseException) -> bool:
    """An answer from AWS (a ClientError) or a failure to get one (botocore, urllib3, a socket).

    Anything else is a bug in ecrctl and must not be reported as a per-id outcome.
    """
    if isinstance(getattr(error, "response", None), dict) or isinstance(error, OSError):
        return True
    return type(error).__module__.startswith(("botocore", "urllib3"))


def http_status(error: BaseException) -> int:
    """The HTTP status of a ClientError, else 0 (no answer arrived)."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return int((response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)
    return 0


def maybe_applied(error: BaseException) -> bool:
    """Whether a failed write may still have been applied: no answer, a 5xx answer, or an
    answer after retries.

    A 4xx answer refused the call; after a reset, a timeout or a server error the request may
    have reached ECR and done its work (the answer was lost), so only a read says what happened.
    botocore's retries hide the earlier attempts: when the last answer came after a retry
    (``RetryAttempts``), an earlier attempt may have been applied, whatever the last one said.
    """
    response = getattr(error, "response", None)
    meta = (response.get("ResponseMetadata") or {}) if isinstance(response, dict) else {}
    retried = int(meta.get("RetryAttempts") or 0) > 0
    return not error_code(error) or http_status(error) >= 500 or retried


def describe_error(error: BaseException) -> str:
    """One line for a per-id report: ``Code: message``, or the network error's class and text."""
    code = error_code(error)
    if code:
        return f"{code}: {error_message(error)}"
    return " ".join(f"{type(error).__name__}: {error}".split())


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up; ``acquire`` blocks for one token.

    Thread-safe: the worker threads of one command share a bucket. The clock and sleep are
    injectable so that tests run without waiting.
    """

    def __init__(
        self,
        rate: float = PUT_IMAGE_RATE,
        burst: int = PUT_IMAGE_BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def _reserve(self) -> float:
        """Take a token (possibly going negative) and return how long to wait for it."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def acquire(self) -> float:
        """Wait until a call may be made; returns the seconds waited."""
        wait = self._reserve()
        if wait > 0:
            self._sleep(wait)
        return wait
