"""A local webhook receiver (``events listen``) and sender (``events test``), stdlib only.

The receiver behaves like the webhook EventBridge will call: POST with a JSON event and HTTP
basic auth. It answers 401 without the right credentials, 411 without a Content-Length, 413 over
256 KB, 400 for a malformed event, and 200 once the callback has the event. It serves
connections concurrently up to a bound (503 beyond it) and gives each request a deadline (408).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import io
import json
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ecrctl.core.events.inbound import BadEvent, parse_event
from ecrctl.core.exceptions import InvalidInput, Refused

MAX_BODY = 256 * 1024  # EventBridge's own limit for one event
MAX_CONNECTIONS = 64  # served at once; more are answered 503 at once
REQUEST_TIMEOUT = 10.0  # seconds for a whole request, headers and body
_DRAIN_LIMIT = 1024 * 1024  # at most this much of a refused body is read before closing


def basic_auth_header(username: str, password: str) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return f"Basic {token}"


def credentials_match(header: str | None, username: str, password: str) -> bool:
    """Constant-time comparison of an Authorization header with the expected user and password."""
    if not header or not header.startswith("Basic "):
        return False
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, sep, secret = decoded.partition(":")
    same_user = hmac.compare_digest(user.encode(), username.encode())
    same_secret = hmac.compare_digest(secret.encode(), password.encode())
    return bool(sep) and same_user and same_secret


@dataclass(frozen=True)
class Rejection:
    """A request not recorded: ``status`` is what it was answered (None: the client left)."""

    client: str
    status: int | None
    reason: str


class _DeadlineReader(io.RawIOBase):
    """Reads a socket until a deadline: a client trickling bytes cannot hold a request open."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.timed_out = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError("the request took too long")
            self.sock.settimeout(left)
            return self.sock.recv_into(buffer)
        except TimeoutError:
            self.timed_out = True
            raise


