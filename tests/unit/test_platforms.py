"""``--platform`` resolved one way for digest, inspect, copy and sync (core/distribution/
platforms.py): an index's child, or a single image checked against its config's platform."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pytest

from ecrctl.core.distribution.client import Manifest, checked_manifest
from ecrctl.core.distribution.platforms import PlatformMismatch, resolve
from ecrctl.core.exceptions import NotFound

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Stream(io.BytesIO):
    def read(self, size: int | None = -1, decode_content: bool = False) -> bytes:  # type: ignore[override]
        return super().read(size)

    def release_conn(self) -> None:
        pass


class Store:
    """Just what resolve reads of a store: manifests by digest and blobs."""

    label = "test"

    def __init__(self) -> None:
        self.manifests: dict[str, Manifest] = {}
        self.blobs: dict[str, bytes] = {}

    def add(self, doc: dict[str, Any], media_type: str) -> Manifest:
        data = json.dumps(doc).encode()
        manifest = checked_manifest(data, media_type, sha(data), "test", "a manifest")
        self.manifests[manifest.digest] = manifest
        return manifest

    def image(self, **platform: str) -> Manifest:
        config = json.dumps({**platform, "rootfs": {"type": "layers"}}).encode()
        self.blobs[sha(config)] = config
        descriptor = {"mediaType": "application/vnd.oci.image.config.v1+json"}
        doc = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {**descriptor, "digest": sha(config), "size": len(config)},
            "layers": [],
        }
        return self.add(doc, OCI_MANIFEST)

    def get_manifest(self, repository: str, reference: str) -> Manifest:
        return self.manifests[reference]

    def open_blob(self, repository: str, digest: str, offset: int = 0) -> Stream:
        return Stream(self.blobs[digest])


def test_a_single_image_is_itself_when_its_config_names_the_platform() -> None:
    store = Store()
    arm = store.image(os="linux", architecture="arm64", variant="v8")
    for asked in ("linux/arm64", "linux/arm64/v8"):  # OS/ARCH also matches its variants
        found = resolve(store, "app", arm, asked, "app:1")  # type: ignore[arg-type]
        assert (found.manifest, found.platform, found.index) == (arm, "linux/arm64/v8", None)
    with pytest.raises(PlatformMismatch, match=r"^app:1 is linux/arm64/v8, not linux/arm64/v7$"):
        resolve(store, "app", arm, "linux/arm64/v7", "app:1")  # type: ignore[arg-type]
    with pytest.raises(PlatformMismatch, match=r"^app:1 is linux/arm64/v8, not linux/amd64$"):
        resolve(store, "app", arm, "linux/amd64", "app:1")  # type: ignore[arg-type]
    bare = store.image()  # a config that names no platform
    with pytest.raises(PlatformMismatch, match="names no platform in its config"):
        resolve(store, "app", bare, "linux/amd64", "app:2")  # type: ignore[arg-type]


def test_an_index_gives_its_child_and_a_missing_platform_is_not_found_not_a_mismatch() -> None:
    store = Store()
    amd, arm = (
        store.image(os="linux", architecture="amd64"),
        store.image(os="linux", architecture="arm64"),
    )
    entries = [
        {"mediaType": OCI_MANIFEST, "digest": m.digest, "size": len(m.data), "platform": p}
        for m, p in (
            (amd, {"os": "linux", "architecture": "amd64"}),
            (arm, {"os": "linux", "architecture": "arm64"}),
        )
    ]
    index = store.add({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}, OCI_INDEX)
    found = resolve(store, "app", index, "linux/arm64", "app:3")  # type: ignore[arg-type]
    assert (found.manifest, found.platform, found.index) == (arm, "linux/arm64", index)
    with pytest.raises(
        NotFound, match=r"has no linux/s390x image \(it has: linux/amd64, linux/arm64\)"
    ) as caught:
        resolve(store, "app", index, "linux/s390x", "app:3")  # type: ignore[arg-type]
    assert not isinstance(caught.value, PlatformMismatch)  # sync copies only a single image as is
