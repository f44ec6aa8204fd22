"""The fleet's adaptive width over an organisation (core/org/limiter.py): halves on throttling,
grows back slowly, and a throttled read is asked again rather than failed."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ecrctl.core.org.limiter import AdaptiveWidth, is_throttling, with_backoff


def _error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "x"}}, "DescribeRepositories")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_throttling_halves_the_width_once_per_burst_and_successes_grow_it_back() -> None:
    clock = Clock()
    width = AdaptiveWidth(16, 48, cooldown=1.0, clock=clock)
    width.throttled()
    width.throttled()  # the same burst: counted, not cut again
    assert (width.width, width.cuts, width.throttles) == (8, 1, 2)
    clock.now = 1.5
    width.throttled()
    assert width.width == 4
    for _ in range(4):
        width.succeeded()
    assert width.width == 5  # one more after `width` successes
    for _ in range(3):
        width.throttled()
        clock.now += 2
    assert width.width == 1 and width.narrowest == 1  # never below the floor


def test_the_width_never_grows_past_its_ceiling() -> None:
    width = AdaptiveWidth(2, 3)
    for _ in range(100):
        width.succeeded()
    assert width.width == 3


def test_a_throttled_read_waits_and_is_asked_again() -> None:
    width = AdaptiveWidth(4, 8)
    answers: list[Any] = [_error("ThrottlingException"), _error("Throttling"), "rows"]
    slept: list[float] = []

    def read() -> Any:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert with_backoff(read, width, sleep=slept.append, jitter=lambda: 1.0) == "rows"
    assert slept == [0.25, 0.5]  # doubled each time (jitter 1.0: the full delay)
    assert width.width == 2


def test_other_errors_are_raised_at_once_and_throttling_in_the_end() -> None:
    width = AdaptiveWidth(4, 8)
    calls: list[int] = []

    def denied() -> None:
        calls.append(1)
        raise _error("AccessDenied")

    with pytest.raises(ClientError, match="AccessDenied"):
        with_backoff(denied, width, sleep=lambda _: None)
    assert len(calls) == 1

    def throttled() -> None:
        calls.append(1)
        raise _error("ThrottlingException")

    with pytest.raises(ClientError, match="ThrottlingException"):
        with_backoff(throttled, width, attempts=3, sleep=lambda _: None)
    assert len(calls) == 4


def test_no_more_than_width_reads_at_once() -> None:
    width = AdaptiveWidth(2, 2)
    inside = 0
    most = 0
    lock = threading.Lock()
    release = threading.Event()
    entered = threading.Semaphore(0)

    def read() -> None:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        entered.release()
        release.wait()
        with lock:
            inside -= 1

    threads = [threading.Thread(target=with_backoff, args=(read, width)) for _ in range(5)]
    for thread in threads:
        thread.start()
    entered.acquire()
    entered.acquire()  # two reads are in; the others wait for a slot
    release.set()
    for thread in threads:
        thread.join()
    assert most == 2


def test_botocores_own_throttled_retries_narrow_the_width() -> None:
    width = AdaptiveWidth(8, 8)
    width.observe_retry(response=(None, {"Error": {"Code": "ServerException"}}))
    assert width.width == 8
    width.observe_retry(response=(None, {"Error": {"Code": "ThrottlingException"}}))
    assert width.width == 4
    assert is_throttling(_error("TooManyRequestsException"))
    assert not is_throttling(ValueError("x"))
