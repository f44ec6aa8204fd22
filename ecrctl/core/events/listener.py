"""A local webhook receiver (``events listen``) and sender (``events test``), stdlib only.

The receiver behaves like the webhook EventBridge will call: POST with a JSON event and HTTP
basic auth. It answers 401 without the right credentials, 411 without a Content-Length, 413 over
256 KB, 400 for a malformed event, and 200 once the callback has the event. It serves
connections concurrently up to a bound (503 beyond it) and gives each request a deadline (408).
Here: the server, its bound and its stopping; each request's checks and answer are in
``handler.py``.
"""

from __future__ import annotations

import base64
import json
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ecrctl.core.events.handler import handler_for
from ecrctl.core.events.inbound import BadEvent, EcrEvent
from ecrctl.core.events.receiver import Rejection
from ecrctl.core.exceptions import InvalidInput, Refused
from ecrctl.core.jsontypes import JsonObject

__all__ = ["Delivery", "Rejection", "WebhookListener", "basic_auth_header", "send_event"]

MAX_CONNECTIONS = 64  # served at once; more are answered 503 at once
REQUEST_TIMEOUT = 10.0  # seconds for a whole request, headers and body


def basic_auth_header(username: str, password: str) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return f"Basic {token}"


# What socketserver hands a server: a connected socket (a TCP server's), or a datagram.
_Request = socket.socket | tuple[bytes, socket.socket]


class _Server(ThreadingHTTPServer):
    """One thread per connection, at most ``slots`` at once; beyond that, 503 at once."""

    daemon_threads = True  # an idle client never keeps the process alive
    block_on_close = False
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        listener: WebhookListener,
    ) -> None:
        self.listener = listener
        self.slots = threading.BoundedSemaphore(listener.max_connections)
        super().__init__(address, handler)

    def process_request(self, request: _Request, client_address: tuple[object, ...]) -> None:
        if not self.slots.acquire(blocking=False):
            self.listener._refuse_busy(request, client_address)
            self.shutdown_request(request)
            return
        # Our own thread rather than ThreadingMixIn's, so that the slot is released exactly
        # once, by the thread that holds it.
        thread = threading.Thread(target=self._serve, args=(request, client_address), daemon=True)
        try:
            thread.start()
        except RuntimeError:  # no thread to be had: the slot was never used
            self.slots.release()
            raise

    def _serve(self, request: _Request, client_address: tuple[object, ...]) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self.slots.release()

    def handle_error(self, request: _Request, client_address: tuple[object, ...]) -> None:
        # The handler reports what it expects in one line; anything else, in one line too.
        error = sys.exc_info()[1]
        why = f"internal error: {type(error).__name__}: {error}"
        self.listener.on_reject(Rejection(str(client_address[0]), None, why))


class _Server6(_Server):
    address_family = socket.AF_INET6


class WebhookListener:
    """An HTTP server on host:port; ``serve(count)`` returns after ``count`` events (or stop()).

    Each connection is served in its own thread, at most ``max_connections`` at once; a request
    (headers and body) must arrive within ``request_timeout`` seconds. An event is handed to
    ``on_event`` before the 200 goes out: a 200 means the event was recorded. If ``on_event``
    raises ``BadEvent`` (it cannot show this event), the client gets a 400 and the listener
    goes on; if it raises anything else, the client gets a 500 and the listener stops, and
    ``serve`` raises that error.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        on_event: Callable[[EcrEvent], None],
        on_reject: Callable[[Rejection], None] | None = None,
        username: str | None = None,
        password: str | None = None,
        max_connections: int = MAX_CONNECTIONS,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        if (username is None) != (password is None):
            raise InvalidInput("a listener needs both a username and a password, or neither")
        self.username = username
        self.password = password
        self.on_event = on_event
        self.on_reject = on_reject or (lambda _r: None)
        self.max_connections = max_connections
        self.request_timeout = request_timeout
        self.received = 0
        self.failure: BaseException | None = None
        self._count: int | None = None
        self._record_lock = threading.Lock()  # one event at a time reaches on_event
        handler = self._handler_class()
        server_class = _Server6 if ":" in host else _Server
        try:
            self.server = server_class((host, port), handler, self)
        except OSError as error:
            raise Refused(f"cannot listen on {host}:{port}: {error.strerror or error}") from None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        shown = f"[{host!s}]" if ":" in str(host) else str(host)
        return f"http://{shown}:{port}/"

    def serve(self, count: int | None = None) -> int:
        self._count = count
        try:
            self.server.serve_forever(poll_interval=0.2)
        finally:
            self.server.server_close()
        if self.failure is not None:
            raise self.failure
        return self.received

    def stop(self) -> None:
        """Make ``serve`` return; safe from any thread but the one running ``serve``."""
        threading.Thread(target=self.server.shutdown, daemon=True).start()

    def close(self) -> None:
        self.server.server_close()

    def record(self, event: EcrEvent) -> bool:
        """Hand the event on; False if the listener already has its count or cannot record."""
        with self._record_lock:
            if self.failure is not None or (
                self._count is not None and self.received >= self._count
            ):
                return False
            try:
                self.on_event(event)
            except BadEvent:
                raise  # this event only: answered 400
            except Exception as error:
                self.failure = error  # the handler answers 500, then stops the listener
                return False
            self.received += 1
            return True

    def done(self) -> bool:
        return self._count is not None and self.received >= self._count

    def _refuse_busy(self, request: _Request, client_address: tuple[object, ...]) -> None:
        self.on_reject(Rejection(str(client_address[0]), 503, "too many connections"))
        body = b'{"error": "too many connections"}'
        head = (
            "HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        )
        sock = request if isinstance(request, socket.socket) else request[1]
        try:
            sock.settimeout(1.0)
            sock.sendall(head.encode() + body)
        except OSError:
            pass

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return handler_for(self)


@dataclass(frozen=True)
class Delivery:
    """What a webhook answered to one event."""

    url: str
    status: int
    reason: str
    body: str
    elapsed_ms: float
    event_id: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def to_json(self) -> JsonObject:
        return {
            "url": self.url,
            "status": self.status,
            "reason": self.reason,
            "ok": self.ok,
            "body": self.body,
            "elapsedMs": round(self.elapsed_ms, 1),
            "eventId": self.event_id,
        }


def send_event(
    url: str,
    event: Mapping[str, object],
    *,
    username: str,
    password: str,
    timeout: float = 10.0,
) -> Delivery:
    """POST one event as EventBridge would (JSON body, basic auth); any HTTP answer is a result."""
    from ecrctl.core.inputs import check_seconds, check_web_url

    check_web_url(url, "--webhook-url")
    check_seconds("--timeout", timeout, minimum=0.1, maximum=3600)
    request = urllib.request.Request(
        url,
        data=json.dumps(event).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": basic_auth_header(username, password),
            "User-Agent": "ecrctl-events-test",
        },
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, reason = int(response.status), str(response.reason)
            body = response.read(2048)
    except urllib.error.HTTPError as error:
        status, reason = int(error.code), str(error.reason)
        body = error.read(2048) if error.fp is not None else b""
    except (urllib.error.URLError, OSError) as error:
        why = getattr(error, "reason", None) or error
        raise Refused(f"cannot reach {url}: {why}") from None
    elapsed = (time.perf_counter() - started) * 1000
    text = body.decode("utf-8", "replace").strip()
    return Delivery(url, status, reason, text[:500], elapsed, str(event.get("id", "")))
