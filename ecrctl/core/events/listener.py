"""A local webhook receiver (``events listen``) and sender (``events test``), stdlib only.

The receiver behaves like the webhook EventBridge will call: POST with a JSON event and HTTP
basic auth. It answers 401 without the right credentials, 400 for a body that is not a JSON
object, 200 otherwise, and hands each event to a callback.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from ecrctl.core.exceptions import InvalidInput, Refused

MAX_BODY = 256 * 1024  # EventBridge's own limit for one event


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


class _HTTPServer6(HTTPServer):
    address_family = socket.AF_INET6


@dataclass(frozen=True)
class Rejection:
    client: str
    status: int
    reason: str


class WebhookListener:
    """An HTTP server on host:port; ``serve(count)`` returns after ``count`` events (or never)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        on_event: Callable[[dict[str, Any]], None],
        on_reject: Callable[[Rejection], None] | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        if (username is None) != (password is None):
            raise InvalidInput("a listener needs both a username and a password, or neither")
        self.username = username
        self.password = password
        self.on_event = on_event
        self.on_reject = on_reject or (lambda _r: None)
        self.received = 0
        handler = self._handler_class()
        server_class = _HTTPServer6 if ":" in host else HTTPServer
        try:
            self.server = server_class((host, port), handler)
        except OSError as error:
            raise Refused(f"cannot listen on {host}:{port}: {error.strerror or error}") from None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        shown = f"[{host!s}]" if ":" in str(host) else str(host)
        return f"http://{shown}:{port}/"

    def serve(self, count: int | None = None) -> int:
        try:
            while count is None or self.received < count:
                self.server.handle_request()
        finally:
            self.server.server_close()
        return self.received

    def close(self) -> None:
        self.server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        listener = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "ecrctl-listener"

            def log_message(self, format: str, *args: Any) -> None:
                return  # the command prints its own lines

            def _answer(self, status: int, doc: dict[str, Any], **headers: str) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(body)

            def _reject(self, status: int, reason: str, **headers: str) -> None:
                listener.on_reject(Rejection(self.client_address[0], status, reason))
                self._answer(status, {"error": reason}, **headers)

            def do_GET(self) -> None:
                self._reject(405, "use POST", Allow="POST")

            do_PUT = do_DELETE = do_PATCH = do_GET

            def do_POST(self) -> None:
                if listener.username is not None and not credentials_match(
                    self.headers.get("Authorization"),
                    listener.username,
                    listener.password or "",
                ):
                    why = (
                        "wrong credentials"
                        if self.headers.get("Authorization")
                        else "no credentials"
                    )
                    self._reject(401, why, WWW_Authenticate='Basic realm="ecrctl"')
                    return
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    length = -1
                if not 0 < length <= MAX_BODY:
                    self._reject(400, "a JSON event body of at most 256 KB is expected")
                    return
                try:
                    event = json.loads(self.rfile.read(length))
                except ValueError:
                    self._reject(400, "the body is not JSON")
                    return
                if not isinstance(event, dict):
                    self._reject(400, "the body is not a JSON object")
                    return
                listener.received += 1
                self._answer(200, {"received": True})
                listener.on_event(event)

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
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(f"invalid --webhook-url {url!r}: http:// or https:// expected")
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
