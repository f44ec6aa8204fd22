"""The registry client's HTTP connections (core/distribution/connections.py) against real local HTTP
servers: a blob GET that ECR redirects to its storage host must not carry the registry's
Authorization there; a redirect within the host keeps it; a connection the server closed while
idle is replaced, not reported as a failure."""

from __future__ import annotations

from typing import Any

import pytest

from ecrctl.core.distribution.connections import ERROR_BODY_LIMIT, Misbehaving, Pool, origin
from ecrctl.core.distribution.retry import RetryPolicy
from tests import fakehttp
from tests.fakehttp import Reply, Request, endless

fake_server = fakehttp.fake_server


Routes = dict[str, tuple[int, dict[str, str], bytes]]


@pytest.fixture
def servers(fake_server: Any) -> Any:
    """``servers(routes, drop=False)``: a server that answers GETs from ``routes``; with
    ``drop``, it closes each connection after its answer without saying so (as a server does
    when a kept-alive connection idles too long)."""

    def make(routes: Routes, drop: bool = False) -> Any:
        def answer(request: Request) -> Reply:
            status, headers, body = routes.get(request.path, (404, {}, b""))
            return Reply(status, headers, body, quiet_close=drop)

        return fake_server(answer)

    return make


def seen(server: Any) -> list[tuple[str, str | None]]:
    """(path, Authorization) of each request the server was sent."""
    return [(r.path, r.headers.get("Authorization")) for r in server.seen()]


def test_a_redirect_to_another_host_drops_authorization(servers: Any) -> None:
    storage = servers({"/blob?sig=1": (200, {}, b"layer bytes")})
    registry = servers(
        {
            "/v2/app/blobs/d": (307, {"Location": f"http://{storage.host}/blob?sig=1"}, b""),
            "/v2/app/blobs/e": (307, {"Location": "/v2/app/blobs/d"}, b""),
        }
    )
    pool = Pool()
    auth = (f"http://{registry.host}", "Bearer secret-token")  # (origin, Authorization)
    url = f"http://{registry.host}/v2/app/blobs/d"
    response = pool.request("GET", url, headers={}, redirect=True, auth=auth)
    assert (response.status, response.data) == (200, b"layer bytes")
    assert seen(storage) == [("/blob?sig=1", None)]  # the token stayed with the registry
    assert seen(registry) == [("/v2/app/blobs/d", "Bearer secret-token")]
    same_host = pool.request(
        "GET", f"http://{registry.host}/v2/app/blobs/e", headers={}, redirect=True, auth=auth
    )
    assert same_host.data == b"layer bytes"
    assert seen(registry)[-1] == ("/v2/app/blobs/d", "Bearer secret-token")


def test_a_kept_connection_the_server_closed_is_replaced(servers: Any) -> None:
    server = servers({"/v2/": (200, {}, b"{}")}, drop=True)
    pool = Pool()
    for _ in range(3):  # each request after the first finds its kept connection closed
        assert pool.request("GET", f"http://{server.host}/v2/", headers={}).status == 200
    assert len(server.seen()) == 3


# -- what a hostile peer cannot do (tests/fakehttp.py servers) ------------------------------


def test_credentials_go_to_their_origin_only_across_ports(fake_server: Any) -> None:
    """Another port of the same host is another origin: an upload location there gets no
    Authorization, and neither does the same host:port over another scheme."""
    other = fake_server(lambda request: Reply(202, {}, b""))
    registry = fake_server(lambda request: Reply(202, {}, b""))
    auth = (f"http://{registry.host}", "Basic c2VjcmV0")
    pool = Pool(retry=RetryPolicy(1))
    pool.request("PATCH", f"{other.url}/upload/1?sig=x", headers={}, body=b"abc", auth=auth)
    pool.request("PATCH", f"{registry.url}/v2/app/blobs/uploads/1", headers={}, auth=auth)
    assert [r.headers.get("Authorization") for r in other.seen()] == [None]
    assert [r.headers.get("Authorization") for r in registry.seen()] == ["Basic c2VjcmV0"]
    assert origin(f"https://{registry.host}/v2/") != auth[0]
    assert origin("HTTP://Reg.Example:443/v2/") == "http://reg.example:443"


def test_an_endless_answer_is_refused_at_4_mib_and_an_endless_error_cut_at_64_kib(
    fake_server: Any,
) -> None:
    ok = fake_server(lambda request: Reply(200, {}, endless()))
    error = fake_server(lambda request: Reply(500, {}, endless()))
    told = fake_server(lambda request: Reply(200, {"Content-Length": str(5 * 2**20)}, b"{}"))
    pool = Pool(retry=RetryPolicy(1))
    for server in (ok, told):
        with pytest.raises(Misbehaving, match=r"the answer to GET /v2/ is larger than 4 MiB"):
            pool.request("GET", f"{server.url}/v2/", headers={})
    answer = pool.request("GET", f"{error.url}/v2/app/manifests/1", headers={})
    assert answer.status == 500 and len(answer.data) == ERROR_BODY_LIMIT


def test_an_answer_that_trickles_ends_at_the_deadline(fake_server: Any) -> None:
    """A socket timeout bounds each read; a peer that sends a byte now and then is stopped by
    the request's deadline (here 0.5 s) all the same."""

    def trickle(server: Any) -> Any:
        def body() -> Any:
            while not server.stopping.wait(0.05):
                yield b" "

        return body

    holder: list[Any] = []
    server = fake_server(lambda request: Reply(200, {}, trickle(holder[0])()))
    holder.append(server)
    pool = Pool(retry=RetryPolicy(1), deadline=0.5)
    with pytest.raises(Misbehaving, match=r"no whole answer to GET /token within 0.5 s"):
        pool.request("GET", f"{server.url}/token", headers={})


def test_a_redirect_to_a_non_http_url_is_refused(fake_server: Any) -> None:
    server = fake_server(lambda request: Reply(302, {"Location": "file:///etc/passwd"}, b""))
    with pytest.raises(Misbehaving, match="redirects GET to a non-HTTP URL"):
        Pool().request("GET", f"{server.url}/v2/app/blobs/d", headers={}, redirect=True)
