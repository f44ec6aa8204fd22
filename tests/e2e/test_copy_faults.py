"""ecrctl copy through a fault-injecting proxy (tests/faultproxy.py) in front of real registries
(Debian's docker-registry on 127.0.0.1), checked with skopeo: transient failures (429, 503, a
reset, an answer lost after the registry acted) are retried as the ECR API's calls are, as many
times as AWS_MAX_ATTEMPTS or the profile's max_attempts say, and ``--debug`` says what was
retried. The installed ``ecrctl`` runs as a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ecrctl.core.distribution.upload import CHUNK_SIZE
from tests import oci_registries
from tests.conftest import ecrctl_command
from tests.fakehttp import Request
from tests.faultproxy import FaultyProxy, Schedule
from tests.oci_registries import push_image, skopeo_digest

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("registries")]
registries = oci_registries.registries


@pytest.fixture
def proxy() -> Iterator[Callable[..., FaultyProxy]]:
    made: list[FaultyProxy] = []

    def make(target: str, schedule: Schedule, retry_after: str = "0") -> FaultyProxy:
        made.append(FaultyProxy(target, schedule=schedule, retry_after=retry_after))
        return made[-1]

    yield make
    for one in made:
        one.stop()


def ecrctl(*args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **{k: v for k, v in env.items() if v is not None}}
    for name in (k for k, v in env.items() if v is None):
        environ.pop(name, None)
    return subprocess.run(
        [*ecrctl_command(), *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def kind(request: Request) -> str:
    """A request's kind: its method and route, upload session and digest left out."""
    route = re.sub(r"sha256:[0-9a-f]{64}", "<digest>", request.route)
    route = re.sub(r"/blobs/uploads/[^/]+$", "/blobs/uploads/<session>", route)
    closing = request.method == "PUT" and "digest=" in request.path
    return f"{request.method} {route}{' ?digest' if closing else ''}"


def first_of_each_kind(faults: dict[str, str]) -> Schedule:
    """The first request of each kind fails, with the fault ``faults`` names for its method."""
    seen: set[str] = set()

    def schedule(number: int, request: Request) -> str | None:
        key = kind(request)
        if key in seen:
            return None
        seen.add(key)
        return faults.get(request.method)

    return schedule


def always(fault: str, method: str = "GET", part: str = "/manifests/") -> Schedule:
    def schedule(number: int, request: Request) -> str | None:
        return fault if request.method == method and part in request.route else None

    return schedule


EVERY_KIND_ONCE = {
    "GET": "503",
    "HEAD": "429",
    "POST": "reset",
    "PATCH": "lost",  # the registry took the chunk; its answer never came
    "PUT": "lost",  # the manifest, and the upload's closing PUT: done, answer lost
}


