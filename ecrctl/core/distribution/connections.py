"""Keep-alive HTTP/1.1 connections over the standard library's http.client, for the registry
client: a small thread-safe pool per host, streamed responses, redirects for GET and HEAD.

What a peer cannot do to it (DESIGN.md, "Registries"):

- get credentials it did not ask for: the Authorization header goes only to the origin (scheme,
  host and port) it was made for, on every hop of a redirect; another origin gets none;
- fill memory: a body read whole is capped (``BODY_LIMIT``; an error body ``ERROR_BODY_LIMIT``,
  the rest unread), only blobs are streamed, and they are read as far as their known size;
- hold a request forever: each answer (status, headers and a body read whole) must arrive
  within ``ANSWER_DEADLINE`` seconds in all, however slowly it trickles; a stream may stall
  ``READ_TIMEOUT`` seconds between bytes;
- break a copy with one transient failure: retry.RetryPolicy, applied in ``Pool.request``.

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

from ecrctl.core.distribution.deadline import Deadline
from ecrctl.core.distribution.retry import RetryPolicy, retry_after_seconds

CONNECT_TIMEOUT = 30.0
READ_TIMEOUT = 300.0  # a streamed body or an upload may stall this long between bytes
ANSWER_DEADLINE = 120.0  # status, headers and a body read whole, in all
REDIRECTS = 5
BODY_LIMIT = 4 * 2**20  # the distribution spec's manifest limit, for any body read whole
ERROR_BODY_LIMIT = 64 * 1024  # of an error body; the rest is left unread
NetError = (OSError, http.client.HTTPException)  # what a broken connection raises


class ConnectionFailed(Exception):
    """The request could not be sent, or the response not read (the reason is the message).
    ``unreached``: no connection to that origin was ever made (refused, no such host)."""

    def __init__(self, message: str, *, unreached: bool = False) -> None:
        super().__init__(message)
        self.unreached = unreached


# An origin never reached (a typo'd host, a registry that is down) gets this many tries, as the
# ECR API's calls get by default: it fails in a moment, not after the whole retry policy.
FIRST_CONTACT_TRIES = 3


class Misbehaving(Exception):
    """The peer at ``netloc`` answered what this client refuses: too large, too slow, odd."""

    def __init__(self, netloc: str, problem: str) -> None:
        super().__init__(f"{netloc}: {problem}")
        self.netloc, self.problem = netloc, problem


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``, the unit credentials are kept for."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def where(url: str) -> str:
    """Host and path of ``url`` for messages: never its query (a signature, a session state)."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path or '/'}"


