"""A clock the tests move by hand: code under test sleeps without waiting."""

from __future__ import annotations

import threading


class FakeClock:
    """``clock()`` (or calling it) reads the time; ``sleep`` records the wait and moves time on.

    Thread-safe: batch writers sleep from several threads at once.
    """

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds
