"""The demo's daemonless build: an OCI image layout as ``docker buildx build --output type=oci``,
kaniko or buildah leave one in CI, with no docker daemon. Its images are the seeded kind
(realimages.py: a real config, gzipped tar layers, one base layer per platform), gathered under an
OCI index over two platforms and written with ecrctl's own layout code, so the demo starts where
such a CI job stands: a directory, not an image in an engine.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from ecrctl.core.distribution.blobput import BlobPut
from ecrctl.core.distribution.client import local_manifest
from ecrctl.core.distribution.layout import OciLayout
from ecrctl.core.distribution.localblobs import BlobReader, sha256
from ecrctl.core.names import OCI_MANIFEST
from ecrctl.sandbox.images import SyntheticImage, synthetic_index
from ecrctl.sandbox.realimages import SeedImages

PLATFORMS = ("linux/amd64", "linux/arm64")


class _Gathered:
    """Where SeedImages puts an image's config and layers: here, by digest, once each."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def put(self, repository: str, data: bytes) -> str:
        digest = sha256(data)
        self.blobs.setdefault(digest, data)
        return digest


def _opener(digest: str, data: bytes, where: str) -> Callable[[int], BlobReader]:
    """What a store's upload_blob reads a blob through: here, bytes already in memory."""

    def open_at(offset: int) -> BlobReader:
        return BlobReader(io.BytesIO(data), digest, len(data), where, skipped=offset)

    return open_at


def _quiet(_done: int) -> None:
    """No progress to show: the blobs are a few KB."""


def write_build_layout(directory: Path, repository: str, tag: str) -> SyntheticImage:
    """Write ``directory`` as an OCI layout whose ``tag`` names an index over ``PLATFORMS``
    (images of ``repository:tag``); return the index (its digest is the image's)."""
    gathered = _Gathered()
    images = SeedImages(gathered)
    children = [
        (images.image(repository, f"{repository}:{tag}", platform=p, media_type=OCI_MANIFEST), p)
        for p in PLATFORMS
    ]
    index = synthetic_index(children)
    layout = OciLayout(str(directory), create=True, role="destination")
    where = f"oci:{directory}"
    for digest, data in gathered.blobs.items():
        put = BlobPut(repository, digest, len(data), _opener(digest, data, where), _quiet)
        layout.upload_blob(put)
    # Children first, the index last, the tag with it: as a copy writes an index.
    for image, reference in [*((child, child.digest) for child, _ in children), (index, tag)]:
        manifest = local_manifest(image.data, image.media_type, image.digest, where)
        layout.put_manifest(repository, reference, manifest)
    return index
