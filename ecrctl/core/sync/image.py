"""One image of a sync: decided by digest first, then copied as ``ecrctl copy`` copies.

A HEAD on each side: a destination tag that already names the source digest is up to date and
costs nothing more. Otherwise the copy's own plan and execution (core/copy: children before the
index, the tag last, the digest read back), with the blobs looked up in the run's blob cache:
present in the repository, mounted from another repository of the destination registry, or
sent once while other images wait for it. Tags naming the same image share one copy: the
others only put the tag (no more pulls from a rate-limited source).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ecrctl.core.copy.copy import Copier, Progress
from ecrctl.core.copy.plan import BlobItem, Plan
from ecrctl.core.distribution.blobput import BlobPut
from ecrctl.core.distribution.client import Denied, Manifest, Missing, Registry, RegistryError
from ecrctl.core.distribution.platforms import PlatformMismatch
from ecrctl.core.distribution.resume import UploadStates
from ecrctl.core.exceptions import ConfigurationError, EcrctlError, Refused
from ecrctl.core.names import Reference
from ecrctl.core.sync.blobcache import BlobCache
from ecrctl.core.sync.plan import Item, display
from ecrctl.core.sync.ratelimit import PullGuard, is_rate_limited

COPIED, UP_TO_DATE, PLANNED, FAILED = "copied", "up-to-date", "planned", "failed"
PENDING = "pending"  # decided: a copy is needed (never in a result)


@dataclass
class Row:
    source: Reference
    destination: Reference
    digest: str | None = None
    status: str = FAILED
    error: str = ""
    deferred: bool = False  # not started: the source's pull limit was near
    moved: int = 0  # bytes uploaded
    mounted: int = 0  # blobs mounted from another repository
    mounted_bytes: int = 0
    present: int = 0  # blobs the destination already held
    previous: str | None = None  # what the destination tag named before
    sent_late: int = 0  # blobs another image was to send, sent by this one after all
    denied: bool = False  # failed for credentials or permission (HTTP 401/403)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": display(self.source),
            "destination": display(self.destination),
            "digest": self.digest,
            "status": self.status,
        }


@dataclass
class ImageOptions:
    platform: str | None = None
    referrers: bool = False
    dry_run: bool = False
    blob_workers: int = 4
    states: UploadStates | None = None


@dataclass
class _Shared:
    """The first copy of an image; the other tags naming it wait for its top manifest."""

    ended: threading.Event = field(default_factory=threading.Event)
    top: Manifest | None = None


class ImageSync:
    """Syncs single images between two registries; thread-safe (one per run)."""

    def __init__(
        self,
        source: Registry,
        destination: Registry,
        *,
        cache: BlobCache,
        guard: PullGuard,
        options: ImageOptions,
        immutable: Callable[[str], bool] = lambda repository: False,
        on_bytes: Callable[[int], None] = lambda n: None,
    ) -> None:
        self.source, self.destination = source, destination
        self.cache, self.guard, self.options = cache, guard, options
        self.immutable = immutable
        self.on_bytes = on_bytes
        self._shared: dict[tuple[str, str, str], _Shared] = {}
        self._lock = threading.Lock()

    def run(self, item: Item) -> Row:
        """Decide and, when needed, copy one image."""
        row = self.decide(item)
        return self.transfer(item, row) if row.status == PENDING else row

    def decide(self, item: Item) -> Row:
        """A HEAD on each side: ``up-to-date``, ``planned`` (dry run), ``failed``, or PENDING
        (a copy is needed: :meth:`transfer`). A failure is the row's status, never raised."""
        row = Row(item.source, item.destination)
        with self._failures(row):
            src, dst = item.source, item.destination
            digest = self.source.head_manifest(src.repository, src.identifier)
            if digest is None:
                raise Missing(f"{display(src)} not found (the tag is gone)")
            row.digest = digest
            row.previous = self.destination.head_manifest(dst.repository, dst.identifier)
            exact = not self.options.platform and not self.options.referrers
            if row.previous == digest and not self.options.referrers:
                # With --platform too: DEST names the source's own digest only when the source
                # is a single image, which is then copied as it is.
                row.status = UP_TO_DATE
            elif exact and row.previous is not None and self.immutable(dst.repository):
                raise Refused(
                    f"{display(dst)} names {row.previous}, not {digest}, and the destination "
                    "repository is immutable: the tag is not moved"
                )
            else:
                row.status = PLANNED if self.options.dry_run else PENDING
        return row

    def transfer(self, item: Item, row: Row) -> Row:
        """Copy one image that :meth:`decide` found missing or different."""
        with self._failures(row):
            self._transfer(item, row)
        return row

    @contextmanager
    def _failures(self, row: Row) -> Iterator[None]:
        try:
            yield
        except (RegistryError, EcrctlError) as error:
            if is_rate_limited(error):
                self.guard.exhausted()
                row.deferred = True
            row.denied = isinstance(error, Denied | ConfigurationError)
            row.status = FAILED
            row.error = " ".join(str(error).split()) or type(error).__name__

    def _transfer(self, item: Item, row: Row) -> None:
        src, dst = item.source, item.destination
        assert row.digest is not None
        shared, first = self._image((src.repository, dst.repository, row.digest))
        if not first:  # another tag of an image being copied: wait, then only put the tag
            shared.ended.wait()
            if shared.top is not None:
                self._tag_only(dst, shared.top, row.previous, row)
                return
        try:
            if self.guard.near:
                row.status, row.deferred = FAILED, True
                row.error = "not started: the source's pull limit is reached"
                return
            top = self._copy(item, row)
            if first:
                shared.top = top
        finally:
            if first:
                shared.ended.set()

    def _image(self, key: tuple[str, str, str]) -> tuple[_Shared, bool]:
        """The run's record of one source image into one repository; whether it is new."""
        with self._lock:
            shared = self._shared.get(key)
            if shared is not None:
                return shared, False
            shared = self._shared[key] = _Shared()
            return shared, True

    def _tag_only(self, dst: Reference, top: Manifest, held: str | None, row: Row) -> None:
        """Another tag of an image this run copied already: put the tag, read it back."""
        row.digest = top.digest
        if held == top.digest:
            row.status = UP_TO_DATE
            return
        repository, tag = dst.repository, dst.identifier
        self.destination.put_manifest(repository, tag, top)
        verified = self.destination.head_manifest(repository, tag)
        if verified != top.digest:
            raise Refused(f"{display(dst)} names {verified} after the copy, not {top.digest}")
        row.status = COPIED

    def _copy(self, item: Item, row: Row) -> Manifest:
        repository = item.destination.repository
        copier = Copier(
            self.source,
            self.destination,
            workers=self.options.blob_workers,
            states=self.options.states,
            progress=Progress(
                on_bytes=self.on_bytes, on_blob=lambda blob: self.cache.add(blob.digest, repository)
            ),
        )
        plan = self._plan(copier, item, lambda: row.previous)
        row.digest = plan.top.digest
        if plan.complete:
            row.status = UP_TO_DATE
            return plan.top
        plan.mounts = False  # mounts are decided here, from the cache, not from the source repo
        self._inspect(plan)
        mine, awaited = self._place_blobs(plan, row)
        try:
            refuse = (
                "the destination repository is immutable" if self.immutable(repository) else None
            )
            result = copier.execute(
                plan,
                refuse_move=refuse,
                before_manifests=lambda plan: self._receive(plan, row, awaited),
            )
        finally:
            self.cache.release(repository, mine)
        row.status = UP_TO_DATE if result.status == "unchanged" else COPIED
        row.moved += result.bytes_moved
        present = sum(b.status == "present" for b in plan.blobs.values())
        row.present = present - row.mounted - row.sent_late
        return plan.top

    def _plan(self, copier: Copier, item: Item, held: Callable[[], str | None]) -> Plan:
        """The copy's plan (``held``: what the tag named when decided); with --platform, a
        single image of another platform (no index) is copied as it is, as mirrors want."""
        platform, referrers = self.options.platform, self.options.referrers
        try:
            return copier.plan(
                item.source,
                item.destination,
                platform=platform,
                referrers=referrers,
                inspect=False,
                held=held,
            )
        except PlatformMismatch:
            pass
        return copier.plan(
            item.source, item.destination, referrers=referrers, inspect=False, held=held
        )

    def _inspect(self, plan: Plan) -> None:
        """What the destination holds: blobs (the cache first, else a HEAD) and the manifests
        below the top. The top manifest goes up once, by the tag, last: the copy's put by
        digest first would be a second write of the same bytes (the tag was HEADed already)."""
        repository = plan.destination.repository
        below = list(plan.manifests)
        if plan.destination.tag and not self.options.referrers:
            top = next(m for m in plan.manifests if m.digest == plan.top.digest)
            top.status = "present"  # put by the tag, as the last write
            below.remove(top)
        blobs = list(plan.blobs.values())
        with ThreadPoolExecutor(max_workers=self.options.blob_workers) as pool:
            held = list(pool.map(lambda b: self._head(repository, b.digest), blobs))
            found = list(
                pool.map(
                    lambda m: self.destination.head_manifest(repository, m.reference) == m.digest,
                    below,
                )
            )
        for blob, present in zip(blobs, held, strict=True):
            blob.status = "present" if present else "copy"
        for item, present in zip(below, found, strict=True):
            item.status = "present" if present else "copy"

    def _head(self, repository: str, digest: str) -> bool:
        placing = self.cache.placing(digest, repository)
        if placing is not None:  # another image is putting it there: wait rather than ask
            placing.wait()
        if self.cache.present(digest, repository):
            return True
        if self.destination.head_blob(repository, digest):
            self.cache.add(digest, repository)
            return True
        return False

    def _place_blobs(
        self, plan: Plan, row: Row
    ) -> tuple[list[str], list[tuple[BlobItem, threading.Event]]]:
        """Blobs to send: found in the repository by now, mounted, claimed to be sent by this
        image (returned first: release them when the copy ends), or being sent by another
        image (returned second: marked present, so the copy skips them, and received by
        :meth:`_receive` before the manifests go up)."""
        repository = plan.destination.repository
        needed = [b for b in plan.blobs.values() if b.status == "copy"]
        within = plan.same_registry and self.cache.mountable
        mine: list[str] = []
        waits: dict[str, threading.Event] = {}
        if not within:
            mine, waits = self.cache.claim(repository, [b.digest for b in needed])
        awaited: list[tuple[BlobItem, threading.Event]] = []
        mounts: list[tuple[BlobItem, str]] = []
        for blob in needed:
            if blob.digest in waits:
                blob.status = "present"
                awaited.append((blob, waits[blob.digest]))
                continue
            if blob.digest in mine:
                continue
            if self.cache.present(blob.digest, repository):
                blob.status = "present"
                continue
            origin = (
                plan.source.repository
                if within
                else self.cache.mount_source(blob.digest, repository)
            )
            if origin:
                mounts.append((blob, origin))
        if mounts:
            with ThreadPoolExecutor(max_workers=self.options.blob_workers) as pool:
                list(pool.map(lambda m: self._mount(repository, *m, row=row), mounts))
        return mine, awaited

    def _receive(
        self, plan: Plan, row: Row, awaited: list[tuple[BlobItem, threading.Event]]
    ) -> None:
        """Blobs other images were sending: wait for them, then mount them (or find them
        here); one whose upload failed is sent now."""
        repository = plan.destination.repository
        for blob, sent in awaited:
            sent.wait()
            if self.cache.present(blob.digest, repository):
                continue
            origin = self.cache.mount_source(blob.digest, repository)
            if origin and self._mount(repository, blob, origin, row=row):
                continue
            self._send(plan.source.repository, repository, blob)
            row.moved += blob.size
            row.sent_late += 1

    def _send(self, source: str, repository: str, blob: BlobItem) -> None:
        self.destination.upload_blob(
            BlobPut(
                repository,
                blob.digest,
                blob.size,
                lambda offset: self.source.open_blob(source, blob.digest, offset),
                self.on_bytes,
                states=self.options.states,
            )
        )
        self.cache.add(blob.digest, repository)

    def _mount(self, repository: str, blob: BlobItem, origin: str, *, row: Row) -> bool:
        other = self.cache.begin_mount(blob.digest, repository)
        if other is not None:  # another image is mounting it into this repository
            other.wait()
            present = self.cache.present(blob.digest, repository)
            blob.status = "present" if present else "copy"
            return present
        if self.cache.present(blob.digest, repository):  # mounted by another image just now
            self.cache.end_mount(blob.digest, repository)
            blob.status = "present"
            return True
        try:
            self.destination.grant(origin, "pull")
            mounted = self.destination.mount_blob(repository, blob.digest, origin)
            if mounted:
                self.cache.add(blob.digest, repository)  # waiters find it there
        finally:
            self.cache.end_mount(blob.digest, repository)
        if not mounted:
            blob.status = "copy"  # the registry opened an upload instead: the copy sends it
            return False
        blob.status = "present"
        with self._lock:
            row.mounted += 1
            row.mounted_bytes += blob.size
        return True
