"""The PutImage pacer on a fake clock (no real waiting); its use per attempt: test_registry.py."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from ecrctl.core.ecr.pacing import TokenBucket
from tests.fakeclock import FakeClock


def _throttle(op: str = "PutImage") -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, op)


def test_bucket_allows_a_burst_then_paces_at_the_rate() -> None:
    fake = FakeClock()
    bucket = TokenBucket(rate=10, burst=10, clock=fake.clock, sleep=fake.sleep)
    for _ in range(10):
        assert bucket.acquire() == 0
    for _ in range(40):
        bucket.acquire()
    # 50 calls: 10 from the burst, 40 more at 10 a second -> 4 seconds of waiting in all.
    assert sum(fake.sleeps) == pytest.approx(4.0)
    assert max(fake.sleeps) == pytest.approx(0.1)


def most_in_any_second(stamps: list[float]) -> int:
    """The most calls inside any one-second window, the window starting at 0 included.

    A window holding the most calls can always be slid to start at one of the calls.
    """
    return max(len([s for s in stamps if start <= s < start + 1.0 - 1e-9]) for start in stamps)


def _stamps(bucket: TokenBucket, fake: FakeClock, calls: int) -> list[float]:
    stamps = []
    for _ in range(calls):
        bucket.acquire()
        stamps.append(fake.now)
    return stamps


def test_bucket_never_exceeds_the_rate_over_any_second() -> None:
    fake = FakeClock()
    # ECR's PutImage quota, as ecrctl paces it (the defaults): no window may hold more than 10.
    stamps = _stamps(TokenBucket(clock=fake.clock, sleep=fake.sleep), fake, 100)
    assert stamps[0] == 0.0
    assert most_in_any_second(stamps) == 10
    assert stamps[-1] == pytest.approx(9.9)


def test_the_window_check_catches_a_burst_at_the_start() -> None:
    fake = FakeClock()
    # A saved-up burst of 10 followed by 10 a second puts 19 calls in the first second.
    bursty = _stamps(TokenBucket(rate=10, burst=10, clock=fake.clock, sleep=fake.sleep), fake, 30)
    assert most_in_any_second(bursty) == 19


def test_idle_time_refills_the_bucket_but_not_beyond_the_burst() -> None:
    fake = FakeClock()
    bucket = TokenBucket(rate=10, burst=5, clock=fake.clock, sleep=fake.sleep)
    for _ in range(5):
        bucket.acquire()
    fake.now += 60
    for _ in range(5):
        assert bucket.acquire() == 0
    assert bucket.acquire() == pytest.approx(0.1)
