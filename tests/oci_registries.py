"""Test-only: plain-HTTP ``docker-registry`` (distribution) instances on 127.0.0.1 and images
pushed into them blob by blob, plus skopeo as the independent reader."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import urllib3

from ecrctl.sandbox.emulator import free_port
from tests.needed import unavailable

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
_HTTP = urllib3.PoolManager()

_CONFIG = """version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
  secret: ecrctl-copy-tests
"""


@dataclass
class LocalRegistry:
    host: str
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://{self.host}"


def missing_tools() -> str | None:
    absent = [t for t in ("docker-registry", "skopeo") if shutil.which(t) is None]
    return (
        f"not installed: {', '.join(absent)} (apt-get install docker-registry skopeo)"
        if absent
        else None
    )


def start_registry(root: Path, auth: str = "") -> LocalRegistry:
    """A registry on 127.0.0.1; ``auth`` is an ``auth:`` section of its config (none: open)."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = root / "config.yml"
    config.write_text(_CONFIG.format(root=root, port=port) + auth)
    log = open(root / "registry.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        ["docker-registry", "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    registry = LocalRegistry(f"127.0.0.1:{port}", process)
    retry = urllib3.Retry(connect=200, backoff_factor=0.02, backoff_max=0.2)
    try:
        response = _HTTP.request("GET", f"{registry.url}/v2/", retries=retry)
    except urllib3.exceptions.HTTPError:
        stop_registry(registry)
        raise
    assert response.status == (401 if auth else 200), response.status
    return registry


def stop_registry(registry: LocalRegistry) -> None:
    if registry.process.poll() is None:
        os.kill(registry.process.pid, 15)
        registry.process.wait(timeout=30)


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push_blob(host: str, repo: str, data: bytes) -> dict[str, Any]:
    digest = digest_of(data)
    started = _HTTP.request("POST", f"http://{host}/v2/{repo}/blobs/uploads/")
    assert started.status == 202, started.data
    location = started.headers["Location"]
    if location.startswith("/"):
        location = f"http://{host}{location}"
    sep = "&" if "?" in location else "?"
    done = _HTTP.request(
        "PUT",
        f"{location}{sep}digest={digest}",
        body=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert done.status == 201, done.data
    return {"digest": digest, "size": len(data)}


def push_manifest(host: str, repo: str, ref: str, doc: dict[str, Any], media_type: str) -> str:
    data = json.dumps(doc, indent=3).encode()  # not the canonical form: bytes must be kept
    response = _HTTP.request(
        "PUT",
        f"http://{host}/v2/{repo}/manifests/{ref}",
        body=data,
        headers={"Content-Type": media_type},
    )
    assert response.status == 201, response.data
    assert response.headers["Docker-Content-Digest"] == digest_of(data)
    return digest_of(data)


def push_image(
    host: str,
    repo: str,
    tag: str | None,
    layers: list[bytes],
    *,
    arch: str = "amd64",
    subject: dict[str, Any] | None = None,
    artifact: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """An OCI image manifest over random layers; returns (digest, descriptor)."""
    config = json.dumps({"architecture": arch, "os": "linux", "rootfs": {"type": "layers"}})
    cfg = push_blob(host, repo, config.encode())
    doc: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, **cfg},
        "layers": [{"mediaType": OCI_LAYER, **push_blob(host, repo, layer)} for layer in layers],
    }
    if subject is not None:
        doc["subject"] = subject
    if artifact:
        doc["artifactType"] = artifact
    data = json.dumps(doc, indent=3).encode()
    digest = push_manifest(host, repo, tag or digest_of(data), doc, OCI_MANIFEST)
    descriptor = {"mediaType": OCI_MANIFEST, "digest": digest, "size": len(data)}
    if artifact:
        descriptor["artifactType"] = artifact
    else:
        descriptor["platform"] = {"os": "linux", "architecture": arch}
    return digest, descriptor


def push_index(host: str, repo: str, tag: str, children: list[dict[str, Any]]) -> str:
    doc = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children}
    return push_manifest(host, repo, tag, doc, OCI_INDEX)


def skopeo_digest(host: str, repo: str, ref: str) -> str:
    """The digest of the manifest bytes skopeo reads back (the independent reference)."""
    sep = "@" if ref.startswith("sha256:") else ":"
    raw = subprocess.run(
        ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{host}/{repo}{sep}{ref}"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    return digest_of(raw)


def manifest_exists(host: str, repo: str, ref: str) -> bool:
    accept = ", ".join([OCI_INDEX, OCI_MANIFEST])
    response = _HTTP.request(
        "HEAD", f"http://{host}/v2/{repo}/manifests/{ref}", headers={"Accept": accept}
    )
    return response.status == 200


@pytest.fixture(scope="session")
def registries(tmp_path_factory: pytest.TempPathFactory) -> Any:
    reason = missing_tools()
    if reason:
        unavailable(reason)
    base = tmp_path_factory.mktemp("registries")
    one = start_registry(base / "one")
    try:
        two = start_registry(base / "two")
    except BaseException:
        stop_registry(one)
        raise
    try:
        yield one, two
    finally:
        stop_registry(one)
        stop_registry(two)
