"""The one poll loop: ask, wait a growing interval, give up after a timeout.

Every wait in ecrctl (a scan's findings, a lifecycle preview, an EventBridge connection, a
CloudFormation stack or change set) is this loop with its own ``check``. botocore's waiters are
not used: they give up after a fixed number of attempts, while ecrctl waits as long as the
person's ``--timeout`` says, and reports each state it sees.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


@dataclass
class Schedule:
    """Intervals ``first``, ``first*factor``, ... capped at ``longest``; at most ``timeout`` in all.

    The clock and sleep are injectable so that tests wait for nothing.
    """

    timeout: float
    first: float = 1.0
    longest: float = 5.0
    factor: float = 2.0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    sleep: Callable[[float], object] = field(default=time.sleep, repr=False)
    added: float = 0.0  # seconds added to every interval from now on (slow_down)

    def slow_down(self, seconds: float) -> None:
        """Wait ``seconds`` longer from the next interval on: the server asked (RFC 8628's
        ``slow_down``, which the device sign-in honours)."""
        self.added += seconds


def poll(
    check: Callable[[float], T | None],
    schedule: Schedule,
    *,
    timed_out: Callable[[float], BaseException],
) -> T:
    """Call ``check(elapsed)`` until it returns something other than None, and return that.

    ``check`` raises to stop early (a failed scan, a stack that rolled back) and may report the
    state it saw before returning None. When ``schedule.timeout`` seconds have passed with no
    answer, ``timed_out(elapsed)`` is raised. The last sleep never runs past the deadline.
    """
    started = schedule.clock()
    interval = min(schedule.first, schedule.longest)
    while True:
        elapsed = schedule.clock() - started
        answer = check(elapsed)
        if answer is not None:
            return answer
        remaining = schedule.timeout - (schedule.clock() - started)
        if remaining <= 0:
            raise timed_out(schedule.clock() - started)
        schedule.sleep(min(interval + schedule.added, remaining))
        interval = min(interval * schedule.factor, schedule.longest)
