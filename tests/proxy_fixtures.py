"""The ``ecr_proxy`` fixture: a faithful ECR (tests/ecrproxy.py) in front of the moto server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.ecrproxy import EcrProxy


@pytest.fixture
def ecr_proxy(moto_server: str, server_env: dict[str, str]) -> Iterator[Callable[..., EcrProxy]]:
    """Start proxies on the freshly reset moto server: ``proxy = ecr_proxy(fault_rate=0.1)``.

    Point a subprocess at it with ``run_ecrctl(..., env={"AWS_ENDPOINT_URL": proxy.url})``.
    Every proxy started is stopped when the test ends.
    """
    started: list[EcrProxy] = []

    def start(**options: Any) -> EcrProxy:
        proxy = EcrProxy(moto_server, **options).start()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()
