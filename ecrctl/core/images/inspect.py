"""What an image is, read from any store (a registry, an OCI layout, a docker archive): its
manifest digest (``ecrctl digest``: one HEAD where the registry allows) and the manifest
resolved (``ecrctl inspect``): platforms of an index, the image config, layers, referrers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from ecrctl.core.distribution.client import Manifest, Missing
from ecrctl.core.distribution.platforms import check_platform as check_platform
from ecrctl.core.distribution.platforms import read_config, resolve
from ecrctl.core.distribution.store import ImageStore
from ecrctl.core.distribution.transport import registry_errors as registry_errors
from ecrctl.core.exceptions import NotFound
from ecrctl.core.names import INDEX_MEDIA_TYPES, Reference


def with_latest(ref: Reference) -> Reference:
    """A reference without a tag or digest means ``:latest``, as in docker."""
    return ref if ref.tag or ref.digest else replace(ref, tag="latest")


def platform_of(descriptor: dict[str, Any]) -> str:
    """``os/architecture[/variant]`` of an index entry as JSON (``?/?`` when it names none)."""
    found = descriptor.get("platform")
    value: dict[str, Any] = found if isinstance(found, dict) else {}
    parts = [value.get("os"), value.get("architecture"), value.get("variant")]
    return "/".join(str(p) for p in parts if p) or "?/?"


def _top(store: ImageStore, ref: Reference) -> Manifest:
    try:
        return store.get_manifest(ref.repository, ref.identifier)
    except Missing as error:  # the registry says which: the repository, or the manifest
        what = f"repository {ref.repository}" if error.code == "NAME_UNKNOWN" else str(ref)
        raise NotFound(f"{what} not found (on {store.label})") from None


def digest_of(store: ImageStore, ref: Reference, platform: str | None = None) -> str:
    """The manifest digest: an index's own, or with ``platform`` its child's (a single image's
    own when its config names that platform)."""
    check_platform(platform)
    store.grant(ref.repository, "pull")
    with registry_errors():
        if not platform:
            found = store.head_manifest(ref.repository, ref.identifier)
            # Missing: the store says what is (a layout lacking the tag is exit 2, naming
            # its tags, as for inspect and copy); a registry's GET is a 404 too: NotFound.
            return found or _top(store, ref).digest
        return resolve(store, ref.repository, _top(store, ref), platform, str(ref)).manifest.digest


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
        index, config = None, None
        if platform:
            found = resolve(store, ref.repository, top, platform, str(ref))
            top, index, platform, config = found.manifest, found.index, found.platform, found.config
        result = ImageInspection(str(ref), top, index, platform)
        if not result.is_index:
            result.config = config or read_config(store, ref.repository, top)
        if referrers:
            result.referrers = _referrers(store, ref, top.digest)
    return result
