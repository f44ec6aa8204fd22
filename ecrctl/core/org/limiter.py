"""How many sources a fleet reads at once: a width that halves when AWS throttles and grows back
slowly, and a retry with backoff for the one read that was throttled.

An additive-increase / multiplicative-decrease window, as TCP's congestion control: each
throttle (STS's or ECR's ``ThrottlingException``, seen either as an error the read ends with or
as a retry botocore makes, through the ``needs-retry`` hook) halves the width, at most once per
``cooldown`` so that one burst counts once; every ``width`` reads that succeed add one, up to the
ceiling. A throttled read waits (exponential backoff with jitter, outside its slot) and is asked
again, up to ``attempts`` times: throttling slows the run down, it does not fail it. The clock,
sleep and jitter are injected (tests wait for nothing).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, TypeVar

from ecrctl.core.ecr.pacing import error_code

T = TypeVar("T")

# The codes botocore's standard retry mode treats as throttling.
THROTTLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
START = 16
CEILING = 48
ATTEMPTS = 6  # a throttled read is asked this many times in all
BACKOFF = 0.25  # seconds before the second attempt, doubled each time, at most MAX_BACKOFF
MAX_BACKOFF = 8.0


def is_throttling(error: BaseException) -> bool:
    return error_code(error) in THROTTLE_CODES


class AdaptiveWidth:
    """At most ``width`` reads at once; ``throttled()`` halves it, successes grow it back."""

    def __init__(
        self,
        start: int = START,
        ceiling: int = CEILING,
        *,
        floor: int = 1,
        cooldown: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 1 <= floor <= start <= ceiling:
            raise ValueError(f"need 1 <= floor <= start <= ceiling ({floor}, {start}, {ceiling})")
        self.floor, self.ceiling, self.cooldown = floor, ceiling, cooldown
        self._width = start
        self._active = 0
        self._good = 0
        self._last_cut: float | None = None
        self._clock = clock
        self._changed = threading.Condition()
        self.cuts = 0  # how many times throttling halved the width
        self.throttles = 0  # throttles seen (errors and botocore's retries)
        self.narrowest = start

    @property
    def width(self) -> int:
        with self._changed:
            return self._width

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the ``width`` slots for the block (waits while they are all taken)."""
        with self._changed:
            while self._active >= self._width:
                self._changed.wait()
            self._active += 1
        try:
            yield
        finally:
            with self._changed:
                self._active -= 1
                self._changed.notify()

    def throttled(self) -> None:
        with self._changed:
            self.throttles += 1
            now = self._clock()
            if self._last_cut is not None and now - self._last_cut < self.cooldown:
                return
            self._last_cut = now
            self._width = max(self.floor, self._width // 2)
            self.narrowest = min(self.narrowest, self._width)
            self._good = 0
            self.cuts += 1

    def succeeded(self) -> None:
        with self._changed:
            self._good += 1
            if self._good >= self._width and self._width < self.ceiling:
                self._width += 1
                self._good = 0
                self._changed.notify()

    def observe_retry(self, response: Any = None, **_: Any) -> None:
        """botocore's ``needs-retry`` hook: a throttled attempt that botocore will retry."""
        parsed = response[1] if isinstance(response, tuple) and len(response) > 1 else None
        if isinstance(parsed, dict):
            code = str((parsed.get("Error") or {}).get("Code") or "")
            if code in THROTTLE_CODES:
                self.throttled()


def with_backoff(
    action: Callable[[], T],
    width: AdaptiveWidth,
    *,
    attempts: int = ATTEMPTS,
    hold: bool = True,
    sleep: Callable[[float], Any] = time.sleep,
    jitter: Callable[[], float] = random.random,
) -> T:
    """``action()`` in a slot of ``width`` (``hold`` False: the caller holds one already); a
    throttled attempt narrows it, waits and tries again (the last attempt's error is raised);
    any other error is raised at once."""
    for attempt in range(1, attempts + 1):
        with width.slot() if hold else nullcontext():
            try:
                result = action()
            except Exception as error:
                if attempt == attempts or not is_throttling(error):
                    raise
                width.throttled()
            else:
                width.succeeded()
                return result
        delay = min(MAX_BACKOFF, BACKOFF * 2 ** (attempt - 1))
        sleep(delay * (0.5 + jitter() / 2))
    raise AssertionError("unreachable")  # the last attempt returns or raises
