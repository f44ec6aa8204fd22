"""Keep-alive HTTP/1.1 connections over the standard library's http.client, for the registry
client: a small thread-safe pool per host, streamed responses, redirects for GET and HEAD.

Why not urllib3 (which botocore brings along): importing it costs ~70 ms of CPU (its HTTP/2
probe reads package metadata, its URL grammar compiles large regular expressions), a quarter of
a whole ``ecrctl copy`` that finds nothing to do; what a registry copy needs from it is this page.
"""

from __future__ import annotations

import http.client
import select
import ssl
import threading
from typing import Any
from urllib.parse import urljoin, urlsplit

CONNECT_TIMEOUT = 30.0
READ_TIMEOUT = 300.0
REDIRECTS = 5
ERROR_BODY_LIMIT = 1 << 20
NetError = (OSError, http.client.HTTPException)  # what a broken connection raises


class ConnectionFailed(Exception):
    """The request could not be sent, or the response not read (the reason is the message)."""


class Response:
    """One response: status and headers, the body preloaded (``data``) or streamed (``read``);
    ``release_conn`` hands a fully read connection back to the pool, closes any other."""

    def __init__(self, raw: http.client.HTTPResponse, pool: Pool, key: tuple[str, str], conn: Any):
        self.status = raw.status
        self.headers = raw.headers  # case-insensitive get()
        self._raw, self._pool, self._key, self._conn = raw, pool, key, conn
        self._data: bytes | None = None

    def read(self, amt: int | None = None, decode_content: bool = False) -> bytes:
        """Up to ``amt`` bytes of the body (no content coding is asked for, none is undone)."""
        return self._raw.read(amt)

    @property
    def data(self) -> bytes:
        """The body (of a streamed response: the rest of it, at most 1 MiB, for errors)."""
        if self._data is None:
            try:
                self._data = self._raw.read(ERROR_BODY_LIMIT) if self._conn else b""
            except NetError:
                self._data = b""
            self.release_conn()
        return self._data

    def preload(self) -> Response:
        try:
            self._data = self._raw.read()
        except NetError as error:
            self.release_conn()
            raise ConnectionFailed(str(error) or type(error).__name__) from None
        self.release_conn()
        return self

    @property
    def closed(self) -> bool:
        return self._conn is None

    def release_conn(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._raw.isclosed() and not self._raw.will_close:
            self._pool.put(self._key, conn)
        else:
            self._raw.close()
            conn.close()


def _dropped(conn: Any) -> bool:
    """An idle keep-alive connection the server closed (readable at once: EOF)."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


class Pool:
    """Idle connections per (scheme, host:port), at most ``maxsize`` each; thread-safe."""

    def __init__(self, maxsize: int = 8) -> None:
        self.maxsize = maxsize
        self._idle: dict[tuple[str, str], list[Any]] = {}
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None

    def _new(self, scheme: str, netloc: str) -> Any:
        if scheme == "https":
            with self._lock:
                if self._tls is None:
                    self._tls = ssl.create_default_context()  # system CAs, SSL_CERT_FILE
            conn: Any = http.client.HTTPSConnection(
                netloc, timeout=CONNECT_TIMEOUT, context=self._tls
            )
        else:
            conn = http.client.HTTPConnection(netloc, timeout=CONNECT_TIMEOUT)
        conn.connect()
        conn.sock.settimeout(READ_TIMEOUT)
        return conn

    def get(self, key: tuple[str, str]) -> tuple[Any, bool]:
        """A connection for ``key`` and whether it was reused."""
        with self._lock:
            idle = self._idle.get(key) or []
            while idle:
                conn = idle.pop()
                if not _dropped(conn):
                    return conn, True
                conn.close()
        return self._new(*key), False

    def put(self, key: tuple[str, str], conn: Any) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self.maxsize:
                idle.append(conn)
                return
        conn.close()

    def _send(
        self, method: str, url: str, headers: dict[str, str], body: Any, replayable: bool
    ) -> Response:
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        # A replayable request is tried again after a failed connect, and once more on a fresh
        # connection when a kept-alive one turns out closed; a streamed body is sent once.
        attempts = 4 if replayable else 1
        for attempt in range(attempts):
            try:
                conn, reused = self.get(key)
            except NetError as error:
                if attempt + 1 < attempts:
                    continue
                raise ConnectionFailed(str(error) or type(error).__name__) from None
            try:
                conn.request(method, target, body=body, headers=headers)
                raw = conn.getresponse()
            except NetError as error:
                conn.close()
                if reused and attempt + 1 < attempts:
                    continue
                raise ConnectionFailed(str(error) or type(error).__name__) from None
            except BaseException:  # the body's reader failed (the source broke off), Ctrl-C
                conn.close()
                raise
            return Response(raw, self, key, conn)
        raise ConnectionFailed("no connection")  # pragma: no cover - the loop returns or raises

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        body: Any = None,
        stream: bool = False,
        redirect: bool = False,
    ) -> Response:
        """Send one request; with ``redirect``, follow up to 5 redirects, dropping the
        Authorization header when one leads to another host (a blob's storage URL)."""
        replayable = body is None or isinstance(body, bytes)
        headers = dict(headers)
        for _ in range(REDIRECTS + 1):
            response = self._send(method, url, headers, body, replayable)
            location = response.headers.get("Location")
            if not (redirect and response.status in (301, 302, 303, 307, 308) and location):
                break
            response.data  # noqa: B018 - read to the end so the connection is kept
            target = urljoin(url, location)
            if urlsplit(target).netloc != urlsplit(url).netloc:
                headers.pop("Authorization", None)
            url = target
        return response if stream else response.preload()
