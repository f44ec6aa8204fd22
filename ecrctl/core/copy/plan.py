"""What a copy moves: the source's manifests (children first, index last) and blobs, and what
the destination already holds or can mount. Reads only; nothing is written here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ecrctl.core.distribution.answers import Descriptor
from ecrctl.core.distribution.client import Manifest, fallback_tag
from ecrctl.core.distribution.platforms import resolve
from ecrctl.core.distribution.store import ImageStore
from ecrctl.core.exceptions import NotFound
from ecrctl.core.names import INDEX_MEDIA_TYPES, Reference


@dataclass
class BlobItem:
    digest: str
    size: int
    media_type: str
    status: str = "copy"  # copy | mount | present; after the copy: copied | mounted | present
    resumed_from: int = 0  # bytes an earlier run's upload session already held

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "digest": self.digest,
            "size": self.size,
            "mediaType": self.media_type,
            "status": self.status,
        }
        if self.resumed_from:
            doc["resumedFrom"] = self.resumed_from
        return doc


@dataclass
class ManifestItem:
    manifest: Manifest
    role: str  # index | image | platform | referrer | referrers-index
    platform: str = ""
    reference: str = ""  # what it is pushed as: its digest, or the fallback tag
    status: str = "copy"  # copy | present; after the copy: copied | present

    @property
    def digest(self) -> str:
        return self.manifest.digest

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "digest": self.digest,
            "mediaType": self.manifest.media_type,
            "size": len(self.manifest.data),
            "role": self.role,
            "status": self.status,
        }
        if self.platform:
            doc["platform"] = self.platform
        if self.reference != self.digest:
            doc["tag"] = self.reference
        return doc


@dataclass
class Plan:
    source: Reference
    destination: Reference
    top: Manifest
    manifests: list[ManifestItem] = field(default_factory=list)  # push order
    blobs: dict[str, BlobItem] = field(default_factory=dict)
    previous: str | None = None  # what the destination tag named before
    same_registry: bool = False
    mounts: bool = False  # try cross-repository mounts (same registry, and it does them)
    complete: bool = False  # the destination already holds the whole image

    @property
    def tag_status(self) -> str:
        if not self.destination.tag:
            return "none"
        if self.previous is None:
            return "create"
        return "unchanged" if self.previous == self.top.digest else "move"

    def bytes_to_move(self) -> int:
        return sum(b.size for b in self.blobs.values() if b.status == "copy")


def platform_of(descriptor: Descriptor) -> str:
    return descriptor.platform or "?/?"


class Walker:
    """Reads the source tree once: manifests in push order, the blobs they name."""

    def __init__(self, registry: ImageStore, repository: str, *, referrers: bool) -> None:
        self.registry, self.repository, self.referrers = registry, repository, referrers
        self.manifests: list[ManifestItem] = []
        self.blobs: dict[str, BlobItem] = {}
        self._seen: set[str] = set()

    def visit(self, manifest: Manifest, role: str, platform: str = "") -> None:
        if manifest.digest in self._seen:
            return
        self._seen.add(manifest.digest)
        for child in manifest.children:  # checked when read (answers.manifest_parts)
            fetched = self.registry.get_manifest(self.repository, child.digest)
            self.visit(fetched, "platform", platform_of(child))
        for blob in manifest.blobs:
            self.blobs.setdefault(blob.digest, BlobItem(blob.digest, blob.size, blob.media_type))
        self.manifests.append(ManifestItem(manifest, role, platform, manifest.digest))
        if self.referrers:
            self._referrers(manifest.digest)

    def _referrers(self, subject: str) -> None:
        descriptors, fallback = self.registry.referrers(self.repository, subject)
        for descriptor in descriptors:
            fetched = self.registry.get_manifest(self.repository, descriptor.digest)
            self.visit(fetched, "referrer")
        if fallback is not None and descriptors:
            self.manifests.append(
                ManifestItem(fallback, "referrers-index", reference=fallback_tag(subject))
            )


def read_top(
    registry: ImageStore, source: Reference, platform: str | None = None
) -> tuple[Manifest, str, str]:
    """The manifest the copy is about: (manifest, role, platform); one GET, and with --platform
    one more: an index's child, or a single image's config (it must name that platform)."""
    from ecrctl.core.distribution.client import Missing

    try:
        top = registry.get_manifest(source.repository, source.identifier)
    except Missing:
        raise NotFound(f"source {source} not found (on {registry.label})") from None
    if not platform:
        return top, "index" if top.media_type in INDEX_MEDIA_TYPES else "image", ""
    found = resolve(registry, source.repository, top, platform, f"source {source}")
    return found.manifest, "image", found.platform if found.index is not None else ""


def read_tree(
    registry: ImageStore,
    repository: str,
    top: Manifest,
    role: str,
    platform: str = "",
    *,
    referrers: bool = False,
) -> tuple[list[ManifestItem], dict[str, BlobItem]]:
    """Everything under ``top``: its children (GET each), their blobs, referrers if asked."""
    walker = Walker(registry, repository, referrers=referrers)
    walker.visit(top, role, platform)
    return walker.manifests, walker.blobs


def mark_present(plan: Plan) -> None:
    """The destination already names the top manifest: a registry accepts a manifest only once
    every blob and child it names is there, so nothing under it needs a look."""
    for blob in plan.blobs.values():
        blob.status = "present"
    for item in plan.manifests:
        item.status = "present"
    plan.complete = True


def inspect_destination(
    plan: Plan,
    registry: ImageStore,
    *,
    workers: int,
    head: Callable[[str], bool] | None = None,
) -> None:
    """Mark what the destination holds (present) and what it can mount from the source repo."""
    from concurrent.futures import ThreadPoolExecutor

    repo = plan.destination.repository
    head = head or (lambda digest: registry.head_blob(repo, digest))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        blob_states = list(pool.map(head, list(plan.blobs)))
        manifest_states = list(
            pool.map(
                lambda item: registry.head_manifest(repo, item.reference) == item.digest,
                plan.manifests,
            )
        )
    for blob, present in zip(list(plan.blobs.values()), blob_states, strict=True):
        if present:
            blob.status = "present"
        elif plan.mounts and plan.source.repository != repo:
            blob.status = "mount"
    for item, present in zip(plan.manifests, manifest_states, strict=True):
        if present:
            item.status = "present"
    if plan.destination.tag and plan.previous is None:
        plan.previous = registry.head_manifest(repo, plan.destination.tag)
