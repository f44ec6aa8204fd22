"""Test-only: a recording proxy in front of a real ``docker-registry``, and Docker Hub stand-ins.

``RegistryProxy`` forwards every request to the registry behind it (bodies streamed through,
``Location`` and ``Link`` rewritten to itself) and records each one, so tests can say exactly
what a client asked for: which blobs were uploaded (``PUT ...?digest=``), mounted
(``POST ...?mount=``), which manifests were read. With ``hub=True`` it answers as Docker Hub's
registry does: a Bearer challenge and a token endpoint of its own, ``ratelimit-limit`` and
``ratelimit-remaining`` on manifest answers, a manifest GET counted as a pull (HEAD is not), and
429 ``TOOMANYREQUESTS`` once the pulls are used up. ``faults`` makes chosen paths fail.

``HubApi`` answers Docker Hub's repository listing of a namespace
(``/v2/namespaces/NS/repositories``) in the recorded shape of tests/data/dockerhub/, two
repositories a page, pages chained by ``next``.
"""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

RECORDED = Path(__file__).parent / "data" / "dockerhub" / "namespace-repositories.json"
WINDOW = 21600
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # without the query
    query: dict[str, list[str]]


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class _Base:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def __enter__(self) -> Any:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def record(self, method: str, target: str) -> None:
        parts = urlsplit(target)
        with self.lock:
            self.calls.append(Call(method, parts.path, parse_qs(parts.query)))

    def take(self) -> list[Call]:
        """The calls so far (and forget them)."""
        with self.lock:
            calls, self.calls = self.calls, []
        return calls

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                owner.record(self.command, self.path)
                owner.answer(self)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        return Handler

    def answer(self, request: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    @staticmethod
    def send(
        request: BaseHTTPRequestHandler,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> None:
        request.send_response(status)
        for key, value in (headers or {}).items():
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(body)


class RegistryProxy(_Base):
    def __init__(self, upstream: str, *, hub: bool = False, pulls: int = 100) -> None:
        self.upstream = upstream  # host:port of the registry behind
        self.hub = hub
        self.limit = 100
        self.remaining = pulls
        self.refused = 0  # 429s answered
        self.faults: dict[str, int] = {}  # path substring -> HTTP status answered instead
        self.deny = False  # answer every request 401 with a Basic challenge (no one may in)
        super().__init__()

    def answer(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path
        if self.deny:
            self._drain(request)
            body = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
            self.send(request, 401, body, {"WWW-Authenticate": 'Basic realm="standin"'})
            return
        for part, status in self.faults.items():
            if part in path:
                self._drain(request)
                self.send(request, status, b'{"errors":[{"code":"UNKNOWN","message":"fault"}]}')
                return
        if self.hub and path.startswith("/token"):
            self.send(request, 200, json.dumps({"token": "hub-token", "expires_in": 300}).encode())
            return
        if self.hub and request.headers.get("Authorization") != "Bearer hub-token":
            self._drain(request)
            challenge = f'Bearer realm="{self.url}/token",service="registry.docker.io"'
            self.send(
                request,
                401,
                b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                {"WWW-Authenticate": challenge},
            )
            return
        extra: dict[str, str] = {}
        if self.hub and "/manifests/" in path:
            with self.lock:
                if request.command == "GET" and self.remaining <= 0:
                    self.refused += 1
                    refused = True
                else:
                    refused = False
                    if request.command == "GET":
                        self.remaining -= 1
                remaining = self.remaining
            extra = {
                "ratelimit-limit": f"{self.limit};w={WINDOW}",
                "ratelimit-remaining": f"{remaining};w={WINDOW}",
                "docker-ratelimit-source": "192.0.2.10",
            }
            if refused:
                body = (
                    b'{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your '
                    b'unauthenticated pull rate limit."}]}'
                )
                self.send(request, 429, body, extra)
                return
        self._forward(request, extra)

    @staticmethod
    def _drain(request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        if length:
            request.rfile.read(length)

    def _forward(self, request: BaseHTTPRequestHandler, extra: dict[str, str]) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        headers.pop("Authorization", None)
        headers["Host"] = self.upstream
        if body is not None:
            headers["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection(self.upstream, timeout=60)
        try:
            conn.request(request.command, request.path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            kept = {
                k: v.replace(self.upstream, self.host)
                for k, v in answer.getheaders()
                if k.lower() not in _HOP
            }
        finally:
            conn.close()
        kept |= extra
        request.send_response(answer.status)
        for key, value in kept.items():
            request.send_header(key, value)
        if request.command == "HEAD":
            request.send_header("Content-Length", answer.getheader("Content-Length") or "0")
        else:
            request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(data)

    # -- what was asked -------------------------------------------------------------------------
    def uploads(self, calls: list[Call]) -> list[str]:
        """Digests of blob uploads completed (``PUT .../blobs/uploads/...?digest=``)."""
        return [
            c.query["digest"][0]
            for c in calls
            if c.method == "PUT" and "/blobs/uploads/" in c.path and "digest" in c.query
        ]

    def mounts(self, calls: list[Call]) -> list[str]:
        return [c.query["mount"][0] for c in calls if c.method == "POST" and "mount" in c.query]


class HubApi(_Base):
    """Docker Hub's API: ``GET /v2/namespaces/NS/repositories``, ``page_size`` repositories
    a page at most (here 2 at most, to make pages), ``next`` naming the following page."""

    PAGE = 2

    def __init__(self, namespaces: dict[str, list[str]]) -> None:
        self.namespaces = namespaces
        recorded = json.loads(RECORDED.read_text())
        self.template = recorded["results"][0]
        self.keys = set(recorded)
        super().__init__()

    def answer(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        pieces = parts.path.strip("/").split("/")
        if request.command != "GET" or len(pieces) != 4 or pieces[:2] != ["v2", "namespaces"]:
            self.send(request, 404, b'{"message":"page not found","errinfo":{}}')
            return
        namespace = pieces[2]
        if pieces[3] != "repositories" or namespace not in self.namespaces:
            self.send(request, 404, b'{"message":"object not found","errinfo":{}}')
            return
        query = parse_qs(parts.query)
        page = int(query.get("page", ["1"])[0])
        size = min(int(query.get("page_size", ["10"])[0]), self.PAGE)
        names = self.namespaces[namespace]
        chosen = names[(page - 1) * size : page * size]
        base = f"{self.url}/v2/namespaces/{namespace}/repositories"
        doc = {
            "count": len(names),
            "next": f"{base}?page={page + 1}&page_size={size}"
            if page * size < len(names)
            else None,
            "previous": f"{base}?page={page - 1}&page_size={size}" if page > 1 else None,
            "results": [self.template | {"name": n, "namespace": namespace} for n in chosen],
        }
        assert set(doc) == self.keys
        self.send(request, 200, json.dumps(doc).encode(), {"Content-Type": "application/json"})
