"""tests/fakehttp.py's proxying: what the recording registry proxy (tests/registry_standin.py)
and any other proxy built on ``forward()`` rely on."""

from __future__ import annotations

import http.client
from collections.abc import Callable, Iterator

from tests import fakehttp
from tests.fakehttp import FakeServer, Reply, Request, forward, json_reply

fake_server = fakehttp.fake_server


def upstream_app(request: Request) -> Reply:
    if request.route == "/v2/_catalog":
        link = f'<http://{request.headers["Host"]}/v2/_catalog?last=b&n=2>; rel="next"'
        return json_reply(200, {"repositories": ["a", "b"]}, {"Link": link})
    if request.method == "POST":
        location = f"http://{request.headers['Host']}/v2/r/blobs/uploads/1"
        return Reply(202, {"Location": location, "Content-Length": "0"})
    if request.method == "PATCH":
        return Reply(202, {"Range": f"0-{len(request.body) - 1}", "Content-Length": "0"})
    if request.route == "/big":
        return Reply(200, {"Content-Length": str(3 * 70_000)}, (b"x" * 70_000 for _ in range(3)))
    return Reply(404)


def start_pair(make: Callable[..., FakeServer]) -> tuple[FakeServer, FakeServer]:
    """An upstream and a streaming proxy in front of it (which drops ``X-Secret``)."""
    upstream = make(upstream_app)
    made: list[FakeServer] = []

    def through(request: Request) -> Reply:
        return forward(request, upstream.host, proxy_host=made[0].host, drop=["X-Secret"])

    made.append(make(through, stream_requests=True))
    return upstream, made[0]


def ask(host: str, method: str, path: str, **options: object) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(host, timeout=30)
    connection.request(method, path, **options)  # type: ignore[arg-type]
    return connection.getresponse()


def test_forward_rewrites_the_upstream_to_the_proxy_in_location_and_link(
    fake_server: Callable[..., FakeServer],
) -> None:
    upstream, proxy = start_pair(fake_server)
    started = ask(proxy.host, "POST", "/v2/r/blobs/uploads/?mount=sha256:1&from=s")
    assert started.status == 202
    assert started.getheader("Location") == f"http://{proxy.host}/v2/r/blobs/uploads/1"
    listed = ask(proxy.host, "GET", "/v2/_catalog?n=2")
    assert listed.getheader("Link") == f'<http://{proxy.host}/v2/_catalog?last=b&n=2>; rel="next"'
    assert listed.read() == b'{"repositories": ["a", "b"]}'
    # Both recorded where they were asked, with the query parsed.
    asked = proxy.take()
    assert [(r.method, r.route, r.query) for r in asked] == [
        ("POST", "/v2/r/blobs/uploads/", {"mount": ["sha256:1"], "from": ["s"]}),
        ("GET", "/v2/_catalog", {"n": ["2"]}),
    ]
    assert proxy.take() == []  # forgotten once taken
    assert upstream.requests[0].headers["Host"] == upstream.host


def test_forward_streams_a_chunked_upload_and_a_large_answer_through(
    fake_server: Callable[..., FakeServer],
) -> None:
    upstream, proxy = start_pair(fake_server)

    def pieces() -> Iterator[bytes]:
        yield b"a" * 100_000
        yield b"b" * 5

    patched = ask(
        proxy.host, "PATCH", "/v2/r/blobs/uploads/1", body=pieces(),
        headers={"X-Secret": "s3cret"}, encode_chunked=True,
    )  # fmt: skip
    assert (patched.status, patched.getheader("Range")) == (202, "0-100004")
    sent = upstream.seen("PATCH")[0]
    assert sent.body == b"a" * 100_000 + b"b" * 5
    assert "X-Secret" not in sent.headers  # dropped on the way
    big = ask(proxy.host, "GET", "/big")
    assert big.getheader("Content-Length") == "210000"
    assert big.read() == b"x" * 210_000
    head = ask(proxy.host, "HEAD", "/big")
    assert (head.status, head.getheader("Content-Length"), head.read()) == (200, "210000", b"")
