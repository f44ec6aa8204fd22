"""The registry client's retry policy (core/copy/retry.py), alone with its sleep and jitter
injected, and as connections.Pool applies it against real local HTTP servers
(tests/fakehttp.py): which requests are retried, how many times, how long between, and the one
--debug line per retry."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from ecrctl.core.distribution.connections import ConnectionFailed, Pool
from ecrctl.core.distribution.retry import DEFAULT_ATTEMPTS, RetryPolicy, retry_after_seconds
from tests import fakehttp
from tests.fakehttp import Reply, Request

fake_server = fakehttp.fake_server


class Recorder:
    def __init__(self) -> None:
        self.slept: list[float] = []
        self.said: list[str] = []

    def policy(self, attempts: Any = 3, jitter: float = 1.0) -> RetryPolicy:
        return RetryPolicy(
            attempts, log=self.said.append, sleep=self.slept.append, jitter=lambda: jitter
        )


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def test_backoff_is_exponential_with_full_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(20, base=0.5, cap=10.0, jitter=lambda: 1.0)
    assert [policy.delay(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert RetryPolicy(jitter=lambda: 0.25).delay(3) == 0.5  # a random share of the ceiling


def test_retry_after_is_honoured_and_a_long_one_ends_the_retries() -> None:
    policy = RetryPolicy(jitter=lambda: 1.0)
    assert policy.delay(1, retry_after=7.0) == 7.0
    assert policy.delay(1, retry_after=3600.0) is None
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    now = datetime(2030, 1, 1, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(later, now=now.timestamp) == 30.0


def test_attempts_are_read_once_and_only_when_a_retry_is_due(recorder: Recorder) -> None:
    asked: list[int] = []

    def configured() -> int:
        asked.append(1)
        return 4

    policy = recorder.policy(configured)
    assert asked == []  # a copy that needs no retry never reads the AWS config
    assert policy.pause(1, "GET h/v2/", "HTTP 503") and policy.pause(3, "GET h/v2/", "HTTP 503")
    assert not policy.pause(4, "GET h/v2/", "HTTP 503")
    assert asked == [1]


@pytest.mark.parametrize(
    ("configured", "attempts"),
    [(None, DEFAULT_ATTEMPTS), (0, 1), (1, 1), (8, 8), (500, 20)],
)
def test_attempts_default_and_bounds(configured: int | None, attempts: int) -> None:
    assert RetryPolicy(lambda: configured).attempts == attempts


def test_an_unreadable_setting_leaves_the_default() -> None:
    def broken() -> int:
        raise ValueError("max_attempts = lots")

    assert RetryPolicy(broken).attempts == DEFAULT_ATTEMPTS


def test_a_retry_is_one_debug_line_and_one_sleep(recorder: Recorder) -> None:
    policy = recorder.policy(3)
    assert policy.pause(1, "GET r.example/v2/app/manifests/1", "HTTP 503")
    assert policy.pause(2, "GET r.example/v2/", "HTTP 429", retry_after=2.0)
    assert not policy.pause(3, "GET r.example/v2/", "HTTP 429")
    assert recorder.slept == [0.5, 2.0]
    assert recorder.said == [
        "debug: retry 1 of 2 in 0.5 s: GET r.example/v2/app/manifests/1: HTTP 503",
        "debug: retry 2 of 2 in 2.0 s (Retry-After): GET r.example/v2/: HTTP 429",
    ]


def failing_first(times: int, reply: Reply) -> Any:
    """A server that answers ``reply`` ``times`` times, then 200 ``done``."""
    count = [0]

    def app(request: Request) -> Reply:
        count[0] += 1
        return reply if count[0] <= times else Reply(200, {}, b"done")

    return app


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_the_pool_retries_a_transient_status(
    fake_server: Any, recorder: Recorder, status: int
) -> None:
    server = fake_server(failing_first(2, Reply(status, {}, b"busy")))
    pool = Pool(retry=recorder.policy(3))
    response = pool.request("GET", f"{server.url}/v2/app/blobs/d?sig=SECRET", headers={})
    assert (response.status, response.data) == (200, b"done")
    assert len(server.seen()) == 3 and len(recorder.slept) == 2
    assert (
        recorder.said[0]
        == f"debug: retry 1 of 2 in 0.5 s: GET {server.host}/v2/app/blobs/d: HTTP {status}"
    )
    assert not any("SECRET" in line for line in recorder.said)  # never a query


def test_the_pool_retries_a_reset_and_gives_up_after_the_attempts(
    fake_server: Any, recorder: Recorder
) -> None:
    server = fake_server(failing_first(1, Reply(reset=True)))
    pool = Pool(retry=recorder.policy(2))
    assert pool.request("HEAD", f"{server.url}/v2/", headers={}).status == 200
    broken = fake_server(lambda request: Reply(reset=True))
    with pytest.raises(ConnectionFailed):
        pool.request("GET", f"{broken.url}/v2/", headers={})
    assert len(broken.seen()) == 2


def test_an_answer_that_is_not_transient_is_not_retried(
    fake_server: Any, recorder: Recorder
) -> None:
    server = fake_server(lambda request: Reply(404, {}, b"no"))
    assert Pool(retry=recorder.policy(5)).request("GET", server.url, headers={}).status == 404
    assert len(server.seen()) == 1 and recorder.slept == []


def test_a_streamed_body_or_a_step_of_a_larger_whole_is_not_retried(
    fake_server: Any, recorder: Recorder
) -> None:
    """A PATCH streams from the source (it cannot be sent again); the closing PUT of an upload
    is retried by the upload as a whole (retry=False)."""
    server = fake_server(lambda request: Reply(503, {}, b"busy"))
    pool = Pool(retry=recorder.policy(5))
    body = io.BytesIO(b"layer bytes")
    patched = pool.request(
        "PATCH", f"{server.url}/up/1", headers={"Content-Length": "11"}, body=body
    )
    put = pool.request("PUT", f"{server.url}/up/1?digest=d", headers={}, retry=False)
    assert patched.status == put.status == 503
    assert len(server.seen()) == 2 and recorder.slept == []


def test_an_origin_never_reached_gets_three_tries_not_the_whole_policy() -> None:
    """A typo'd host or a registry that is down fails in a moment (as the ECR API's calls do),
    whatever AWS_MAX_ATTEMPTS gives the transfers of a registry that answers."""
    from ecrctl.core.distribution.connections import FIRST_CONTACT_TRIES, ConnectionFailed, Pool
    from ecrctl.sandbox.emulator import free_port

    waits: list[float] = []
    policy = RetryPolicy(8, sleep=waits.append, jitter=lambda: 0.0)
    pool = Pool(retry=policy)
    with pytest.raises(ConnectionFailed) as failed:
        pool.request("GET", f"http://127.0.0.1:{free_port()}/v2/", headers={})
    assert failed.value.unreached
    assert len(waits) == FIRST_CONTACT_TRIES - 1 == 2
