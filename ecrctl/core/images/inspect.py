"""What an image is, read from any store (a registry, an OCI layout, a docker archive): its
manifest digest (``ecrctl digest``: one HEAD where the registry allows) and the manifest
resolved (``ecrctl inspect``): platforms of an index, the image config, layers, referrers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from ecrctl.core.distribution.client import Manifest, Missing
from ecrctl.core.distribution.localblobs import MAX_DOCUMENT_BYTES, sha256
from ecrctl.core.distribution.store import ImageStore
from ecrctl.core.distribution.transport import registry_errors as registry_errors
from ecrctl.core.exceptions import InvalidInput, NotFound, Refused
from ecrctl.core.names import INDEX_MEDIA_TYPES, Reference


def with_latest(ref: Reference) -> Reference:
    """A reference without a tag or digest means ``:latest``, as in docker."""
    return ref if ref.tag or ref.digest else replace(ref, tag="latest")


def check_platform(platform: str | None) -> None:
    if platform and platform.count("/") not in (1, 2):
        raise InvalidInput(f"invalid --platform {platform!r}: expected OS/ARCH[/VARIANT]")


def platform_of(descriptor: dict[str, Any]) -> str:
    """``os/architecture[/variant]`` of an index entry as JSON (``?/?`` when it names none)."""
    found = descriptor.get("platform")
    value: dict[str, Any] = found if isinstance(found, dict) else {}
    parts = [value.get("os"), value.get("architecture"), value.get("variant")]
    return "/".join(str(p) for p in parts if p) or "?/?"


def child(index: Manifest, platform: str, ref: Reference) -> dict[str, Any]:
    """The index's descriptor for ``platform`` (``linux/arm64`` also matches its variants)."""
    children = [c for c in index.doc.get("manifests") or [] if isinstance(c, dict)]
    for descriptor in children:
        have = platform_of(descriptor)
        if have == platform or (platform.count("/") == 1 and have.rsplit("/", 1)[0] == platform):
            return descriptor
    offered = ", ".join(platform_of(c) for c in children) or "none"
    raise NotFound(f"{ref} has no {platform} image (it has: {offered})")


def _top(store: ImageStore, ref: Reference) -> Manifest:
    try:
        return store.get_manifest(ref.repository, ref.identifier)
    except Missing as error:  # the registry says which: the repository, or the manifest
        what = f"repository {ref.repository}" if error.code == "NAME_UNKNOWN" else str(ref)
        raise NotFound(f"{what} not found (on {store.label})") from None


def digest_of(store: ImageStore, ref: Reference, platform: str | None = None) -> str:
    """The manifest digest: an index's own, or with ``platform`` its child's."""
    check_platform(platform)
    store.grant(ref.repository, "pull")
    with registry_errors():
        if not platform:
            found = store.head_manifest(ref.repository, ref.identifier)
            # Missing: the store says what is (a layout lacking the tag is exit 2, naming
            # its tags, as for inspect and copy); a registry's GET is a 404 too: NotFound.
            return found or _top(store, ref).digest
        top = _top(store, ref)
        if top.media_type not in INDEX_MEDIA_TYPES:
            raise InvalidInput(f"--platform {platform}: {ref} is not a multi-platform index")
        return str(child(top, platform, ref)["digest"])


@dataclass
class ImageInspection:
    reference: str
    manifest: Manifest
    index: Manifest | None = None  # the index --platform chose the manifest from
    platform: str | None = None
    config: bytes | None = None
    referrers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_index(self) -> bool:
        return self.manifest.media_type in INDEX_MEDIA_TYPES

    def platforms(self) -> list[dict[str, Any]]:
        return [
            {"platform": platform_of(c), "digest": c.get("digest"), "size": c.get("size")}
            for c in (self.manifest.doc.get("manifests") or [] if self.is_index else [])
            if isinstance(c, dict)
        ]

    def layers(self) -> list[dict[str, Any]]:
        return [
            {"digest": x.get("digest"), "size": x.get("size"), "mediaType": x.get("mediaType")}
            for x in self.manifest.doc.get("layers") or []
            if isinstance(x, dict)
        ]

    def config_doc(self) -> dict[str, Any] | None:
        if self.config is None:
            return None
        found = json.loads(self.config)
        doc: dict[str, Any] = found if isinstance(found, dict) else {}
        found_settings = doc.get("config")
        settings: dict[str, Any] = found_settings if isinstance(found_settings, dict) else {}
        descriptor = self.manifest.doc.get("config") or {}
        return {
            "digest": descriptor.get("digest"),
            "created": doc.get("created"),
            "os": doc.get("os"),
            "architecture": doc.get("architecture"),
            "variant": doc.get("variant"),
            "entrypoint": settings.get("Entrypoint"),
            "cmd": settings.get("Cmd"),
            "env": settings.get("Env") or [],
            "user": settings.get("User") or None,
            "workingDir": settings.get("WorkingDir") or None,
            "labels": settings.get("Labels") or {},
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "digest": self.manifest.digest,
            "mediaType": self.manifest.media_type,
            "size": len(self.manifest.data),
            "index": self.index.digest if self.index else None,
            "platform": self.platform,
            "platforms": self.platforms(),
            "config": self.config_doc(),
            "layers": self.layers(),
            "referrers": self.referrers,
        }


def _config(store: ImageStore, ref: Reference, manifest: Manifest) -> bytes | None:
    descriptor = manifest.doc.get("config")
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("digest"), str):
        return None
    digest = str(descriptor["digest"])
    stream = store.open_blob(ref.repository, digest)
    try:
        data = bytes(stream.read(MAX_DOCUMENT_BYTES + 1, decode_content=True))
    finally:
        stream.release_conn()
    if len(data) > MAX_DOCUMENT_BYTES or sha256(data) != digest:
        raise Refused(f"{store.label}: the config blob {digest} is not what its digest says")
    try:
        json.loads(data)
    except ValueError:
        raise Refused(f"{store.label}: the config blob {digest} is not JSON") from None
    return data


def _referrers(store: ImageStore, ref: Reference, digest: str) -> list[dict[str, Any]]:
    found, _ = store.referrers(ref.repository, digest)
    return [
        {
            "digest": r.digest,
            "artifactType": r.artifact_type or None,
            "mediaType": r.media_type or None,
            "size": r.size,
            "annotations": dict(r.annotations),
        }
        for r in found
    ]


def inspect(
    store: ImageStore, ref: Reference, platform: str | None = None, *, referrers: bool = True
) -> ImageInspection:
    """The manifest (with ``platform``, the index's child for it), the image config, the
    layers and the referrers the store lists."""
    check_platform(platform)
    store.grant(ref.repository, "pull")
    with registry_errors():
        top = _top(store, ref)
        index = None
        if platform:
            if top.media_type not in INDEX_MEDIA_TYPES:
                raise InvalidInput(f"--platform {platform}: {ref} is not a multi-platform index")
            index, descriptor = top, child(top, platform, ref)
            top = store.get_manifest(ref.repository, str(descriptor["digest"]))
            platform = platform_of(descriptor)
        result = ImageInspection(str(ref), top, index, platform)
        if not result.is_index:
            result.config = _config(store, ref, top)
        if referrers:
            result.referrers = _referrers(store, ref, top.digest)
    return result