def test_every_kind_of_request_failing_once_still_copies(registries: Any, proxy: Any) -> None:
    """Both sides behind the proxy; every kind of request fails once (a chunked layer too):
    the copy completes with the source's digest, and --debug says what was retried."""
    one, two = registries
    big = os.urandom(CHUNK_SIZE + 300_000)  # two PATCHes
    digest, _ = push_image(one.host, "faulty/src", "1", [big, os.urandom(40_000)])
    source = proxy(one.host, first_of_each_kind(EVERY_KIND_ONCE))
    destination = proxy(two.host, first_of_each_kind(EVERY_KIND_ONCE))
    out = ecrctl(
        "copy",
        f"{source.host}/faulty/src:1",
        f"{destination.host}/faulty/dst",
        "-o",
        "json",
        "--debug",
        AWS_MAX_ATTEMPTS="3",
        ECRCTL_CONCURRENCY="1",
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["verifiedDigest"] == digest
    assert skopeo_digest(two.host, "faulty/dst", "1") == digest
    assert set(destination.injected) == {"503", "429", "reset", "lost"}
    retries = [line for line in out.stderr.splitlines() if line.startswith("debug: retry")]
    assert any(f"GET {source.host}/v2/: HTTP 503" in line for line in retries)
    assert any(": HTTP 429" in line and "(Retry-After)" in line for line in retries)
    assert any("upload of sha256:" in line for line in retries)  # a PATCH or PUT lost
    assert all(line.startswith("debug: retry 1 of 2 in ") for line in retries), retries


@pytest.mark.parametrize(
    ("configured", "attempts"),
    [({"AWS_MAX_ATTEMPTS": "1"}, 1), ({"AWS_MAX_ATTEMPTS": "4"}, 4), ({}, 8), ("profile", 2)],
    ids=["AWS_MAX_ATTEMPTS=1", "AWS_MAX_ATTEMPTS=4", "default", "profile max_attempts"],
)
def test_attempts_follow_the_ecr_api_setting(
    registries: Any, proxy: Any, configured: Any, attempts: int
) -> None:
    one, two = registries
    push_image(one.host, "faulty/count", "1", [os.urandom(1000)])
    source = proxy(one.host, always("429"))  # Retry-After: 0, so the retries wait for nothing
    env: dict[str, str | None] = {"AWS_MAX_ATTEMPTS": None}
    args = ["copy", f"{source.host}/faulty/count:1", f"{two.host}/faulty/count"]
    if configured == "profile":
        with open(os.environ["AWS_CONFIG_FILE"], "w") as config:
            config.write("[profile copier]\nmax_attempts = 2\n")
        args += ["--profile", "copier"]
    else:
        env.update(configured)
    out = ecrctl(*args, **env)
    assert out.returncode == 1, out.stderr
    assert out.stderr.strip() == (
        f"ecrctl: source {source.host}: GET /v2/faulty/count/manifests/1: HTTP 429 "
        "TOOMANYREQUESTS: slow down"
    )
    assert [m for m, route, _ in source.log if "/manifests/" in route] == ["GET"] * attempts


def test_retry_after_is_honoured_and_a_long_one_ends_the_retries(
    registries: Any, proxy: Any
) -> None:
    one, two = registries
    digest, _ = push_image(one.host, "faulty/later", "1", [os.urandom(1000)])
    once = proxy(one.host, first_of_each_kind({"GET": "429"}), retry_after="1")
    out = ecrctl(
        "copy",
        f"{once.host}/faulty/later:1",
        f"{two.host}/faulty/later",
        "--debug",
        AWS_MAX_ATTEMPTS="3",
    )
    assert out.returncode == 0, out.stderr
    assert f"debug: retry 1 of 2 in 1.0 s (Retry-After): GET {once.host}/v2/: HTTP 429" in (
        out.stderr
    )
    assert skopeo_digest(two.host, "faulty/later", "1") == digest

    hour = proxy(one.host, always("429"), retry_after="3600")
    out = ecrctl("copy", f"{hour.host}/faulty/later:1", f"{two.host}/faulty/later2")
    assert out.returncode == 1, out.stderr
    assert out.stderr.strip().endswith(
        "HTTP 429 TOOMANYREQUESTS: slow down (the registry asks to wait 3600 s)"
    )
    assert [m for m, route, _ in hour.log if "/manifests/" in route] == ["GET"]


def test_a_registry_that_keeps_resetting_fails_in_one_line(registries: Any, proxy: Any) -> None:
    one, two = registries
    push_image(one.host, "faulty/reset", "1", [os.urandom(1000)])
    broken = proxy(two.host, lambda number, request: "reset")
    out = ecrctl(
        "copy", f"{one.host}/faulty/reset:1", f"{broken.host}/faulty/reset", AWS_MAX_ATTEMPTS="2"
    )
    assert out.returncode == 1, out.stderr
    line = out.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith(f"ecrctl: destination {broken.host}: connection failed (")
    assert [route for _, route, _ in broken.log] == ["/v2/", "/v2/"]
