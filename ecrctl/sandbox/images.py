"""Synthetic images for the sandbox, the demo, tests and benchmarks.

Each manifest is real Docker v2 / OCI JSON and is put with ``imageDigest`` set to the true sha256
of its bytes, as ECR itself would compute it (moto derives digests otherwise).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ecrctl.core.names import (
    DOCKER_CONFIG,
    DOCKER_LAYER,
    DOCKER_MANIFEST,
    OCI_CONFIG,
    OCI_INDEX,
    OCI_LAYER,
    OCI_MANIFEST,
)
from ecrctl.sandbox.ecrmanifests import Stored


def sha256_digest(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return "sha256:" + hashlib.sha256(raw).hexdigest()


class SyntheticImage(Stored):
    """A made-up image's manifest: its bytes and media type (ecrmanifests.Stored), and its text
    as PutImage takes it (``manifest``)."""

    @classmethod
    def of(cls, doc: dict[str, Any], media_type: str) -> SyntheticImage:
        return cls(json.dumps(doc, indent=3).encode(), media_type)

    @property
    def manifest(self) -> str:
        return self.data.decode()


def synthetic_manifest(
    seed: str, *, layers: int = 2, layer_size: int = 1_000_000, media_type: str = DOCKER_MANIFEST
) -> SyntheticImage:
    """A single-platform image manifest whose blobs are named from ``seed``."""
    oci = media_type == OCI_MANIFEST
    layer_type = OCI_LAYER if oci else DOCKER_LAYER
    config_type = OCI_CONFIG if oci else DOCKER_CONFIG
    doc = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {
            "mediaType": config_type,
            "size": 1469,
            "digest": sha256_digest(f"config:{seed}"),
        },
        "layers": [
            {
                "mediaType": layer_type,
                "size": layer_size + i,
                "digest": sha256_digest(f"layer:{seed}:{i}"),
            }
            for i in range(layers)
        ],
    }
    return SyntheticImage.of(doc, media_type)


def synthetic_index(
    children: list[tuple[SyntheticImage, str]], *, media_type: str = OCI_INDEX
) -> SyntheticImage:
    """A multi-arch index over (child, "os/arch") pairs."""
    doc = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "manifests": [
            {
                "mediaType": child.media_type,
                "size": len(child.data),
                "digest": child.digest,
                "platform": {"os": platform.split("/")[0], "architecture": platform.split("/")[1]},
            }
            for child, platform in children
        ],
    }
    return SyntheticImage.of(doc, media_type)


def put_synthetic(ecr: Any, repository: str, image: SyntheticImage, tag: str | None = None) -> str:
    params: dict[str, Any] = {
        "repositoryName": repository,
        "imageManifest": image.manifest,
        "imageManifestMediaType": image.media_type,
        "imageDigest": image.digest,
    }
    if tag:
        params["imageTag"] = tag
    ecr.put_image(**params)
    return image.digest


def seed_repository(ecr: Any, repository: str, tags: list[str]) -> list[str]:
    """One image per tag; returns the digests in the order given."""
    return [
        put_synthetic(ecr, repository, synthetic_manifest(f"{repository}:{tag}"), tag)
        for tag in tags
    ]
