"""The copy: blobs first (in parallel, streamed, mounted where they can be), manifests children
first and the index last, all by digest, and the destination tag written last of all: an
interrupted copy never leaves a tag on a half-copied image, and a re-run moves only the rest."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ecrctl.core.copy.plan import (
    BlobItem,
    Plan,
    inspect_destination,
    mark_present,
    read_top,
    read_tree,
)
from ecrctl.core.distribution.blobput import BlobPut
from ecrctl.core.distribution.client import Denied, RegistryError
from ecrctl.core.distribution.resume import UploadStates
from ecrctl.core.distribution.store import ImageStore
from ecrctl.core.exceptions import BadAnswer, InvalidInput, Refused
from ecrctl.core.names import Reference
from ecrctl.core.sizes import human_size

DEFAULT_WORKERS = 4


class CopyFailed(Refused):
    """The copy stopped part-way (exit 1); the message names what was copied and what was not."""


@dataclass
class Progress:
    """Callbacks for the person watching; all optional, called from worker threads."""

    on_bytes: Callable[[int], None] = lambda n: None
    on_blob: Callable[[BlobItem], None] = lambda blob: None


@dataclass
class CopyResult:
    plan: Plan
    status: str  # copied | unchanged | dry-run
    digest: str
    bytes_moved: int = 0
    verified: str | None = None  # the digest the destination names after the copy
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "source": str(plan.source),
            "destination": str(plan.destination),
            "digest": self.digest,
            "mediaType": plan.top.media_type,
            "tag": plan.destination.tag,
            "tagStatus": plan.tag_status,
            "previousDigest": plan.previous,
            "status": self.status,
            "dryRun": self.dry_run,
            "bytesMoved": self.bytes_moved,
            "bytesToMove": plan.bytes_to_move() if self.dry_run else self.bytes_moved,
            "verifiedDigest": self.verified,
            "manifests": [m.to_json() for m in plan.manifests],
            "blobs": [b.to_json() for b in plan.blobs.values()],
        }


class Copier:
    def __init__(
        self,
        source: ImageStore,
        destination: ImageStore,
        *,
        workers: int = DEFAULT_WORKERS,
        chunk_size: int | None = None,
        progress: Progress | None = None,
        states: UploadStates | None = None,
    ) -> None:
        """``states``: where unfinished chunked uploads are written down, to be resumed by a
        re-run (none: every upload starts at byte 0)."""
        self.source, self.destination = source, destination
        self.workers = workers
        self.chunk_size = chunk_size
        self.states = states
        self.progress = progress or Progress()
        self._moved = 0
        self._lock = threading.Lock()

    def plan(
        self,
        src: Reference,
        dst: Reference,
        *,
        platform: str | None = None,
        referrers: bool = False,
        inspect: bool = True,
        held: Callable[[], str | None] | None = None,
    ) -> Plan:
        """What the copy moves. First the source tree, and whether the destination already
        names its top manifest: then the plan is complete (one manifest request on each side,
        nothing about blobs). Otherwise, with ``inspect``, what the destination holds
        (:meth:`inspect`, which a caller may also run itself after checks of its own).
        ``held()``: what DST's tag names, when the caller asked already (sync's HEAD)."""
        self.source.grant(src.repository, "pull")
        same = self.source.host == self.destination.host
        if same:  # one token for both repositories: the mount needs pull on the source
            self.destination.grant(src.repository, "pull")
        self.destination.grant(dst.repository, "pull", "push")
        top, role, platform_name = read_top(self.source, src, platform)
        held_now = (
            held()
            if held is not None
            else self.destination.head_manifest(dst.repository, dst.tag or dst.identifier)
        )
        manifests, blobs = read_tree(
            self.source, src.repository, top, role, platform_name, referrers=referrers
        )
        plan = Plan(src, dst, top, manifests, blobs, same_registry=same, mounts=same)
        if dst.tag:
            plan.previous = held_now
        if held_now == top.digest and not referrers:  # referrers may have been added since
            mark_present(plan)
        elif inspect:
            self.inspect(plan)
        return plan

    def inspect(self, plan: Plan) -> None:
        """Which blobs and manifests the destination holds, and which blobs it can mount."""
        inspect_destination(plan, self.destination, workers=self.workers)

    def execute(
        self,
        plan: Plan,
        *,
        refuse_move: str | None = None,
        before_manifests: Callable[[Plan], None] | None = None,
    ) -> CopyResult:
        """Copy what the plan says; ``refuse_move`` (why) refuses to move an existing tag;
        ``before_manifests(plan)`` runs once the blobs are in, before the first manifest (ecrctl
        sync waits there for layers another image is sending)."""
        if plan.tag_status == "move" and refuse_move:
            raise Refused(
                f"{plan.destination}: the tag already names {plan.previous}, not "
                f"{plan.top.digest}, and {refuse_move}; nothing changed"
            )
        held = all(m.status == "present" for m in plan.manifests)
        if held and plan.tag_status in ("unchanged", "none"):
            return CopyResult(plan, "unchanged", plan.top.digest, verified=plan.top.digest)
        self._blobs(plan)
        if before_manifests is not None:
            before_manifests(plan)
        self._manifests(plan)
        repo = plan.destination.repository
        verified = self.destination.head_manifest(repo, plan.destination.identifier)
        if verified != plan.top.digest:
            raise Refused(
                f"{plan.destination} names {verified} after the copy, not {plan.top.digest}"
            )
        return CopyResult(plan, "copied", plan.top.digest, self._moved, verified)

    def _count(self, size: int) -> None:
        with self._lock:
            self._moved += size
        self.progress.on_bytes(size)

    def _blob(self, plan: Plan, blob: BlobItem) -> None:
        src_repo, dst_repo = plan.source.repository, plan.destination.repository
        if blob.status == "present":
            if self.states is not None:  # finished by a run killed before it cleaned up
                self.states.forget(self.destination.host, dst_repo, blob.digest)
            return
        if blob.status == "mount" and self.destination.mount_blob(dst_repo, blob.digest, src_repo):
            blob.status = "mounted"
        else:
            blob.resumed_from = self.destination.upload_blob(
                BlobPut(
                    dst_repo,
                    blob.digest,
                    blob.size,
                    lambda offset: self.source.open_blob(src_repo, blob.digest, offset),
                    self._count,
                    chunk_size=self.chunk_size,
                    states=self.states,
                )
            )
            blob.status = "copied"
        self.progress.on_blob(blob)

    def _blobs(self, plan: Plan) -> None:
        # Largest first: the long transfers start at once and the small ones fill in around them.
        from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

        pending = sorted(plan.blobs.values(), key=lambda b: -b.size)
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            futures = [pool.submit(self._blob, plan, blob) for blob in pending]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failures = [e for e in (f.exception() for f in done) if e is not None]
            if failures:
                for future in futures:
                    future.cancel()
                wait(futures)
        if failures:
            if isinstance(failures[0], Denied | KeyboardInterrupt | InvalidInput):  # bad file
                raise failures[0]
            raise CopyFailed(self._interrupted(plan, failures[0]))

    def _manifests(self, plan: Plan) -> None:
        repo = plan.destination.repository
        try:
            for item in plan.manifests:
                if item.status != "present":
                    pushed = self.destination.put_manifest(repo, item.reference, item.manifest)
                    if pushed != item.digest:
                        raise Refused(
                            f"{self.destination.label} stored manifest {item.digest} as {pushed}"
                        )
                    item.status = "copied"
            if plan.destination.tag and plan.tag_status != "unchanged":
                self.destination.put_manifest(repo, plan.destination.tag, plan.top)
        except Denied:
            raise
        except (RegistryError, BadAnswer) as error:
            raise CopyFailed(self._interrupted(plan, error)) from None

    def _interrupted(self, plan: Plan, error: BaseException) -> str:
        blobs = list(plan.blobs.values())
        done = [b for b in blobs if b.status in ("copied", "mounted", "present")]
        left = [b for b in blobs if b not in done]
        manifests = [m for m in plan.manifests if m.status in ("copied", "present")]
        missing = ", ".join(f"{b.digest[:19]} ({human_size(b.size)})" for b in left[:5])
        more = f" and {len(left) - 5} more" if len(left) > 5 else ""
        tag = f"tag {plan.destination.tag} not written" if plan.destination.tag else "no tag"
        return (
            f"copy to {plan.destination} interrupted: {error}; done: {len(done)} of "
            f"{len(blobs)} blobs ({human_size(self._moved)} moved), {len(manifests)} of "
            f"{len(plan.manifests)} manifests; not copied: {missing or 'none'}{more}; {tag}; "
            "run the same command again to copy the rest"
        )
