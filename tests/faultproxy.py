"""Test-only: an HTTP proxy in front of a real registry (docker-registry on 127.0.0.1) that
injects faults, on tests/fakehttp.py.

Each request either goes through (forwarded with its Host header, so the registry's upload
Locations name the proxy) or gets one fault:

- ``429``: Too Many Requests with ``Retry-After: 0`` (``retry_after`` changes it), not forwarded;
- ``503``: Service Unavailable, not forwarded;
- ``reset``: the connection is reset before anything is forwarded;
- ``lost``: forwarded (the registry acts on it), then the connection is reset: the answer is
  lost, the case that makes a blind repeat of a PATCH or of an upload's closing PUT wrong.

Which requests fail: ``schedule(number, request)`` returns a fault name or None (deterministic
tests), or else ``rate`` with a seeded random generator (the faults benchmark).
"""

from __future__ import annotations

import http.client
import random
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from tests.fakehttp import FakeServer, Reply, Request, json_reply

FAULTS = ("429", "503", "reset", "lost")
_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "content-length"}

Schedule = Callable[[int, Request], "str | None"]


class FaultyProxy:
    def __init__(
        self,
        target: str,
        *,
        rate: float = 0.0,
        seed: int = 0,
        faults: tuple[str, ...] = FAULTS,
        schedule: Schedule | None = None,
        retry_after: str = "0",
    ) -> None:
        self.target, self.rate, self.faults = target, rate, faults
        self.schedule = schedule
        self.retry_after = retry_after
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.count = 0
        self.injected: Counter[str] = Counter()
        self.log: list[tuple[str, str, str | None]] = []  # (method, route, fault)
        self.server = FakeServer(self.handle)
        self.host = self.server.host

    def stop(self) -> None:
        self.server.stop()

    def _fault(self, request: Request) -> str | None:
        with self.lock:
            self.count += 1
            if self.schedule is not None:
                fault = self.schedule(self.count, request)
            elif self.rate and self.random.random() < self.rate:
                fault = self.random.choice(self.faults)
            else:
                fault = None
            if fault:
                self.injected[fault] += 1
            self.log.append((request.method, request.route, fault))
            return fault

    def handle(self, request: Request) -> Reply:
        fault = self._fault(request)
        if fault == "429":
            return json_reply(
                429,
                {"errors": [{"code": "TOOMANYREQUESTS", "message": "slow down"}]},
                {"Retry-After": self.retry_after},
            )
        if fault == "503":
            return json_reply(503, {"errors": [{"code": "UNAVAILABLE", "message": "try later"}]})
        if fault == "reset":
            return Reply(reset=True)
        reply = self.forward(request)
        return Reply(reset=True) if fault == "lost" else reply

    def forward(self, request: Request) -> Reply:
        upstream = http.client.HTTPConnection(self.target, timeout=120)
        try:
            upstream.putrequest(
                request.method, request.path, skip_host=True, skip_accept_encoding=True
            )
            for name, value in request.headers.items():
                if name.lower() not in _HOP:
                    upstream.putheader(name, value)
            if request.body or request.method in ("POST", "PUT", "PATCH"):
                upstream.putheader("Content-Length", str(len(request.body)))
            upstream.endheaders(request.body or None)
            response = upstream.getresponse()
            body = response.read()
            headers: dict[str, Any] = {
                name: value for name, value in response.getheaders() if name.lower() not in _HOP
            }
        finally:
            upstream.close()
        if request.method == "HEAD":
            headers["Content-Length"] = response.getheader("Content-Length") or "0"
        return Reply(response.status, headers, body)
