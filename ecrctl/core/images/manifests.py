"""Manifest references: which images an index (OCI image index, Docker manifest list) points to.

Shared by ``untag`` (an index is deleted before its children, a kept index keeps them) and the
lifecycle evaluator (ECR never expires or archives an image that a kept index still references).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from ecrctl.core.names import MANIFEST_MEDIA_TYPES

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ImageIdentifierTypeDef

    from ecrctl.core.ecr.api import EcrRegistry

# BatchGetImage answers only in a media type it is told the caller accepts.
INDEX_ACCEPTED_MEDIA_TYPES = list(MANIFEST_MEDIA_TYPES)


def index_children(manifest: str) -> set[str]:
    """The digests an index (manifest list / OCI index) references."""
    try:
        doc = json.loads(manifest)
    except ValueError:
        return set()
    entries = doc.get("manifests") if isinstance(doc, dict) else None
    return {str(e["digest"]) for e in entries or [] if isinstance(e, dict) and e.get("digest")}


def fetch_manifests(
    registry: EcrRegistry, repository: str, digests: Iterable[str]
) -> Iterator[tuple[str, str]]:
    """(digest, manifest text) of each of ``digests``: BatchGetImage, 100 digests a call."""
    ids: list[ImageIdentifierTypeDef] = [{"imageDigest": d} for d in dict.fromkeys(digests)]
    for _, response in registry.get_manifests(repository, ids, INDEX_ACCEPTED_MEDIA_TYPES):
        for image in response.get("images") or []:
            digest = (image.get("imageId") or {}).get("imageDigest")
            if digest:
                yield str(digest), str(image.get("imageManifest") or "")


def fetch_index_children(
    registry: EcrRegistry, repository: str, indexes: Iterable[str]
) -> dict[str, set[str]]:
    """The digests each of ``indexes`` references: BatchGetImage, 100 digests a call."""
    return {
        digest: index_children(manifest)
        for digest, manifest in fetch_manifests(registry, repository, indexes)
    }


def index_platforms(manifest: str) -> tuple[str, ...]:
    """An index's platforms (``linux/arm64/v8``), in its order; attestations
    (``unknown/unknown``) and repeats left out."""
    try:
        doc = json.loads(manifest)
    except ValueError:
        return ()
    found: dict[str, None] = {}
    for entry in (doc.get("manifests") if isinstance(doc, dict) else None) or []:
        platform = entry.get("platform") if isinstance(entry, dict) else None
        if not isinstance(platform, dict) or platform.get("os") in (None, "unknown"):
            continue
        parts = (platform.get("os"), platform.get("architecture"), platform.get("variant"))
        found["/".join(str(p) for p in parts if p)] = None
    return tuple(found)


def fetch_index_platforms(
    registry: EcrRegistry, repository: str, indexes: Iterable[str]
) -> dict[str, tuple[str, ...]]:
    """The platforms each of ``indexes`` holds: BatchGetImage, 100 digests a call."""
    return {
        digest: index_platforms(manifest)
        for digest, manifest in fetch_manifests(registry, repository, indexes)
    }
