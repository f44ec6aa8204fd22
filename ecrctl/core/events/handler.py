"""How ``events listen`` answers one HTTP request: the checks, in order, and the answer.

Basic auth first (401), then a Content-Length (411) of at most 256 KB (413), then an event
(400); the event is handed to the listener before the 200 goes out. A request (headers and
body) must arrive before a deadline (408). Every refusal is also reported as a ``Rejection``.
The handler knows its listener only as a ``Receiver`` (``receiver.py``).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import io
import json
import socket
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING

from ecrctl.core.events.inbound import BadEvent, parse_event
from ecrctl.core.events.receiver import Receiver, Rejection

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MAX_BODY = 256 * 1024  # EventBridge's own limit for one event
_DRAIN_LIMIT = 1024 * 1024  # at most this much of a refused body is read before closing


def credentials_match(header: str | None, username: str, password: str) -> bool:
    """Constant-time comparison of an Authorization header with the expected user and password."""
    if not header or not header.startswith("Basic "):
        return False
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, ValueError):  # not base64; not ASCII (ValueError); not UTF-8
        return False
    user, sep, secret = decoded.partition(":")
    same_user = hmac.compare_digest(user.encode(), username.encode())
    same_secret = hmac.compare_digest(secret.encode(), password.encode())
    return bool(sep) and same_user and same_secret


class _DeadlineReader(io.RawIOBase):
    """Reads a socket until a deadline: a client trickling bytes cannot hold a request open."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.timed_out = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        left = self.deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError("the request took too long")
            self.sock.settimeout(left)
            return self.sock.recv_into(buffer)
        except TimeoutError:
            self.timed_out = True
            raise


class WebhookHandler(BaseHTTPRequestHandler):
    """One request to the listener; ``listener`` is set by :func:`handler_for`."""

    listener: Receiver
    server_version = "ecrctl-listener"
    reader: _DeadlineReader
    reported = False
    requestline, command, request_version = "", "", "HTTP/1.0"  # until a request line came

    def setup(self) -> None:
        super().setup()
        deadline = time.monotonic() + self.listener.request_timeout
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

    def log_message(self, format: str, *args: object) -> None:
        return  # the command prints its own lines

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server's own refusals (a bad request line, too many headers, 501 ...)
        self._report(code, message or self.responses.get(code, ("error",))[0])
        super().send_error(code, message, explain)

    def _report(self, status: int | None, reason: str) -> None:
        self.reported = True
        self.listener.on_reject(Rejection(str(self.client_address[0]), status, reason))

    def _answer(self, status: int, doc: dict[str, str | bool], **headers: str) -> None:
        self.connection.settimeout(self.listener.request_timeout)
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
            digits = declared.strip() if declared else ""
            length = int(digits) if digits.isascii() and digits.isdigit() else -1
        except ValueError:
            length = -1
        unread = max(length, 0) or _DRAIN_LIMIT
        if self.listener.username is not None and not credentials_match(
            self.headers.get("Authorization"), self.listener.username, self.listener.password or ""
        ):
            why = "wrong credentials" if self.headers.get("Authorization") else "no credentials"
            self._reject(401, why, unread=unread, WWW_Authenticate='Basic realm="ecrctl"')
            return
        refused = _length_refusal(declared, self.headers.get("Transfer-Encoding"), length)
        if refused is not None:
            self._reject(*refused, unread=unread)
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
        try:
            recorded = self.listener.record(event)
        except BadEvent as error:  # the listener cannot show this one: the next may do
            self._reject(400, str(error))
            return
        if recorded:
            self._answer(200, {"received": True})
        else:
            if self.listener.failure is not None:
                self._reject(500, "could not record the event")
            else:
                self._reject(503, "the listener is stopping")
        if self.listener.done() or self.listener.failure is not None:
            self.wfile.flush()
            self.listener.stop()


def _length_refusal(
    declared: str | None, chunked: str | None, length: int
) -> tuple[int, str] | None:
    """Why a POST's declared length is refused before its body is read, if it is."""
    if declared is None or chunked:
        return 411, "a Content-Length is required"
    if length < 0:
        return 400, "the Content-Length is not a number"
    if length > MAX_BODY:
        return 413, "the body is over 256 KB, EventBridge's limit"
    return None


def handler_for(listener: Receiver) -> type[BaseHTTPRequestHandler]:
    """The request handler class bound to ``listener`` (http.server makes one per request)."""
    # timeout is for writing; reading has a deadline (setup)
    return type(
        "Handler", (WebhookHandler,), {"listener": listener, "timeout": listener.request_timeout}
    )
