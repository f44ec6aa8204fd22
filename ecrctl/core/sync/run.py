"""The sync use case: list the source, pair each selected tag with its destination, make sure
an ECR destination's repositories exist, then sync the images, several at a time, and sum up.

The command builds both ends (registry clients, the ECR API where a side is ECR, the lister)
and renders the result; this module decides nothing about exit codes: a failed image is a row,
and ``SyncResult.failed`` says whether any was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from ecrctl.core.distribution.client import Registry
from ecrctl.core.distribution.transport import registry_errors
from ecrctl.core.exceptions import NotFound
from ecrctl.core.names import validate_repository_name
from ecrctl.core.sync import ecrdest
from ecrctl.core.sync.blobcache import BlobCache
from ecrctl.core.sync.image import (
    COPIED,
    FAILED,
    PENDING,
    PLANNED,
    UP_TO_DATE,
    ImageOptions,
    ImageSync,
    Row,
)
from ecrctl.core.sync.listing import Lister
from ecrctl.core.sync.plan import (
    Item,
    Repositories,
    Selection,
    check_apart,
    check_shapes,
    items_for,
)
from ecrctl.core.sync.ratelimit import PullGuard

if TYPE_CHECKING:
    from ecrctl.core.ecr.api import EcrRegistry

T = TypeVar("T")
R = TypeVar("R")
MAX_HEADS = 32  # listing and HEAD requests in flight (4 per worker)


@dataclass
class End:
    """One side of a sync, as the command built it."""

    registry: Registry
    repositories: Repositories
    where: str  # the registry as people name it, for messages
    ecr: EcrRegistry | None = None  # the ECR API of this registry (None: not ECR)
    lister: Lister | None = None  # the source's listing
    mountable: bool = True  # the destination mounts blobs across its repositories


@dataclass
class SyncRequest:
    source: End
    destination: End
    selection: Selection = field(default_factory=Selection)
    options: ImageOptions = field(default_factory=ImageOptions)
    create: bool = False
    template: ecrdest.Template | None = None
    workers: int = 4  # images at a time (each with options.blob_workers blobs at a time)


@dataclass
class Watcher:
    """The command's callbacks (called from worker threads)."""

    say: Callable[[str], None] = lambda message: None
    on_listed: Callable[[int, int], None] = lambda repositories, images: None
    on_image: Callable[[Row], None] = lambda row: None
    on_bytes: Callable[[int], None] = lambda count: None


@dataclass
class Summary:
    images: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    moved: int = 0
    mounted: int = 0
    mounted_bytes: int = 0
    present: int = 0
    deferred: int = 0
    seconds: float = 0.0
    limit_advice: str = ""  # how many images the pull limit left, and when to run again


@dataclass
class SyncResult:
    rows: list[Row]
    summary: Summary

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.rows if r.status == FAILED]


def each(workers: int, action: Callable[[T], R], items: list[T]) -> list[R]:
    """``action`` over ``items``, ``workers`` at a time, results in order. Interrupted (Ctrl-C),
    nothing new starts: what is under way ends (an image's tag is still written last)."""
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        return list(pool.map(action, items))
    finally:
        pool.shutdown(cancel_futures=True)


def _registry_errors(action: Callable[[], list[str]]) -> list[str]:
    with registry_errors():
        return action()


def list_items(request: SyncRequest, watcher: Watcher) -> list[Item]:
    """Every image to sync, in repository then natural version order; NotFound when SOURCE
    names nothing."""
    source, destination = request.source.repositories, request.destination.repositories
    check_shapes(source, destination)
    check_apart(source, destination)
    lister = request.source.lister
    assert lister is not None
    if source.prefix:
        found = _registry_errors(lambda: lister.repositories(source.path))
        if not found:
            raise NotFound(f"no repositories under {source} (in {request.source.where})")
    else:
        found = [source.path]
    chosen = [r for r in found if request.selection.repository(source.below(r), r)]

    def tags_of(repository: str) -> list[str]:
        try:
            return _registry_errors(lambda: lister.tags(repository))
        except NotFound:
            if source.prefix:
                return []  # listed, then removed: nothing to sync from it
            raise NotFound(f"repository {source} not found in {request.source.where}") from None

    tags = each(min(4 * request.workers, MAX_HEADS), tags_of, chosen)
    if not source.prefix and not tags[0]:
        raise NotFound(f"{source} has no tags (in {request.source.where})")
    items: list[Item] = []
    for repository, names in zip(chosen, tags, strict=True):
        items += items_for(source, destination, repository, request.selection.select_tags(names))
    watcher.on_listed(len(chosen), len(items))
    if not chosen:
        watcher.say(
            f"nothing to sync: no repository under {source} matches --repo ({len(found)} listed)"
        )
    elif not items:
        watcher.say(
            f"nothing to sync: no tag of {len(chosen)} of {len(found)} repositories under "
            f"{source} matches the filters"
        )
    return items


def run_sync(request: SyncRequest, watcher: Watcher | None = None) -> SyncResult:
    watcher = watcher or Watcher()
    started = time.monotonic()
    items = list_items(request, watcher)
    immutable: dict[str, bool] = {}
    dst = request.destination
    if dst.ecr is not None and items:
        wanted = {i.destination.repository: i.source.repository for i in items}
        for name in wanted:
            validate_repository_name(name)  # ECR's rule, before any call
        immutable = ecrdest.prepare(
            dst.ecr,
            wanted,
            create=request.create,
            template=request.template,
            source=request.source.ecr,
            dry_run=request.options.dry_run,
            say=watcher.say,
            where=dst.where,
        )
    guard = PullGuard(reserve=request.workers)
    request.source.registry.on_manifest = guard.observe
    images = ImageSync(
        request.source.registry,
        dst.registry,
        cache=BlobCache(mountable=dst.mountable),
        guard=guard,
        options=request.options,
        immutable=lambda repository: immutable.get(repository, False),
        on_bytes=watcher.on_bytes,
    )

    def decide(item: Item) -> Row:
        row = images.decide(item)
        if row.status != PENDING:
            watcher.on_image(row)
        return row

    def transfer(pair: tuple[Item, Row]) -> Row:
        row = images.transfer(*pair)
        watcher.on_image(row)
        return row

    # HEADs are small: many at a time; copies move blobs: ``workers`` at a time.
    rows = each(min(4 * request.workers, MAX_HEADS), decide, items)
    pending = [(i, r) for i, r in zip(items, rows, strict=True) if r.status == PENDING]
    each(request.workers, transfer, pending)
    summary = summarize(rows, time.monotonic() - started)
    if summary.deferred:
        summary.limit_advice = guard.advice(summary.deferred)
    return SyncResult(rows, summary)


def summarize(rows: list[Row], seconds: float) -> Summary:
    summary = Summary(images=len(rows), seconds=seconds)
    for status in (COPIED, UP_TO_DATE, PLANNED, FAILED):
        count = sum(r.status == status for r in rows)
        if count:
            summary.statuses[status] = count
    for row in rows:
        summary.moved += row.moved
        summary.mounted += row.mounted
        summary.mounted_bytes += row.mounted_bytes
        summary.present += row.present
        summary.deferred += row.deferred
    return summary
