"""What copy guarantees against registries holds on the other paths that talk to them: the
``digest`` fast path (cli/fastdigest.py) retries as many times as AWS_MAX_ATTEMPTS says, and
``sync``'s Docker Hub listing (core/sync/hub.py) sends its token to the Hub API, its own host,
and retries under the same policy. The installed ``ecrctl`` against small servers on 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import fakehttp
from tests.conftest import ecrctl_command
from tests.fakehttp import FakeServer, Reply, Request, json_reply

pytestmark = pytest.mark.e2e
fake_server = fakehttp.fake_server


def ecrctl(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ecrctl_command(), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def busy(request: Request) -> Reply:
    return json_reply(503, {"errors": [{"code": "UNAVAILABLE", "message": "busy"}]},
                      {"Retry-After": "0"})  # fmt: skip


@pytest.mark.parametrize(("attempts", "fast"), [("2", True), ("3", False)])
def test_digest_tries_as_often_as_aws_max_attempts_says(
    fake_server: Callable[..., FakeServer], attempts: str, fast: bool
) -> None:
    """`digest` without options takes the fast path; with `-o json` the app's: both give up
    after AWS_MAX_ATTEMPTS tries, as copy and the ECR API do (exit 1, one line)."""
    server = fake_server(busy)
    args = ["digest", f"{server.host}/team/app:1"] + ([] if fast else ["-o", "json"])
    out = ecrctl(*args, AWS_MAX_ATTEMPTS=attempts)
    assert out.returncode == 1, out.stderr
    assert len(server.requests) == int(attempts), [r.path for r in server.requests]
    assert "HTTP 503" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def hub_api(private: str) -> Callable[[Request], Reply]:
    """Docker Hub's API: a token for docker's credentials; the namespace's private repository
    is listed only to a request bearing that token."""

    def app(request: Request) -> Reply:
        if request.method == "POST" and request.route == "/v2/auth/token":
            sent = json.loads(request.body)
            if sent == {"identifier": "me", "secret": "dckr_pat_x"}:
                return json_reply(200, {"access_token": "hub-jwt"})
            return json_reply(401, {"detail": "bad credentials"})
        if request.route == "/v2/namespaces/team/repositories":
            names = ["public"]
            if request.headers.get("Authorization") == "Bearer hub-jwt":
                names.append(private)
            results = [{"name": n, "namespace": "team"} for n in names]
            return json_reply(200, {"count": len(names), "next": None, "results": results})
        return json_reply(404, {"message": "page not found"})

    return app


def registry(request: Request) -> Reply:
    """Docker Hub's registry, anonymous: every repository has one tag, no manifest."""
    if request.route == "/v2/":
        return json_reply(200, {})
    if request.route.endswith("/tags/list"):
        name = request.route[len("/v2/") : -len("/tags/list")]
        return json_reply(200, {"name": name, "tags": ["1"]})
    return json_reply(404, {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "unknown"}]})


def docker_hub_login(home: Path) -> None:
    config = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    auth = base64.b64encode(b"me:dckr_pat_x").decode()
    config.write_text(json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": auth}}}))


def test_sync_lists_private_docker_hub_repositories_with_the_token(
    fake_server: Callable[..., FakeServer], isolated_env: Path
) -> None:
    """After `docker login`, the namespace listing bears the token the Hub API gave: the
    private repository is synced too (a dry run: it is listed with its tag)."""
    docker_hub_login(isolated_env)
    api, hub, dest = fake_server(hub_api("secret")), fake_server(registry), fake_server(registry)
    out = ecrctl(
        "sync", "docker.io/team/", f"{dest.host}/mirror/", "--dry-run", "-o", "json",
        ECRCTL_DOCKER_HUB_API=api.url, ECRCTL_DOCKER_HUB_REGISTRY=hub.url,
    )  # fmt: skip
    listed = [r for r in api.requests if r.method == "GET"]
    assert [r.headers.get("Authorization") for r in listed] == ["Bearer hub-jwt"]
    assert "team/secret" in out.stdout + out.stderr, out.stderr


def test_sync_hub_listing_retries_as_often_as_aws_max_attempts_says(
    fake_server: Callable[..., FakeServer],
) -> None:
    api, hub, dest = fake_server(busy), fake_server(registry), fake_server(registry)
    out = ecrctl(
        "--debug", "sync", "docker.io/team/", f"{dest.host}/mirror/", "--dry-run",
        ECRCTL_DOCKER_HUB_API=api.url, ECRCTL_DOCKER_HUB_REGISTRY=hub.url, AWS_MAX_ATTEMPTS="2",
    )  # fmt: skip
    assert out.returncode == 1, out.stderr
    assert len(api.requests) == 2, [r.path for r in api.requests]
    retried = [line for line in out.stderr.splitlines() if line.startswith("debug: retry")]
    assert retried == [
        f"debug: retry 1 of 1 in 0.0 s (Retry-After): GET {api.host}/v2/namespaces/team/"
        "repositories: HTTP 503"
    ]
