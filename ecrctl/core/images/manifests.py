"""Manifest references: which images an index (OCI image index, Docker manifest list) points to.

Shared by ``untag`` (an index is deleted before its children, a kept index keeps them) and the
lifecycle evaluator (ECR never expires or archives an image that a kept index still references).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ImageIdentifierTypeDef

    from ecrctl.core.ecr.api import EcrRegistry

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"

INDEX_MEDIA_TYPES = frozenset({DOCKER_LIST, OCI_INDEX})
# BatchGetImage answers only in a media type it is told the caller accepts.
INDEX_ACCEPTED_MEDIA_TYPES = [DOCKER_MANIFEST, DOCKER_LIST, OCI_MANIFEST, OCI_INDEX]


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
