"""Test-only: realistic images (gzip'd tar layers, a config with matching diff_ids) pushed to a
registry, so that docker-archive readers (skopeo, docker load) accept what is made of them."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from typing import Any

from tests.oci_registries import OCI_CONFIG, OCI_MANIFEST, push_blob, push_manifest

OCI_GZIP_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def tar_layer(name: str, content: bytes) -> bytes:
    """A tar holding one file."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size = len(content)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def image_parts(
    sizes: list[int], *, arch: str = "amd64", level: int = 1
) -> tuple[bytes, list[bytes]]:
    """(config, gzip'd layers): one random file per layer, the config naming their diff_ids."""
    tars = [tar_layer(f"file{i}", os.urandom(size)) for i, size in enumerate(sizes)]
    config = {
        "architecture": arch,
        "os": "linux",
        "created": "2026-01-02T03:04:05Z",
        "config": {
            "Env": ["PATH=/usr/bin", "MODE=test"],
            "Entrypoint": ["/bin/app"],
            "Cmd": ["--serve"],
            "User": "1000",
            "WorkingDir": "/srv",
            "Labels": {"org.example.team": "images"},
        },
        "rootfs": {
            "type": "layers",
            "diff_ids": ["sha256:" + hashlib.sha256(t).hexdigest() for t in tars],
        },
        "history": [{"created_by": f"layer {i}"} for i in range(len(tars))],
    }
    layers = [gzip.compress(t, compresslevel=level, mtime=0) for t in tars]
    return json.dumps(config).encode(), layers


def push_real_image(
    host: str, repo: str, tag: str | None, sizes: list[int], *, arch: str = "amd64"
) -> tuple[str, dict[str, Any]]:
    """An OCI image of gzip'd tar layers; returns (digest, descriptor with platform)."""
    config, layers = image_parts(sizes, arch=arch)
    doc: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, **push_blob(host, repo, config)},
        "layers": [{"mediaType": OCI_GZIP_LAYER, **push_blob(host, repo, b)} for b in layers],
    }
    data = json.dumps(doc, indent=3).encode()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    push_manifest(host, repo, tag or digest, doc, OCI_MANIFEST)
    descriptor = {
        "mediaType": OCI_MANIFEST,
        "digest": digest,
        "size": len(data),
        "platform": {"os": "linux", "architecture": arch},
    }
    return digest, descriptor
