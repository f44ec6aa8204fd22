"""Follow nextToken to the end, always asking for the largest page ECR allows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MAX_PAGE = 1000
MAX_BATCH_IDS = 100


def paginate(client: Any, operation: str, result_key: str, **params: Any) -> Iterator[Any]:
    paginator = client.get_paginator(operation)
    for page in paginator.paginate(**params, PaginationConfig={"PageSize": MAX_PAGE}):
        yield from page.get(result_key, [])


def chunked(items: list[Any], size: int = MAX_BATCH_IDS) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
