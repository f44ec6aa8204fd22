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
requests are then not recorded). A Reply's body is bytes (sent with a Content-Length), or an
iterable of bytes sent as it is produced, for endless or trickling answers: then without a
Content-Length unless the Reply gives one, and the connection closes when it ends. A HEAD gets
the headers only (give a Content-Length to say what a GET would send). ``Reply.reset`` resets
the connection (TCP RST) instead of answering; ``Reply.close`` closes it after the answer.

``server.stopping`` is set when the server stops: a trickling body waits on it between pieces
(``server.stopping.wait(0.05)``) so that a stopped server does not keep a thread busy.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Request:
    method: str
    path: str  # as sent: path and query
    headers: Message
    body: bytes = b""

    @property
    def route(self) -> str:
        """The path without its query."""
        return self.path.split("?", 1)[0]


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    reset: bool = False  # no answer: the connection is reset (RST)
    close: bool = False  # close the connection after the answer


Handler = Callable[[Request], Reply]


def json_reply(status: int, doc: Any, headers: dict[str, str] | None = None) -> Reply:
    import json

    body = json.dumps(doc).encode()
    return Reply(status, {"Content-Type": "application/json", **(headers or {})}, body)


def endless(piece: bytes = b"x" * 65536) -> Iterator[bytes]:
    """A body that never ends (as fast as the peer reads)."""
    while True:
        yield piece


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def reset(connection: socket.socket) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a peer that crashed or a middlebox does."""
    with contextlib.suppress(OSError):
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()


def _function_handler(server: FakeServer, app: Handler) -> type[BaseHTTPRequestHandler]:
    class FunctionHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def handle_one(self) -> None:
            request = Request(self.command, self.path, self.headers, _read_body(self))
            with server.lock:
                server.requests.append(request)
            try:
                reply = app(request)
            except Exception as error:  # a bug in the test's handler: say so, do not hang
                with server.lock:
                    server.errors.append(error)
                reply = Reply(500, {}, f"fake server handler failed: {error!r}".encode())
            if reply.reset:
                self.close_connection = True
                reset(self.connection)
                return
            self._answer(reply)

        def _answer(self, reply: Reply) -> None:
            self.send_response_only(reply.status)
            names = {name.lower() for name in reply.headers}
            for name, value in reply.headers.items():
                self.send_header(name, value)
            streamed = not isinstance(reply.body, bytes)
            if "content-length" not in names and not streamed:
                self.send_header("Content-Length", str(len(reply.body)))  # type: ignore[arg-type]
            if (streamed and "content-length" not in names) or reply.close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command == "HEAD":
                return
            try:
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

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_one

    return FunctionHandler


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a kept-alive connection's thread does not hold up the stop
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A peer that resets or goes away is what these servers are for: no traceback."""
        import sys

        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class FakeServer:
    """An HTTP server on 127.0.0.1 (a free port) in a thread; a context manager."""

    def __init__(self, handler: Handler | type[BaseHTTPRequestHandler]) -> None:
        self.requests: list[Request] = []
        self.errors: list[Exception] = []  # what the handler raised (answered 500)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        if isinstance(handler, type) and issubclass(handler, BaseHTTPRequestHandler):
            handler_class = handler
        else:
            handler_class = _function_handler(self, handler)  # type: ignore[arg-type]
        self._server = _Server(("127.0.0.1", 0), handler_class)
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
def fake_server() -> Iterator[Callable[[Handler | type[BaseHTTPRequestHandler]], FakeServer]]:
    """Make fake servers in a test; all are stopped when it ends."""
    made: list[FakeServer] = []

    def make(handler: Handler | type[BaseHTTPRequestHandler]) -> FakeServer:
        made.append(FakeServer(handler))
        return made[-1]

    yield make
    for server in made:
        server.stop()
