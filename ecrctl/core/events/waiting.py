"""How the events waits pace and report themselves, over ecrctl's one poll loop.

``events setup`` waits for a connection to be authorized, ``events template --deploy`` for a
stack or a change set to settle. Each is ``ecrctl.core.polling.poll`` with its own check; this
module holds what they share: the timeout and longest interval a person chose, the injectable
sleep and clock (tests wait for nothing), and the "...; waiting" line said before each sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ecrctl.core.polling import Schedule, poll

T = TypeVar("T")


def quiet(_message: str) -> None:
    """The progress reporter of a caller that wants none."""


@dataclass
class Waits:
    """At most ``timeout`` seconds, polling at most ``longest`` seconds apart."""

    timeout: float
    longest: float
    sleep: Callable[[float], object] = time.sleep
    clock: Callable[[], float] = time.monotonic
    progress: Callable[[str], None] = quiet

    def until(
        self,
        check: Callable[[], T | None],
        *,
        first: float,
        factor: float = 2.0,
        waiting: Callable[[], str] | None = None,
        timed_out: Callable[[], BaseException],
    ) -> T:
        """``check()`` until it answers, ``first`` seconds apart, then ``factor`` times longer.

        ``waiting()`` (when given) is said before each sleep: never after the last check, so
        that a timeout is reported by ``timed_out()`` alone.
        """

        def pause(seconds: float) -> None:
            if waiting is not None:
                self.progress(waiting())
            self.sleep(seconds)

        schedule = Schedule(
            self.timeout, first, self.longest, factor, clock=self.clock, sleep=pause
        )
        return poll(lambda _elapsed: check(), schedule, timed_out=lambda _elapsed: timed_out())