class _Server(ThreadingHTTPServer):
    """One thread per connection, at most ``slots`` at once; beyond that, 503 at once."""

    daemon_threads = True  # an idle client never keeps the process alive
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: Any, listener: WebhookListener) -> None:
        self.listener = listener
        self.slots = threading.BoundedSemaphore(listener.max_connections)
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
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

    def _serve(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self.slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
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
    raises, the client gets a 500 and the listener stops; ``serve`` raises that error.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        on_event: Callable[[dict[str, Any]], None],
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

    def _record(self, event: dict[str, Any]) -> bool:
        """Hand the event on; False if the listener already has its count or cannot record."""
        with self._record_lock:
            if self.failure is not None or (
                self._count is not None and self.received >= self._count
            ):
                return False
            try:
                self.on_event(event)
            except Exception as error:
                self.failure = error  # the handler answers 500, then stops the listener
                return False
            self.received += 1
            return True

    def _done(self) -> bool:
        return self._count is not None and self.received >= self._count

    def _refuse_busy(self, request: socket.socket, client_address: Any) -> None:
        self.on_reject(Rejection(str(client_address[0]), 503, "too many connections"))
        body = b'{"error": "too many connections"}'
        head = (
            "HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        )
        try:
            request.settimeout(1.0)
            request.sendall(head.encode() + body)
        except OSError:
            pass

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)


def _handler_for(listener: WebhookListener) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "ecrctl-listener"
        timeout = listener.request_timeout  # for writing; reading has a deadline (setup)
        reader: _DeadlineReader
        reported = False
        requestline, command, request_version = "", "", "HTTP/1.0"  # until a request line came

        def setup(self) -> None:
            super().setup()
            deadline = time.monotonic() + listener.request_timeout
            self.rfile.close()  # replaced by one that keeps the deadline
            self.reader = _DeadlineReader(self.connection, deadline)
            self.rfile = io.BufferedReader(self.reader)

        def handle(self) -> None:
            try:
                super().handle()
            except TimeoutError:
                pass  # reported below
            except OSError:  # BrokenPipeError, ConnectionResetError: the client went away
                self._report(None, "the client closed the connection")
            if self.reader.timed_out and not self.reported:
                self._report(408, "timed out waiting for the request")
                self._send_quietly(408, "timed out waiting for the request")

        def log_message(self, format: str, *args: Any) -> None:
            return  # the command prints its own lines

        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            return

        def send_error(self, code: int, message: str | None = None, explain: Any = None) -> None:
            # http.server's own refusals (a bad request line, too many headers, 501 ...)
            self._report(code, message or self.responses.get(code, ("error",))[0])
            super().send_error(code, message, explain)

        def _report(self, status: int | None, reason: str) -> None:
            self.reported = True
            listener.on_reject(Rejection(str(self.client_address[0]), status, reason))

        def _answer(self, status: int, doc: dict[str, Any], **headers: str) -> None:
            self.connection.settimeout(listener.request_timeout)
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)

        def _send_quietly(self, status: int, reason: str) -> None:
            with contextlib.suppress(OSError):
                self._answer(status, {"error": reason}, Connection="close")

        def _reject(self, status: int, reason: str, *, unread: int = 0, **headers: str) -> None:
            self._report(status, reason)
            self._answer(status, {"error": reason}, Connection="close", **headers)
            if unread:
                self._drain(unread)

        def _drain(self, unread: int) -> None:
            """Read (and drop) a body we refused, so that closing does not reset the
            connection under the client before it reads our answer."""
            self.wfile.flush()
            try:
                self.connection.shutdown(socket.SHUT_WR)
                left = min(unread, _DRAIN_LIMIT)
                while left > 0 and (chunk := self.rfile.read1(min(left, 65536))):
                    left -= len(chunk)
            except OSError:
                pass
            self.reader.timed_out = False  # a slow drain is not the client's failure

        def do_GET(self) -> None:
            self._reject(405, "use POST", Allow="POST")

        do_PUT = do_DELETE = do_PATCH = do_GET

        def do_POST(self) -> None:
            declared = self.headers.get("Content-Length")
            try:
                length = int(declared) if declared and declared.strip().isdigit() else -1
            except ValueError:
                length = -1
            unread = max(length, 0) or _DRAIN_LIMIT
            if listener.username is not None and not credentials_match(
                self.headers.get("Authorization"), listener.username, listener.password or ""
            ):
                why = "wrong credentials" if self.headers.get("Authorization") else "no credentials"
                self._reject(401, why, unread=unread, WWW_Authenticate='Basic realm="ecrctl"')
                return
            if declared is None or self.headers.get("Transfer-Encoding"):
                self._reject(411, "a Content-Length is required", unread=unread)
                return
            if length < 0:
                self._reject(400, "the Content-Length is not a number", unread=unread)
                return
            if length > MAX_BODY:
                self._reject(413, "the body is over 256 KB, EventBridge's limit", unread=unread)
                return
            body = self.rfile.read(length)
            if len(body) < length:
                self._report(None, "the client closed the connection before the whole body")
                return
            try:
                event = parse_event(body)
            except BadEvent as error:
                self._reject(400, str(error) if length else "the body is empty")
                return
            if listener._record(event):
                self._answer(200, {"received": True})
            else:
                if listener.failure is not None:
                    self._reject(500, "could not record the event")
                else:
                    self._reject(503, "the listener is stopping")
            if listener._done() or listener.failure is not None:
                self.wfile.flush()
                listener.stop()

    return Handler


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

    def to_json(self) -> dict[str, Any]:
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
    event: dict[str, Any],
    *,
    username: str,
    password: str,
    timeout: float = 10.0,
) -> Delivery:
    """POST one event as EventBridge would (JSON body, basic auth); any HTTP answer is a result."""
    from ecrctl.core.validate_input import check_seconds, check_web_url

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
