"""``--platform OS/ARCH[/VARIANT]``, resolved the one way ``digest``, ``inspect``, ``copy`` and
``sync`` share: an index gives its child for the platform; a single image is itself when its
config's os/architecture(/variant) match (as ``docker pull --platform`` checks), else not found."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ecrctl.core.distribution.client import Manifest
from ecrctl.core.distribution.localblobs import MAX_DOCUMENT_BYTES, sha256
from ecrctl.core.distribution.store import ImageStore
from ecrctl.core.exceptions import InvalidInput, NotFound, Refused
from ecrctl.core.names import INDEX_MEDIA_TYPES


class PlatformMismatch(NotFound):
    """A single image (no index) whose config names another platform than the one asked."""


@dataclass(frozen=True)
class Resolved:
    manifest: Manifest  # the platform's image: the index's child, or the image itself
    platform: str  # os/architecture[/variant] it has
    index: Manifest | None = None  # the index it was chosen from
    config: bytes | None = None  # the image's config blob, when it was read to check


def check_platform(platform: str | None) -> None:
    if platform and platform.count("/") not in (1, 2):
        raise InvalidInput(f"invalid --platform {platform!r}: expected OS/ARCH[/VARIANT]")


def matches(have: str, wanted: str) -> bool:
    """``linux/arm64`` also matches its variants (``linux/arm64/v8``)."""
    return have == wanted or (wanted.count("/") == 1 and have.rsplit("/", 1)[0] == wanted)


def read_config(store: ImageStore, repository: str, manifest: Manifest) -> bytes | None:
    """An image's config blob, checked against its digest (None: the manifest names none)."""
    descriptor = manifest.doc.get("config")
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("digest"), str):
        return None
    digest = str(descriptor["digest"])
    stream = store.open_blob(repository, digest)
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


def config_platform(config: bytes | None) -> str:
    """``os/architecture[/variant]`` an image config names ("" when it names none)."""
    found = json.loads(config) if config is not None else None
    doc = found if isinstance(found, dict) else {}
    parts = [doc.get("os"), doc.get("architecture"), doc.get("variant")]
    if not parts[0] or not parts[1]:
        return ""
    return "/".join(str(p) for p in parts if p)


def resolve(
    store: ImageStore, repository: str, top: Manifest, platform: str, shown: str
) -> Resolved:
    """The image ``top`` holds for ``platform`` (``shown``: how the messages name ``top``)."""
    if top.media_type in INDEX_MEDIA_TYPES:
        for descriptor in top.children:
            if matches(descriptor.platform or "?/?", platform):
                child = store.get_manifest(repository, descriptor.digest)
                return Resolved(child, descriptor.platform or "?/?", index=top)
        offered = ", ".join(c.platform or "?/?" for c in top.children) or "none"
        raise NotFound(f"{shown} has no {platform} image (it has: {offered})")
    config = read_config(store, repository, top)
    have = config_platform(config)
    if not have:
        raise PlatformMismatch(f"{shown} names no platform in its config, not {platform}")
    if not matches(have, platform):
        raise PlatformMismatch(f"{shown} is {have}, not {platform}")
    return Resolved(top, have, config=config)
