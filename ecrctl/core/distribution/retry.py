"""The registry client's one retry policy, declared here and nowhere else.

What is retried:

- a request whose body can be sent again (none, or bytes) that got no answer (refused, reset,
  closed before the status line) or a transient status (``STATUSES``: 408, 429, 500, 502, 503,
  504): GET, HEAD, PUT of a manifest, DELETE, and the POST that opens an upload session or
  mounts a blob (the distribution API's POSTs: a repeated one opens another session, which
  expires unused). connections.Pool applies this to each request;
- a blob upload as a whole (its PATCHes stream from the source and cannot be replayed, its
  closing PUT is not safe to repeat blindly): upload.BlobUpload restarts it, from the bytes the
  registry says it holds (``Range``) or from a fresh session, under the same policy.

How many times: ``attempts`` in all (the first try included), the same count that
``AWS_MAX_ATTEMPTS`` or the profile's ``max_attempts`` give the ECR API; else ``DEFAULT_ATTEMPTS``,
the 8 that the ECR API's bulk writers get (core/ecr/api.BULK_ATTEMPTS): a copy is a burst of
requests like retag's, and with 3 only 10 of 18 copies finished at 30 % faults, 18 with 8
(bench/bench_copy_hostile.py). The count is asked for only when
a first retry is due (reading the AWS config costs a botocore import a clean copy never needs).

How long between: exponential backoff with full jitter (a random wait up to ``base * 2**n``
seconds, at most ``cap``), or what the server's ``Retry-After`` asks when it asks for at most
``RETRY_AFTER_CAP`` seconds; a server that asks for longer is not retried (its error stands).
Misbehaviour (an answer too large, too slow or malformed, core.exceptions.BadAnswer) is never
retried. With ``--debug`` each retry is one line through ``log`` (a method, host and path,
never a query, a header or a token). ``sleep`` and ``jitter`` are injected for unit tests.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime

STATUSES = frozenset({408, 429, 500, 502, 503, 504})
DEFAULT_ATTEMPTS = 8  # as core/ecr/api.BULK_ATTEMPTS (not imported: it would load botocore)
MAX_ATTEMPTS = 20  # a configured count above this is taken as this
RETRY_AFTER_CAP = 60.0  # seconds; a longer Retry-After ends the retries


def retry_after_seconds(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None if absent or
    unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(min(int(text), 10**9))
    try:
        when = parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(when - now(), 0.0)


class RetryPolicy:
    """Thread-safe: one policy serves every request of a registry and every blob worker."""

    def __init__(
        self,
        attempts: int | Callable[[], int | None] = DEFAULT_ATTEMPTS,
        *,
        base: float = 0.5,
        cap: float = 10.0,
        log: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._attempts_source = attempts
        self._attempts: int | None = None
        self._lock = threading.Lock()
        self.base, self.cap = base, cap
        self.log, self.sleep, self.jitter = log, sleep, jitter
        self.statuses = STATUSES

    @property
    def attempts(self) -> int:
        """Tries in all, the first included (resolved once, on first use)."""
        with self._lock:
            if self._attempts is None:
                source = self._attempts_source
                try:
                    value = source() if callable(source) else source
                except Exception:  # an unreadable AWS config leaves the default
                    value = None
                count = DEFAULT_ATTEMPTS if value is None else int(value)
                self._attempts = min(max(count, 1), MAX_ATTEMPTS)
            return self._attempts

    def delay(self, retry: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait before retry number ``retry`` (1, 2, ...); None: do not retry (the
        server asked for a longer wait than RETRY_AFTER_CAP)."""
        if retry_after is not None:
            return retry_after if retry_after <= RETRY_AFTER_CAP else None
        return float(self.jitter() * min(self.cap, self.base * 2 ** (retry - 1)))

    def pause(self, retry: int, what: str, why: str, retry_after: float | None = None) -> bool:
        """Before retry number ``retry`` of ``what``: False when it is not to be retried (no
        attempts left, or a Retry-After too long); else log, wait and return True."""
        if retry >= self.attempts:
            return False
        wait = self.delay(retry, retry_after)
        if wait is None:
            return False
        if self.log is not None:
            asked = " (Retry-After)" if retry_after is not None else ""
            self.log(
                f"debug: retry {retry} of {self.attempts - 1} in {wait:.1f} s{asked}: {what}: {why}"
            )
        self.sleep(wait)
        return True
