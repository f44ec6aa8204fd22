"""Test-only: small HTTP/1.1 servers on 127.0.0.1, for tests that need a peer of their own: one
that records what it is sent, answers what the test scripts, or misbehaves on purpose.

    def app(request: Request) -> Reply:
        return Reply(200, {"Content-Type": "text/plain"}, b"hello")

    with FakeServer(app) as server:             # a free port on 127.0.0.1, stopped on exit
        urllib.request.urlopen(server.url + "/x")
    assert server.requests[0].path == "/x"

or, in a test, the ``fake_server`` fixture: ``server = fake_server(app)``, stopped when the
test ends.

The handler is either a function of the Request (its body read whole: Content-Length or
chunked) returning a Reply, or a ``BaseHTTPRequestHandler`` subclass for full control (its
requests are then not recorded). This is the one module of tests/ and bench/ that may derive
from or start an http.server class (tests/test_house.py checks): what a test's server needs
and this module lacks is added here, documented, for every test.

A Reply's body is bytes (sent with a Content-Length), or an iterable of bytes sent as it is
produced, for endless or trickling answers: then without a Content-Length unless the Reply
gives one, and the connection closes when it ends. A HEAD gets the headers only (give a
Content-Length to say what a GET would send). Its headers are a dict, or a list of (name,
value) pairs where a name repeats. How the connection ends:

- ``Reply.reset``: no answer, the connection is reset (TCP RST), as by a peer that crashed;
- ``Reply.hang_up``: no answer, the connection is closed (FIN), as by a peer that gives up;
- ``Reply.close``: closed after the answer, which says so (``Connection: close``);
- ``Reply.quiet_close``: closed after the answer without saying so, as a server closes a kept
  connection that idled too long (the client finds out on its next request).

``FakeServer(handler, stream_requests=True)`` is for proxies and large uploads: the handler gets
the Request before its body is read (``request.body`` stays empty, nothing is kept) and reads
``request.stream`` itself, as it arrives (``read(n)``; b"" at its end). A body left unread
closes the connection after the answer.

A proxy's handler answers with ``forward(request, upstream)``: the request sent on to the
server at ``upstream`` (host:port), its body streamed through (on a server that streams
requests), the answer's body streamed back as it arrives with its Content-Length kept, and
``proxy_host`` put for the upstream's host:port in the answer's headers (Location, Link, a
challenge's realm) so that the client comes back through the proxy. An iterable body with a
``close()`` (a generator, a forwarded answer) is closed once it is sent or the peer went away.

What a client asked: ``server.requests`` (every request, in order), ``server.seen(method)``,
``server.take()`` (the requests so far, forgotten: what the next step asks starts afresh);
``request.route`` is the path without its query, ``request.query`` the query parsed.

Each connection has a thread of its own, so a handler may hold its request as long as a test
wants (wait on an Event the test sets): the server goes on answering other connections, and
stopping it does not wait for a held thread. ``server.stopping`` is set when the server stops:
a trickling body or a held request waits on it too (``server.stopping.wait(0.05)``) so that a
stopped server does not keep a thread busy.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import struct
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest


class BodyStream:
    """A request's body as it arrives (Content-Length or chunked): ``read(n)`` gives at most n
    bytes, ``read()`` the rest; b"" at its end, or when the peer went away (``finished`` says
    which)."""

    def __init__(self, rfile: BufferedIOBase, headers: Message) -> None:
        self._rfile = rfile
        self._chunked = headers.get("Transfer-Encoding", "").lower() == "chunked"
        self._left = 0 if self._chunked else int(headers.get("Content-Length") or 0)
        self.finished = not self._chunked and self._left == 0  # the body's end was reached
        self._gone = False

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            return b"".join(iter(lambda: self.read(1 << 20), b""))
        if self.finished or self._gone or size == 0:
            return b""
        if self._chunked and self._left == 0:
            line = self._rfile.readline()
            self._left = int(line.split(b";")[0].strip() or b"0", 16)
            if self._left == 0:  # the last chunk: skip the trailers
                while self._rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                self.finished = bool(line)
                self._gone = not line
                return b""
        data = self._rfile.read(min(size, self._left))
        if not data:
            self._gone = True
            return b""
        self._left -= len(data)
        if self._left == 0:
            if self._chunked:
                self._rfile.readline()  # the CRLF after a chunk
            else:
                self.finished = True
        return data


@dataclass
class Request:
    method: str
    path: str  # as sent: path and query
    headers: Message
    body: bytes = b""  # empty on a server that streams requests: read ``stream``
    stream: BodyStream | None = field(default=None, repr=False)

    @property
    def route(self) -> str:
        """The path without its query."""
        return self.path.split("?", 1)[0]

    @property
    def query(self) -> dict[str, list[str]]:
        """The query, parsed (``{"digest": ["sha256:..."]}``)."""
        return parse_qs(urlsplit(self.path).query)


@dataclass
class Reply:
    status: int = 200
    headers: Mapping[str, str] | list[tuple[str, str]] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    reset: bool = False  # no answer: the connection is reset (RST)
    hang_up: bool = False  # no answer: the connection is closed (FIN)
    close: bool = False  # close the connection after the answer (Connection: close)
    quiet_close: bool = False  # close it after the answer, without saying so

    def header_items(self) -> list[tuple[str, str]]:
        return list(self.headers.items() if isinstance(self.headers, Mapping) else self.headers)


Handler = Callable[[Request], Reply]


def json_reply(status: int, doc: Any, headers: dict[str, str] | None = None) -> Reply:
    import json

    body = json.dumps(doc).encode()
    return Reply(status, {"Content-Type": "application/json", **(headers or {})}, body)


def endless(piece: bytes = b"x" * 65536) -> Iterator[bytes]:
    """A body that never ends (as fast as the peer reads)."""
    while True:
        yield piece


# Headers of one hop, not passed on by a proxy (Content-Length is: forward() keeps it).
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


class _Relay:
    """An upstream answer's body, read as the client takes it; closed (the upstream connection
    with it) when sent or when the client went away."""

    def __init__(
        self, connection: http.client.HTTPConnection, response: http.client.HTTPResponse
    ) -> None:
        self._connection = connection
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        while piece := self._response.read(1 << 16):
            yield piece

    def close(self) -> None:
        self._connection.close()


def forward(
    request: Request,
    upstream: str,
    *,
    proxy_host: str | None = None,
    drop: Iterable[str] = (),
    extra: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> Reply:
    """Send ``request`` on to ``upstream`` (host:port, plain HTTP) and give its answer, for a
    proxy's handler. The request's body goes on as it arrives (``request.stream`` on a server
    that streams requests, else ``request.body``), with its Host set to ``upstream``; the
    headers named in ``drop`` stay behind (``Authorization`` for an upstream without auth).
    The answer's body is streamed back, its Content-Length kept (a HEAD's too), ``proxy_host``
    put for ``upstream`` in its headers, and ``extra`` headers added (a rate limit's)."""
    dropped = HOP_BY_HOP | {"host", "content-length"} | {name.lower() for name in drop}
    headers = {k: v for k, v in request.headers.items() if k.lower() not in dropped}
    headers["Host"] = upstream
    body: Any = None
    if request.stream is not None and not request.stream.finished:
        body = request.stream  # read(n) as http.client sends it; chunked when no length
    elif request.body or request.method in ("POST", "PUT", "PATCH"):
        body = request.body
    if request.headers.get("Content-Length") and body is not None:
        headers["Content-Length"] = request.headers["Content-Length"]
    connection = http.client.HTTPConnection(upstream, timeout=timeout, blocksize=1 << 16)
    try:
        connection.request(request.method, request.path, body=body, headers=headers)
        response = connection.getresponse()
    except BaseException:
        connection.close()
        raise
    answer = [
        (k, v.replace(upstream, proxy_host) if proxy_host else v)
        for k, v in response.getheaders()
        if k.lower() not in HOP_BY_HOP
    ]
    answer += list((extra or {}).items())
    empty = response.status in (204, 304) or response.getheader("Content-Length") == "0"
    if request.method == "HEAD" or empty:
        response.read()
        connection.close()
        return Reply(response.status, answer, b"")
    return Reply(response.status, answer, _Relay(connection, response))


def reset(connection: socket.socket) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a peer that crashed or a middlebox does."""
    with contextlib.suppress(OSError):
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()


def _function_handler(server: FakeServer, app: Handler) -> type[BaseHTTPRequestHandler]:
    class FunctionHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms stall

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def handle_one(self) -> None:
            stream = BodyStream(self.rfile, self.headers)
            if server.stream_requests:
                request = Request(self.command, self.path, self.headers, b"", stream)
            else:
                request = Request(self.command, self.path, self.headers, stream.read())
            with server.lock:
                server.requests.append(request)
            try:
                reply = app(request)
            except Exception as error:  # a bug in the test's handler: say so, do not hang
                with server.lock:
                    server.errors.append(error)
                reply = Reply(500, {}, f"fake server handler failed: {error!r}".encode())
            if reply.reset or reply.hang_up:
                self.close_connection = True
                if reply.reset:
                    reset(self.connection)
                return
            self._answer(reply, unread=not stream.finished)

        def _answer(self, reply: Reply, unread: bool) -> None:
            self.send_response_only(reply.status)
            headers = reply.header_items()
            names = {name.lower() for name, _ in headers}
            for name, value in headers:
                self.send_header(name, value)
            streamed = not isinstance(reply.body, bytes)
            if "content-length" not in names and not streamed:
                self.send_header("Content-Length", str(len(reply.body)))  # type: ignore[arg-type]
            if (streamed and "content-length" not in names) or reply.close or unread:
                self.send_header("Connection", "close")
                self.close_connection = True
            if reply.quiet_close:
                self.close_connection = True
            try:
                self.end_headers()
                if self.command == "HEAD":
                    return
                if isinstance(reply.body, bytes):
                    self.wfile.write(reply.body)
                    return
                for piece in reply.body:
                    if server.stopping.is_set():
                        break
                    self.wfile.write(piece)
                    self.wfile.flush()
            except OSError:  # the peer stopped reading: that is what endless bodies are for
                self.close_connection = True
            finally:
                close = getattr(reply.body, "close", None)
                if close is not None:
                    close()  # a generator's or a forwarded answer's: its resources go now

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_one

    return FunctionHandler


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a kept-alive connection's thread does not hold up the stop
    block_on_close = False
    request_queue_size = 128  # many clients at once (a benchmark's pool) are not refused

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A peer that resets or goes away is what these servers are for: no traceback."""
        import sys

        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class FakeServer:
    """An HTTP server on 127.0.0.1 (``port``, or a free one) in a thread; a context manager."""

    def __init__(
        self,
        handler: Handler | type[BaseHTTPRequestHandler],
        *,
        stream_requests: bool = False,
        port: int = 0,
    ) -> None:
        self.stream_requests = stream_requests
        self.requests: list[Request] = []
        self.errors: list[Exception] = []  # what the handler raised (answered 500)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        if isinstance(handler, type) and issubclass(handler, BaseHTTPRequestHandler):
            handler_class = handler
        else:
            handler_class = _function_handler(self, handler)  # type: ignore[arg-type]
        self._server = _Server(("127.0.0.1", port), handler_class)
        self.port = int(self._server.server_address[1])
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def seen(self, method: str | None = None) -> list[Request]:
        """The requests received so far (of one method)."""
        with self.lock:
            return [r for r in self.requests if method is None or r.method == method]

    def take(self) -> list[Request]:
        """The requests received so far, forgotten here: the next take() gives what came after."""
        with self.lock:
            taken, self.requests = self.requests, []
        return taken

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture
def fake_server() -> Iterator[Callable[..., FakeServer]]:
    """Make fake servers in a test (``fake_server(handler, **options)``, as FakeServer takes
    them); all are stopped when it ends."""
    made: list[FakeServer] = []

    def make(handler: Handler | type[BaseHTTPRequestHandler], **options: Any) -> FakeServer:
        made.append(FakeServer(handler, **options))
        return made[-1]

    yield make
    for server in made:
        server.stop()
