"""sync's listings (``_catalog``, ``tags/list``, Docker Hub's namespace pages) read their pages
within the request's deadline, as every other answer read whole is (connections.py): a peer
that trickles a valid page a byte at a time is stopped, not waited for. Real local servers; the
pool's deadline is 0.5 s here (120 s in use)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ecrctl.core.distribution.client import Registry
from ecrctl.core.distribution.connections import Pool
from ecrctl.core.distribution.retry import RetryPolicy
from ecrctl.core.exceptions import BadAnswer
from ecrctl.core.sync.hub import HubApi
from ecrctl.core.sync.listing import DistributionLister
from tests import fakehttp
from tests.fakehttp import FakeServer, Reply, Request, json_reply

fake_server = fakehttp.fake_server
PAGE = b'{"repositories": [], "tags": [], "results": [], "next": null}'


def trickling(server_box: list[FakeServer]) -> Any:
    """Answers /v2/ at once; any other page as valid JSON after 40 spaces sent 0.05 s apart
    (2 s in all, four times the deadline)."""

    def body() -> Iterator[bytes]:
        for _ in range(40):
            if server_box[0].stopping.wait(0.05):
                return
            yield b" "
        yield PAGE

    def app(request: Request) -> Reply:
        if request.route == "/v2/":
            return json_reply(200, {})
        return Reply(200, {"Content-Type": "application/json"}, body())

    return app


def pool() -> Pool:
    return Pool(retry=RetryPolicy(1), deadline=0.5)


def test_a_trickling_catalog_page_ends_at_the_deadline(fake_server: Any) -> None:
    box: list[FakeServer] = []
    box.append(fake_server(trickling(box)))
    registry = Registry(box[0].host, scheme="http", pool=pool(), label="source r")
    with pytest.raises(BadAnswer, match=r"source r: no whole answer to GET /v2/_catalog within"):
        DistributionLister(registry).repositories("")


def test_a_trickling_docker_hub_page_ends_at_the_deadline(fake_server: Any) -> None:
    box: list[FakeServer] = []
    box.append(fake_server(trickling(box)))
    api = HubApi(box[0].url, pool=pool())
    with pytest.raises(BadAnswer, match=rf"Docker Hub API {box[0].host}: no whole answer"):
        api.repositories("team")
