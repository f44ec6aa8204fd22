"""Manifest references: which images an index (OCI image index, Docker manifest list) points to.

Shared by ``untag`` (an index is deleted before its children, a kept index keeps them) and the
lifecycle evaluator (ECR never expires or archives an image that a kept index still references).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
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


def fetch_index_children(
    registry: EcrRegistry, repository: str, indexes: Iterable[str]
) -> dict[str, set[str]]:
    """The digests each of ``indexes`` references: BatchGetImage, 100 digests a call."""
    children: dict[str, set[str]] = {}
    ids: list[ImageIdentifierTypeDef] = [{"imageDigest": d} for d in dict.fromkeys(indexes)]
    for _, response in registry.get_manifests(repository, ids, INDEX_ACCEPTED_MEDIA_TYPES):
        for image in response.get("images") or []:
            digest = (image.get("imageId") or {}).get("imageDigest")
            if digest:
                children[str(digest)] = index_children(str(image.get("imageManifest") or ""))
    return children
