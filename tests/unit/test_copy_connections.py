"""The registry client's HTTP connections (core/distribution/connections.py) against real local HTTP
servers: a blob GET that ECR redirects to its storage host must not carry the registry's
Authorization there; a redirect within the host keeps it; a connection the server closed while
idle is replaced, not reported as a failure."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ecrctl.core.distribution.connections import Pool


class Server(ThreadingHTTPServer):
    daemon_threads = True  # a kept-alive connection's thread does not hold up the shutdown
    block_on_close = False


class Recorder:
    """Answers GETs from ``routes``; with ``drop``, closes each connection after its response
    without saying so (as a server does when a kept-alive connection idles too long)."""

    def __init__(self, routes: dict[str, tuple[int, dict[str, str], bytes]], drop: bool) -> None:
        self.routes, self.drop = routes, drop
        self.seen: list[tuple[str, str | None]] = []  # (path, Authorization)
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                recorder.seen.append((self.path, self.headers.get("Authorization")))
                status, headers, body = recorder.routes.get(self.path, (404, {}, b""))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = recorder.drop

            def log_message(self, *args: Any) -> None:
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.netloc = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def servers() -> Iterator[Any]:
    made: list[Recorder] = []

    def make(routes: dict[str, tuple[int, dict[str, str], bytes]], drop: bool = False) -> Any:
        made.append(Recorder(routes, drop))
        return made[-1]

    yield make
    for server in made:
        server.stop()


def test_a_redirect_to_another_host_drops_authorization(servers: Any) -> None:
    storage = servers({"/blob?sig=1": (200, {}, b"layer bytes")})
    registry = servers(
        {
            "/v2/app/blobs/d": (307, {"Location": f"http://{storage.netloc}/blob?sig=1"}, b""),
            "/v2/app/blobs/e": (307, {"Location": "/v2/app/blobs/d"}, b""),
        }
    )
    pool = Pool()
    headers = {"Authorization": "Bearer secret-token"}
    url = f"http://{registry.netloc}/v2/app/blobs/d"
    response = pool.request("GET", url, headers=headers, redirect=True)
    assert (response.status, response.data) == (200, b"layer bytes")
    assert storage.seen == [("/blob?sig=1", None)]  # the token stayed with the registry
    assert registry.seen == [("/v2/app/blobs/d", "Bearer secret-token")]
    same_host = pool.request(
        "GET", f"http://{registry.netloc}/v2/app/blobs/e", headers=headers, redirect=True
    )
    assert same_host.data == b"layer bytes"
    assert registry.seen[-1] == ("/v2/app/blobs/d", "Bearer secret-token")
    assert headers == {"Authorization": "Bearer secret-token"}  # the caller's dict is not changed


def test_a_kept_connection_the_server_closed_is_replaced(servers: Any) -> None:
    server = servers({"/v2/": (200, {}, b"{}")}, drop=True)
    pool = Pool()
    for _ in range(3):  # each request after the first finds its kept connection closed
        assert pool.request("GET", f"http://{server.netloc}/v2/", headers={}).status == 200
    assert len(server.seen) == 3
