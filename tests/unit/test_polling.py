"""The one poll loop: what every wait in ecrctl (scan, preview, connection, stack) relies on."""

from __future__ import annotations

import pytest

from ecrctl.core.polling import Schedule, poll
from tests.fakeclock import FakeClock


class TimedOut(Exception):
    pass


def schedule(clock: FakeClock, timeout: float, **kw: float) -> Schedule:
    return Schedule(timeout=timeout, clock=clock.clock, sleep=clock.sleep, **kw)


def test_returns_the_first_answer_and_grows_the_interval_up_to_the_cap() -> None:
    clock = FakeClock()
    answers = iter([None, None, None, None, "done"])
    seen: list[float] = []

    def check(elapsed: float) -> str | None:
        seen.append(elapsed)
        return next(answers)

    result = poll(check, schedule(clock, 100, first=1, longest=3), timed_out=TimedOut)
    assert result == "done"
    assert clock.sleeps == [1, 2, 3, 3]
    assert seen == [0, 1, 3, 6, 9]


def test_times_out_without_sleeping_past_the_deadline() -> None:
    clock = FakeClock()
    with pytest.raises(TimedOut) as caught:
        poll(lambda _: None, schedule(clock, 10, first=4, longest=8), timed_out=TimedOut)
    assert clock.sleeps == [4, 6]  # the second wait is cut to what is left of 10 s
    assert caught.value.args == (10,)


def test_a_check_that_raises_stops_the_wait_at_once() -> None:
    clock = FakeClock()

    def check(_: float) -> None:
        raise ValueError("stack rolled back")

    with pytest.raises(ValueError, match="rolled back"):
        poll(check, schedule(clock, 10), timed_out=TimedOut)
    assert clock.sleeps == []


def test_zero_timeout_asks_once() -> None:
    clock = FakeClock()
    calls: list[float] = []
    with pytest.raises(TimedOut):
        poll(lambda e: calls.append(e), schedule(clock, 0), timed_out=TimedOut)
    assert calls == [0] and clock.sleeps == []


def test_slow_down_lengthens_every_later_interval_but_never_the_deadline() -> None:
    clock = FakeClock()
    plan = schedule(clock, 20, first=2, longest=2, factor=1)
    calls = iter(range(100))

    def check(_elapsed: float) -> None:
        if next(calls) == 1:
            plan.slow_down(5)  # RFC 8628's slow_down: 5 s more from now on
        return None

    with pytest.raises(TimedOut):
        poll(check, plan, timed_out=TimedOut)
    assert clock.sleeps == [2, 7, 7, 4]  # the last wait is cut to what is left of 20 s
