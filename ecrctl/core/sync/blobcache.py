"""Where each blob already is in one destination registry, so that a layer shared by many
images crosses the wire once per registry (as containers/image's blob-info cache does): the
first image that needs a blob uploads it, the others wait for that upload and then mount the
blob from the repository it went to, or find it already in their own.

An image sends the blobs it claimed first and waits for the others' only then, before its
manifests go up: an upload never waits for anything, so waits never form a circle. An image
whose awaited upload failed sends the blob itself (it never waits twice). Known for this run
only: a blob that the cache names as present was seen (HEAD) or put during this run."""

from __future__ import annotations

import threading
from collections.abc import Iterable


class BlobCache:
    """Digest -> repositories of the destination registry that hold it, and uploads under way.

    ``mountable``: the registry mounts across repositories (distribution registries always; ECR
    where BLOB_MOUNTING is enabled). Without mounts a blob is only shared within a repository.
    """

    def __init__(self, *, mountable: bool) -> None:
        self.mountable = mountable
        self._where: dict[str, list[str]] = {}
        # Uploads under way: key -> (ended, the repository it goes to).
        self._sending: dict[tuple[str, str], tuple[threading.Event, str]] = {}
        # Mounts under way, by (digest, repository): one at a time, for docker-registry's
        # filesystem storage rewrites a blob's link file in place (a second writer, or a reader
        # meanwhile, may find it empty).
        self._mounting: dict[tuple[str, str], threading.Event] = {}
        self._lock = threading.Lock()

    def _key(self, digest: str, repository: str) -> tuple[str, str]:
        return (digest, "" if self.mountable else repository)

    def add(self, digest: str, repository: str) -> None:
        """The blob is in ``repository`` now; anyone waiting for it there goes on."""
        with self._lock:
            places = self._where.setdefault(digest, [])
            if repository not in places:
                places.append(repository)
            sent = self._sending.pop(self._key(digest, repository), None)
            mounted = self._mounting.pop((digest, repository), None)
        for event in (sent[0] if sent else None, mounted):
            if event is not None:
                event.set()

    def present(self, digest: str, repository: str) -> bool:
        with self._lock:
            return repository in self._where.get(digest, ())

    def placing(self, digest: str, repository: str) -> threading.Event | None:
        """The event of an upload or mount of the blob into ``repository`` under way."""
        with self._lock:
            sending = self._sending.get(self._key(digest, repository))
            if sending is not None and sending[1] == repository:
                return sending[0]
            return self._mounting.get((digest, repository))

    def mount_source(self, digest: str, repository: str) -> str | None:
        """A repository of this registry to mount the blob from into ``repository``."""
        if not self.mountable:
            return None
        with self._lock:
            places = [r for r in self._where.get(digest, ()) if r != repository]
        return places[0] if places else None

    def begin_mount(self, digest: str, repository: str) -> threading.Event | None:
        """None: the caller mounts the blob into ``repository`` (then :meth:`add` or
        :meth:`end_mount`); else the event of the mount another image is making."""
        with self._lock:
            key = (digest, repository)
            if key in self._mounting:
                return self._mounting[key]
            self._mounting[key] = threading.Event()
            return None

    def end_mount(self, digest: str, repository: str) -> None:
        with self._lock:
            event = self._mounting.pop((digest, repository), None)
        if event is not None:
            event.set()

    def claim(
        self, repository: str, digests: Iterable[str]
    ) -> tuple[list[str], dict[str, threading.Event]]:
        """Of the blobs an image must send to ``repository``: those nobody holds or sends are
        claimed by it (send them, then :meth:`add` or :meth:`release`), and for those another
        image is sending, the event that says that upload ended (by digest)."""
        mine: list[str] = []
        waits: dict[str, threading.Event] = {}
        with self._lock:
            for digest in dict.fromkeys(digests):
                places = self._where.get(digest, ())
                if repository in places or (self.mountable and places):
                    continue
                key = self._key(digest, repository)
                sending = self._sending.get(key)
                if sending is None:
                    self._sending[key] = (threading.Event(), repository)
                    mine.append(digest)
                else:
                    waits[digest] = sending[0]
        return mine, waits

    def release(self, repository: str, digests: Iterable[str]) -> None:
        """Uploads claimed but not finished (failed): whoever waits for them goes on."""
        with self._lock:
            ended = [self._sending.pop(self._key(d, repository), None) for d in digests]
        for sending in ended:
            if sending is not None:
                sending[0].set()