class Response:
    """One response: status and headers, the body preloaded (``data``) or streamed (``read``);
    ``release_conn`` hands a fully read connection back to the pool, closes any other."""

    def __init__(
        self,
        raw: http.client.HTTPResponse,
        pool: Pool,
        key: tuple[str, str],
        conn: Any,
        deadline: Deadline | None = None,
    ):
        self.status = raw.status
        self.headers = raw.headers  # case-insensitive get()
        self._raw, self._pool, self._key, self._conn = raw, pool, key, conn
        self._deadline = deadline
        self._data: bytes | None = None

    def read(self, amt: int | None = None, decode_content: bool = False) -> bytes:
        """Up to ``amt`` bytes of the body (no content coding is asked for, none is undone)."""
        return self._raw.read(amt)

    @property
    def data(self) -> bytes:
        """The body read so far (of a streamed response: the rest of it, at most
        ERROR_BODY_LIMIT, for an error message)."""
        if self._data is None:
            self._data = self._read_up_to(ERROR_BODY_LIMIT) if self._conn else b""
            self.release_conn()
        return self._data

    def _read_up_to(self, limit: int) -> bytes:
        """At most ``limit`` bytes; a longer body is cut there and its connection not kept."""
        try:
            data = self._raw.read(limit + 1)
        except NetError:
            return b""
        if len(data) > limit:
            self._raw.will_close = True
        return data[:limit]

    def preload(self, what: str, *, head: bool = False, limit: int = BODY_LIMIT) -> Response:
        """Read the body whole: at most ``limit`` (larger is refused), of an error at most
        ERROR_BODY_LIMIT (the rest is left unread), all within the answer's deadline."""
        netloc = self._key[1]
        if self._data is not None:  # an error body read already, for a retry that was not made
            return self
        try:
            if head:  # a HEAD's Content-Length is the size of what a GET would answer
                self._data = b""
            elif self.status >= 300:
                self._data = self._read_up_to(ERROR_BODY_LIMIT)
            else:
                too_large = f"the answer to {what} is larger than {limit >> 20} MiB"
                length = self.headers.get("Content-Length", "")
                if length.isdigit() and int(length) > limit:
                    raise Misbehaving(netloc, too_large)
                data = self._raw.read(limit + 1)
                if len(data) > limit:
                    raise Misbehaving(netloc, too_large)
                self._data = data
        except NetError as error:
            slow = self.stop_clock()
            self._raw.will_close = True
            self.release_conn()
            if slow:
                raise Misbehaving(netloc, _slow(what, self._pool.deadline)) from None
            raise ConnectionFailed(str(error) or type(error).__name__) from None
        except Misbehaving:
            self._raw.will_close = True
            self.release_conn()
            raise
        if self.stop_clock():
            self.release_conn()
            raise Misbehaving(netloc, _slow(what, self._pool.deadline))
        self.release_conn()
        return self

    def stop_clock(self) -> bool:
        """The answer is in: stop its deadline; True when it had run out (the socket is shut)."""
        deadline, self._deadline = self._deadline, None
        if deadline is not None and deadline.cancel():
            self._raw.will_close = True
            return True
        return False

    @property
    def closed(self) -> bool:
        return self._conn is None

    def release_conn(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        self.stop_clock()
        if self._raw.isclosed() and not self._raw.will_close:
            self._pool.put(self._key, conn)
        else:
            self._raw.close()
            conn.close()


def _slow(what: str, seconds: float) -> str:
    return f"no whole answer to {what} within {seconds:g} s"


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
    """Idle connections per (scheme, host:port), at most ``maxsize`` each; thread-safe.
    ``retry`` is the retry policy of every request sent through it."""

    def __init__(
        self,
        maxsize: int = 8,
        *,
        retry: RetryPolicy | None = None,
        deadline: float = ANSWER_DEADLINE,
    ) -> None:
        self.maxsize = maxsize
        self.retry = retry or RetryPolicy()
        self.deadline = deadline
        self._idle: dict[tuple[str, str], list[Any]] = {}
        self._reached: set[tuple[str, str]] = set()  # origins a connection was made to
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
        elif scheme == "http":
            conn = http.client.HTTPConnection(netloc, timeout=CONNECT_TIMEOUT)
        else:
            raise Misbehaving(netloc, f"a {scheme or 'relative'} URL is not HTTP")
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
        self, method: str, url: str, headers: dict[str, str], body: Any, replay: bool
    ) -> Response:
        """One exchange. A kept-alive connection found closed is replaced once when the request
        may be sent again (``replay``): the server's idle close, not a failure to retry."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        for attempt in (0, 1):
            try:
                conn, reused = self.get(key)
            except NetError as error:
                message = str(error) or type(error).__name__
                raise ConnectionFailed(message, unreached=key not in self._reached) from None
            self._reached.add(key)
            # A body that can be sent again is small: its sending counts in the deadline; a
            # streamed one may take long, and the clock starts once it is sent.
            deadline = Deadline(conn, self.deadline) if replay else None
            try:
                conn.request(method, target, body=body, headers=headers)
                deadline = deadline or Deadline(conn, self.deadline)
                raw = conn.getresponse()
            except NetError as error:
                conn.close()
                if deadline is not None and deadline.cancel():
                    problem = _slow(f"{method} {parts.path or '/'}", self.deadline)
                    raise Misbehaving(parts.netloc, problem) from None
                if reused and replay and attempt == 0:
                    continue
                raise ConnectionFailed(str(error) or type(error).__name__) from None
            except BaseException:  # the body's reader failed (the source broke off), Ctrl-C
                if deadline is not None:
                    deadline.cancel()
                conn.close()
                raise
            return Response(raw, self, key, conn, deadline)
        raise ConnectionFailed("no connection")  # pragma: no cover - the loop returns or raises

    def _follow(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: Any,
        redirect: bool,
        auth: tuple[str, str] | None,
        replay: bool,
    ) -> Response:
        for _ in range(REDIRECTS + 1):
            sent = dict(headers)
            sent.pop("Authorization", None)  # credentials go by origin only, below
            if auth is not None and origin(url) == auth[0]:
                sent["Authorization"] = auth[1]
            response = self._send(method, url, sent, body, replay)
            location = response.headers.get("Location")
            if not (redirect and response.status in (301, 302, 303, 307, 308) and location):
                return response
            response.data  # noqa: B018 - read (at most ERROR_BODY_LIMIT) to keep the connection
            target = urljoin(url, location)
            if urlsplit(target).scheme not in ("http", "https"):
                raise Misbehaving(urlsplit(url).netloc, f"redirects {method} to a non-HTTP URL")
            url = target
        raise Misbehaving(urlsplit(url).netloc, f"more than {REDIRECTS} redirects for {method}")

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        body: Any = None,
        stream: bool = False,
        redirect: bool = False,
        auth: tuple[str, str] | None = None,
        retry: bool = True,
        limit: int = BODY_LIMIT,
    ) -> Response:
        """Send one request; with ``redirect``, follow up to 5 redirects. ``auth`` is (origin,
        Authorization value): the header goes to that origin only, on every hop. A request
        whose body can be sent again is retried under the pool's policy (``retry=False``: the
        caller retries a larger whole); a body is read whole, at most ``limit`` bytes within
        the deadline, unless ``stream``."""
        replay = retry and (body is None or isinstance(body, bytes))
        what = f"{method} {where(url)}"
        tries = 1
        while True:
            try:
                response = self._follow(method, url, headers, body, redirect, auth, replay)
            except ConnectionFailed as error:
                first_contact = error.unreached and tries >= FIRST_CONTACT_TRIES
                if replay and not first_contact and self.retry.pause(tries, what, str(error)):
                    tries += 1
                    continue
                raise
            if replay and response.status in self.retry.statuses:
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                response.data  # noqa: B018 - read (capped) so the connection can be kept
                if self.retry.pause(tries, what, f"HTTP {response.status}", wait):
                    tries += 1
                    continue
            break
        if stream and response.status < 300:  # an error's body is read within the deadline
            if response.stop_clock():
                response.release_conn()
                problem = _slow(f"{method} {urlsplit(url).path}", self.deadline)
                raise Misbehaving(urlsplit(url).netloc, problem)
            return response
        what = f"{method} {urlsplit(url).path or '/'}"
        return response.preload(what, head=method == "HEAD", limit=limit)
