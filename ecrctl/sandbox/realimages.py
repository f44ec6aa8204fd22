"""Real, small images for ``ecrctl sandbox --seed``: a config (platform, created, entrypoint,
cmd, env, labels, rootfs diff ids) and gzipped tar layers, so that docker, podman and skopeo can
pull, inspect and copy what the sandbox is seeded with.

Each image has two layers: a base layer shared by every image of a repository and platform (as
images built on one base share it), and one of its own holding ``/app/VERSION``. Everything is
deterministic (fixed times, owners and modes; gzip written here with stored deflate blocks, so
no zlib or Python version changes a byte), so the seeded digests are the same on every machine.
The blobs go into the registry's blob store when one is given; without one the manifests are the
same, and their blobs are missing (as for an image put through PutImage alone).
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import tarfile
import zlib
from typing import Any

from ecrctl.core.names import (
    DOCKER_CONFIG,
    DOCKER_LAYER,
    DOCKER_MANIFEST,
    OCI_CONFIG,
    OCI_LAYER,
    OCI_MANIFEST,
)
from ecrctl.sandbox.images import SyntheticImage

CREATED = "2024-06-03T09:00:00Z"
EPOCH = 1717405200  # CREATED, in seconds
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_TYPES = {
    DOCKER_MANIFEST: (DOCKER_CONFIG, DOCKER_LAYER),
    OCI_MANIFEST: (OCI_CONFIG, OCI_LAYER),
}


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def stored_gzip(data: bytes) -> bytes:
    """A gzip member of ``data`` in stored (uncompressed) deflate blocks (RFC 1951 3.2.4, RFC
    1952): a valid .gz that every reader takes, and the same bytes everywhere."""
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, mtime 0, OS unknown
    blocks = []
    pieces = [data[i : i + 0xFFFF] for i in range(0, len(data), 0xFFFF)] or [b""]
    for number, piece in enumerate(pieces):
        final = 1 if number == len(pieces) - 1 else 0
        blocks.append(struct.pack("<BHH", final, len(piece), len(piece) ^ 0xFFFF) + piece)
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return header + b"".join(blocks) + trailer


def layer(files: dict[str, bytes]) -> tuple[bytes, str]:
    """A gzipped tar of ``files`` (path -> content) and its diff id (digest of the tar)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        directories = sorted({p.rsplit("/", 1)[0] for p in files if "/" in p})
        for directory in directories:
            info = tarfile.TarInfo(directory)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, EPOCH
            info.uname = info.gname = "root"
            tar.addfile(info)
        for path, content in sorted(files.items()):
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(content), 0o755, EPOCH
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(content))
    data = raw.getvalue()
    return stored_gzip(data), _digest(data)


def _base_files(repository: str, platform: str) -> dict[str, bytes]:
    os_name, arch = platform.split("/", 1)
    release = f'NAME="ecrctl sandbox"\nID=sandbox\nVARIANT="{repository} base"\n'
    return {
        "etc/os-release": release.encode(),
        "etc/sandbox-platform": f"{os_name}/{arch}\n".encode(),
    }


def _app_files(repository: str, version: str) -> dict[str, bytes]:
    run = f'#!/bin/sh\necho "{repository} {version}"\n'
    return {"app/VERSION": f"{version}\n".encode(), "app/run": run.encode()}


class SeedImages:
    """Builds seeded images; stores their blobs in ``blobs`` (a BlobStore) when given."""

    def __init__(self, blobs: Any = None) -> None:
        self.blobs = blobs

    def _store(self, repository: str, data: bytes) -> None:
        if self.blobs is not None:
            self.blobs.put(repository, data)

    def image(
        self,
        repository: str,
        seed: str,
        *,
        platform: str = "linux/amd64",
        media_type: str = DOCKER_MANIFEST,
    ) -> SyntheticImage:
        """The image named ``seed`` (``team/app:1.4.2``) of ``repository`` for ``platform``."""
        config_type, layer_type = _TYPES[media_type]
        version = seed.split(":", 1)[1] if ":" in seed else seed
        layers = [layer(_base_files(repository, platform)), layer(_app_files(repository, version))]
        os_name, arch = platform.split("/", 1)
        config = {
            "architecture": arch,
            "os": os_name,
            "created": CREATED,
            "config": {
                "Env": [f"PATH={PATH}", f"APP_VERSION={version}"],
                "Entrypoint": ["/app/run"],
                "Cmd": ["--serve"],
                "WorkingDir": "/app",
                "Labels": {
                    "org.opencontainers.image.title": repository,
                    "org.opencontainers.image.version": version,
                    "org.opencontainers.image.vendor": "ecrctl sandbox",
                },
            },
            "rootfs": {"type": "layers", "diff_ids": [diff for _, diff in layers]},
            "history": [
                {"created": CREATED, "created_by": f"ecrctl sandbox --seed: {repository} base"},
                {"created": CREATED, "created_by": f"ecrctl sandbox --seed: {seed}"},
            ],
        }
        config_data = json.dumps(config, indent=2).encode()
        self._store(repository, config_data)
        for data, _diff in layers:
            self._store(repository, data)
        doc = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {
                "mediaType": config_type,
                "size": len(config_data),
                "digest": _digest(config_data),
            },
            "layers": [
                {"mediaType": layer_type, "size": len(data), "digest": _digest(data)}
                for data, _diff in layers
            ],
        }
        return SyntheticImage.of(doc, media_type)
