"""Test-only: a recording proxy in front of a real ``docker-registry``, and Docker Hub stand-ins,
on tests/fakehttp.py servers.

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

Both record what they are asked (``take()``: the requests so far, forgotten; each a
tests.fakehttp ``Request`` with its ``method``, ``route`` and parsed ``query``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Self

from tests.fakehttp import FakeServer, Reply, Request, forward, json_reply

RECORDED = Path(__file__).parent / "data" / "dockerhub" / "namespace-repositories.json"
WINDOW = 21600
UNAUTHORIZED = {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}
TOO_MANY = {
    "errors": [
        {
            "code": "TOOMANYREQUESTS",
            "message": "You have reached your unauthenticated pull rate limit.",
        }
    ]
}


class _Standin:
    """A fakehttp server answering with ``answer``; a context manager."""

    stream_requests = False

    def __init__(self) -> None:
        self.server: FakeServer | None = None

    def answer(self, request: Request) -> Reply:
        raise NotImplementedError

    @property
    def host(self) -> str:
        assert self.server is not None, "start the stand-in first (with ...)"
        return self.server.host

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def take(self) -> list[Request]:
        """The requests so far (and forget them)."""
        assert self.server is not None, "start the stand-in first (with ...)"
        return self.server.take()

    def __enter__(self) -> Self:
        self.server = FakeServer(self.answer, stream_requests=self.stream_requests)
        return self

    def __exit__(self, *_: object) -> None:
        if self.server is not None:
            self.server.stop()


class RegistryProxy(_Standin):
    stream_requests = True  # blobs pass through as they arrive, nothing kept

    def __init__(self, upstream: str, *, hub: bool = False, pulls: int = 100) -> None:
        super().__init__()
        self.upstream = upstream  # host:port of the registry behind
        self.hub = hub
        self.limit = 100
        self.remaining = pulls
        self.refused = 0  # 429s answered
        self.faults: dict[str, int] = {}  # path substring -> HTTP status answered instead
        self.deny = False  # answer every request 401 with a Basic challenge (no one may in)

    def answer(self, request: Request) -> Reply:
        refused = self._refused(request)
        if refused is not None:
            if request.stream is not None:
                request.stream.read()  # the body read: the connection stays open
            return refused
        if self.hub and request.route.startswith("/token"):
            return json_reply(200, {"token": "hub-token", "expires_in": 300})
        extra: dict[str, str] = {}
        if self.hub and "/manifests/" in request.route:
            assert self.server is not None
            with self.server.lock:
                pull = request.method == "GET"
                over = pull and self.remaining <= 0
                if over:
                    self.refused += 1
                elif pull:
                    self.remaining -= 1
                remaining = self.remaining
            extra = {
                "ratelimit-limit": f"{self.limit};w={WINDOW}",
                "ratelimit-remaining": f"{remaining};w={WINDOW}",
                "docker-ratelimit-source": "192.0.2.10",
            }
            if over:
                return json_reply(429, TOO_MANY, extra)
        return forward(
            request, self.upstream, proxy_host=self.host, drop=("Authorization",), extra=extra
        )

    def _refused(self, request: Request) -> Reply | None:
        """The answer to a request that does not reach the registry: denied, faulted, or (as
        Docker Hub) without its Bearer token."""
        if self.deny:
            return json_reply(401, UNAUTHORIZED, {"WWW-Authenticate": 'Basic realm="standin"'})
        for part, status in self.faults.items():
            if part in request.path:
                return json_reply(status, {"errors": [{"code": "UNKNOWN", "message": "fault"}]})
        if self.hub and request.route.startswith("/token"):
            return None
        if self.hub and request.headers.get("Authorization") != "Bearer hub-token":
            challenge = f'Bearer realm="{self.url}/token",service="registry.docker.io"'
            return json_reply(401, UNAUTHORIZED, {"WWW-Authenticate": challenge})
        return None

    # -- what was asked -------------------------------------------------------------------------
    @staticmethod
    def uploads(requests: list[Request]) -> list[str]:
        """Digests of blob uploads completed (``PUT .../blobs/uploads/...?digest=``)."""
        return [
            r.query["digest"][0]
            for r in requests
            if r.method == "PUT" and "/blobs/uploads/" in r.route and "digest" in r.query
        ]

    @staticmethod
    def mounts(requests: list[Request]) -> list[str]:
        return [r.query["mount"][0] for r in requests if r.method == "POST" and "mount" in r.query]


class HubApi(_Standin):
    """Docker Hub's API: ``GET /v2/namespaces/NS/repositories``, ``page_size`` repositories
    a page at most (here 2 at most, to make pages), ``next`` naming the following page."""

    PAGE = 2

    def __init__(self, namespaces: dict[str, list[str]]) -> None:
        super().__init__()
        self.namespaces = namespaces
        recorded = json.loads(RECORDED.read_text())
        self.template = recorded["results"][0]
        self.keys = set(recorded)

    def answer(self, request: Request) -> Reply:
        pieces = request.route.strip("/").split("/")
        if request.method != "GET" or len(pieces) != 4 or pieces[:2] != ["v2", "namespaces"]:
            return json_reply(404, {"message": "page not found", "errinfo": {}})
        namespace = pieces[2]
        if pieces[3] != "repositories" or namespace not in self.namespaces:
            return json_reply(404, {"message": "object not found", "errinfo": {}})
        page = int(request.query.get("page", ["1"])[0])
        size = min(int(request.query.get("page_size", ["10"])[0]), self.PAGE)
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
        return json_reply(200, doc)
