"""The OCI distribution API a copy needs, over one registry host: manifests as bytes, blobs as
streams, cross-repository mounts, chunked uploads (auth and HTTP are in transport.py).

Why not a library: the ORAS Python SDK (0.2.x) uploads blobs from files read whole into memory,
parses manifests to dicts and pushes them re-serialised (a new digest), and has no cross-repository
mount; docker's SDK needs a daemon. What a digest-preserving copy needs is ~10 endpoints of the
distribution spec, over http.client (connections.py says why not urllib3).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urljoin

from ecrctl.core.copy.connections import NetError
from ecrctl.core.copy.transport import (
    Denied,
    Missing,
    RegistryError,
    Transport,
    Unreachable,
)

__all__ = ["Denied", "Manifest", "Missing", "Registry", "RegistryError", "Unreachable"]

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
MAX_MANIFEST_BYTES = 4 * 2**20  # the spec's limit that registries enforce
BLOCK = 1 << 20


@dataclass(frozen=True)
class Manifest:
    data: bytes
    media_type: str
    digest: str

    @property
    def doc(self) -> dict[str, Any]:
        value = json.loads(self.data)
        return value if isinstance(value, dict) else {}


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class CountingReader:
    """A blob download as a file-like upload body: counts, hashes, stops at ``limit``."""

    def __init__(self, source: Any, progress: Callable[[int], None], limit: int | None = None):
        self.source, self.progress, self.remaining = source, progress, limit
        self.hash = hashlib.sha256()

    def read(self, size: int = BLOCK) -> bytes:
        # http.client asks for 8-16 KiB at a time; a larger read costs the same per call.
        size = BLOCK if size is None or size < BLOCK else size
        if self.remaining is not None:
            size = min(size, self.remaining)
        if size == 0:
            return b""
        try:
            data = self.source.read(size, decode_content=False)
        except NetError as error:
            raise Unreachable(f"the source broke off mid-blob ({error})") from None
        if not data and self.remaining:
            raise Unreachable("the source ended the blob early")
        if self.remaining is not None:
            self.remaining -= len(data)
        self.hash.update(data)
        self.progress(len(data))
        return bytes(data)


class Registry(Transport):
    """One registry host's distribution API (thread-safe, as its transport is)."""

    # -- manifests ----------------------------------------------------------------------
    def get_manifest(self, repository: str, reference: str) -> Manifest:
        response = self.request(
            "GET",
            f"/v2/{repository}/manifests/{reference}",
            headers={"Accept": ", ".join(MANIFEST_TYPES)},
            stream=True,
        )
        data = response.read(MAX_MANIFEST_BYTES + 1, decode_content=True)
        response.release_conn()
        if len(data) > MAX_MANIFEST_BYTES:
            raise RegistryError(f"{self.label}: manifest {reference} is larger than 4 MiB")
        digest = sha256(data)
        if reference.startswith("sha256:") and digest != reference:
            raise RegistryError(f"{self.label}: manifest {reference} came back as {digest}")
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        if media_type not in MANIFEST_TYPES:  # a registry that answers with a generic type
            media_type = _doc_media_type(data) or media_type
        return Manifest(data, media_type, digest)

    def head_manifest(self, repository: str, reference: str) -> str | None:
        """The digest a tag or digest names in the repository, or None."""
        try:
            response = self.request(
                "HEAD",
                f"/v2/{repository}/manifests/{reference}",
                headers={"Accept": ", ".join(MANIFEST_TYPES)},
            )
        except Missing:
            return None
        digest = response.headers.get("Docker-Content-Digest")
        if digest:
            return str(digest)
        return self.get_manifest(repository, reference).digest

    def put_manifest(self, repository: str, reference: str, manifest: Manifest) -> str:
        response = self.request(
            "PUT",
            f"/v2/{repository}/manifests/{reference}",
            headers={"Content-Type": manifest.media_type},
            body=manifest.data,
            ok=(200, 201, 202),
        )
        return str(response.headers.get("Docker-Content-Digest") or manifest.digest)

    def referrers(
        self, repository: str, digest: str
    ) -> tuple[list[dict[str, Any]], Manifest | None]:
        """Manifests whose ``subject`` is ``digest``: the referrers API, else the tag schema
        (then the ``sha256-<hex>`` index itself comes back too, to be copied as it is)."""
        try:
            response = self.request(
                "GET",
                f"/v2/{repository}/referrers/{digest}",
                headers={"Accept": MANIFEST_TYPES[0]},
            )
            if response.headers.get("Content-Type", "").startswith(MANIFEST_TYPES[0]):
                return list(json.loads(response.data).get("manifests") or []), None
        except Denied:
            raise
        except RegistryError as error:
            if error.status not in (400, 404, 405):
                raise
        try:
            index = self.get_manifest(repository, fallback_tag(digest))
        except Missing:
            return [], None
        return list(index.doc.get("manifests") or []), index

    # -- blobs --------------------------------------------------------------------------
    def head_blob(self, repository: str, digest: str) -> bool:
        try:
            self.request("HEAD", f"/v2/{repository}/blobs/{digest}")
        except Missing:
            return False
        return True

    def open_blob(self, repository: str, digest: str) -> Any:
        return self.request("GET", f"/v2/{repository}/blobs/{digest}", stream=True)

    def mount_blob(self, repository: str, digest: str, source_repository: str) -> bool:
        """Cross-repository mount; False when the registry opened an upload instead."""
        query = urlencode({"mount": digest, "from": source_repository})
        response = self.request(
            "POST",
            f"/v2/{repository}/blobs/uploads/?{query}",
            headers={"Content-Length": "0"},
            ok=(201, 202),
        )
        if response.status == 201:
            return True
        self._cancel(response)
        return False

    def _cancel(self, response: Any) -> None:
        location = response.headers.get("Location")
        if location:
            # An abandoned upload session expires on the registry by itself.
            with contextlib.suppress(RegistryError):
                self.request("DELETE", urljoin(self.base + "/", location), ok=(202, 204, 404))

    def upload_blob(
        self,
        repository: str,
        digest: str,
        size: int,
        open_source: Callable[[], Any],
        progress: Callable[[int], None],
        *,
        chunk_size: int | None = None,
    ) -> None:
        """Stream a blob from ``open_source()`` (a streamed response): POST, PATCH..., PUT.

        One streamed PATCH by default (as crane does); pieces of ``chunk_size`` bytes with
        Content-Range when asked for, or when the registry's OCI-Chunk-Min-Length says so.
        """
        started = self.request(
            "POST",
            f"/v2/{repository}/blobs/uploads/",
            headers={"Content-Length": "0"},
            ok=(202,),
        )
        location = urljoin(self.base + "/", started.headers["Location"])
        minimum = int(started.headers.get("OCI-Chunk-Min-Length") or 0)
        if minimum:
            chunk_size = max(chunk_size or 0, minimum)
        source = open_source()
        try:
            offset = 0
            piece = chunk_size or size or 1
            while offset < size or offset == 0:
                length = min(piece, size - offset)
                reader = CountingReader(source, progress, length)
                headers = {
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(length),
                }
                if chunk_size:
                    headers["Content-Range"] = f"{offset}-{offset + length - 1}"
                if length == 0:
                    break
                response = self.request(
                    "PATCH", location, headers=headers, body=reader, ok=(202, 204)
                )
                location = urljoin(self.base + "/", response.headers.get("Location") or location)
                offset += length
        finally:
            source.release_conn()
        joiner = "&" if "?" in location else "?"
        self.request(
            "PUT",
            f"{location}{joiner}{urlencode({'digest': digest})}",
            headers={"Content-Length": "0"},
            ok=(201, 204),
        )


def fallback_tag(digest: str) -> str:
    """The referrers tag schema: ``sha256-<hex>`` names an index of a manifest's referrers."""
    return digest.replace(":", "-", 1)


def _doc_media_type(data: bytes) -> str:
    try:
        doc = json.loads(data)
    except ValueError:
        return ""
    value = doc.get("mediaType") if isinstance(doc, dict) else None
    return str(value) if isinstance(value, str) else ""
