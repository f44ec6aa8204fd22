"""HTTP plumbing of the sandbox registry: answers, the distribution spec's errors, Basic auth.

Errors are the spec's JSON (``{"errors": [{"code", "message", "detail"}]}``) with its codes and
statuses. The password is the one the sandbox's GetAuthorizationToken issues (base64 of
``AWS:<password>``, as ECR's): the front door records every token it hands out, and the first
request that presents an unknown password asks GetAuthorizationToken once itself. moto issues
the same password for an account every time (``<account>-auth-token``), so a login (or the
credential helper's cached token) still works after the sandbox restarts.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.names import validate_repository_name
from ecrctl.sandbox.blobstore import DigestInvalid, hex_of

StartResponse = Callable[..., Any]
RANGE_RE = re.compile(r"(?:bytes[ =])?(\d+)-(\d*)")  # Range and Content-Range, as clients send
API_VERSION = ("Docker-Distribution-API-Version", "registry/2.0")
REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    206: "Partial Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    416: "Range Not Satisfiable",
    500: "Internal Server Error",
}
# code -> (status, message): the distribution spec's error codes (and ECR's TAG_INVALID).
ERRORS = {
    "BLOB_UNKNOWN": (404, "blob unknown to registry"),
    "BLOB_UPLOAD_INVALID": (400, "blob upload invalid"),
    "BLOB_UPLOAD_UNKNOWN": (404, "blob upload unknown to registry"),
    "DIGEST_INVALID": (400, "provided digest did not match uploaded content"),
    "MANIFEST_BLOB_UNKNOWN": (404, "manifest references a manifest or blob unknown to registry"),
    "MANIFEST_INVALID": (400, "manifest invalid"),
    "MANIFEST_UNKNOWN": (404, "manifest unknown to registry"),
    "NAME_INVALID": (400, "invalid repository name"),
    "NAME_UNKNOWN": (404, "repository name not known to registry"),
    "RANGE_INVALID": (416, "invalid content range"),
    "SIZE_INVALID": (400, "provided length did not match content length"),
    "TAG_INVALID": (400, "manifest tag did not match URI"),
    "UNAUTHORIZED": (401, "authentication required"),
    "UNSUPPORTED": (405, "the operation is unsupported"),
}


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | Iterable[bytes] = ()
    length: int | None = None  # Content-Length when the body is streamed

    def send(self, start_response: StartResponse, *, head: bool) -> Iterable[bytes]:
        headers = [API_VERSION, *self.headers]
        body: Iterable[bytes]
        if isinstance(self.body, bytes):
            body = [self.body]
            if self.length is None:
                self.length = len(self.body)
        else:
            body = self.body
        if self.length is not None and not any(k == "Content-Length" for k, _ in headers):
            headers.append(("Content-Length", str(self.length)))
        start_response(f"{self.status} {REASONS.get(self.status, 'Unknown')}", headers)
        if head:
            close = getattr(body, "close", None)
            if close is not None:
                close()
            return []
        return body


def json_answer(status: int, doc: Any, headers: list[tuple[str, str]] | None = None) -> Answer:
    data = json.dumps(doc).encode()
    return Answer(status, [("Content-Type", "application/json"), *(headers or [])], data)


class RegistryError(Exception):
    """One spec error; ``answer()`` is what the client gets."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        detail: Any = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        status, default = ERRORS[code]
        super().__init__(message or default)
        self.code, self.status = code, status
        self.message = message or default
        self.detail = detail
        self.headers = headers or []

    def answer(self) -> Answer:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail is not None:
            error["detail"] = self.detail
        return json_answer(self.status, {"errors": [error]}, self.headers)


class Passwords:
    """The passwords the sandbox's GetAuthorizationToken has issued for its registry."""

    def __init__(self, fetch: Callable[[], str | None]) -> None:
        self._fetch = fetch  # asks GetAuthorizationToken (the front door records the answer)
        self._known: set[str] = set()
        self._asked = False
        self._lock = threading.Lock()

    def issued(self, password: str) -> None:
        with self._lock:
            self._known.add(password)

    def _is_known(self, password: str) -> bool:
        with self._lock:
            known = list(self._known)
        # Compared in constant time, each of them: the answer says nothing of a near miss.
        return any(hmac.compare_digest(password.encode(), k.encode()) for k in known)

    def check(self, password: str) -> bool:
        if self._is_known(password):
            return True
        with self._lock:
            ask, self._asked = not self._asked, True
        if ask:
            fetched = self._fetch()
            if fetched:
                self.issued(fetched)
            return self._is_known(password)
        return False


def basic_password(authorization: str) -> str | None:
    """The password of ``Basic base64(AWS:password)``; None for anything else."""
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    return password if sep and user == "AWS" and password else None


def read_body(environ: dict[str, Any], limit: int) -> bytes:
    """A request body read whole (a manifest): at most ``limit`` bytes, else SIZE_INVALID."""
    stream = environ["wsgi.input"]
    length = content_length(environ)
    if length is not None:
        if length > limit:
            raise RegistryError("SIZE_INVALID", f"the body is over {limit} bytes")
        return bytes(stream.read(length)) if length else b""
    data = bytes(stream.read(limit + 1))
    if len(data) > limit:
        raise RegistryError("SIZE_INVALID", f"the body is over {limit} bytes")
    return data


def content_length(environ: dict[str, Any]) -> int | None:
    """The request's Content-Length; None for a chunked (or absent) one."""
    if environ.get("wsgi.input_terminated"):
        return None  # chunked: read to the end
    text = str(environ.get("CONTENT_LENGTH") or "").strip()
    if not text:
        return 0
    if not text.isdigit():
        raise RegistryError("SIZE_INVALID", "Content-Length is not a number")
    return int(text)


def query_params(environ: dict[str, Any]) -> dict[str, str]:
    parsed = parse_qs(str(environ.get("QUERY_STRING") or ""), keep_blank_values=True)
    return {key: values[-1] for key, values in parsed.items()}


def checked_digest(text: str) -> str:
    try:
        hex_of(text)
    except DigestInvalid:
        raise RegistryError("DIGEST_INVALID", f"invalid digest {text!r}") from None
    return text


def checked_name(text: str) -> str:
    try:
        return validate_repository_name(text)
    except InvalidInput as error:
        raise RegistryError("NAME_INVALID", str(error)) from None
