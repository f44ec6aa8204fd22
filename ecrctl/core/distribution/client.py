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
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin

from ecrctl.core.distribution.transport import (
    Denied,
    Missing,
    RegistryError,
    Transport,
    Unreachable,
)
from ecrctl.core.distribution.upload import BlobUpload, skip
from ecrctl.core.names import MANIFEST_MEDIA_TYPES

if TYPE_CHECKING:
    from ecrctl.core.distribution.resume import UploadStates

__all__ = ["Denied", "Manifest", "Missing", "Registry", "RegistryError", "Unreachable"]

MANIFEST_TYPES = MANIFEST_MEDIA_TYPES
MAX_MANIFEST_BYTES = 4 * 2**20  # the spec's limit that registries enforce


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


class Registry(Transport):
    """One registry host's distribution API (thread-safe, as its transport is)."""

    # Called with the headers of each manifest answer (GET and HEAD), if set: ecrctl sync reads
    # Docker Hub's pull limit (ratelimit-remaining) from them.
    on_manifest: Callable[[Any], None] | None = None

    # -- manifests ----------------------------------------------------------------------
    def get_manifest(self, repository: str, reference: str) -> Manifest:
        response = self.request(
            "GET",
            f"/v2/{repository}/manifests/{reference}",
            headers={"Accept": ", ".join(MANIFEST_TYPES)},
            stream=True,
        )
        if self.on_manifest is not None:
            self.on_manifest(response.headers)
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
        if self.on_manifest is not None:
            self.on_manifest(response.headers)
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

    def open_blob(self, repository: str, digest: str, offset: int = 0) -> Any:
        """The blob as a streamed response, from byte ``offset`` on (a Range request; read past
        the first bytes when the registry or its storage ignores Range)."""
        path = f"/v2/{repository}/blobs/{digest}"
        if not offset:
            return self.request("GET", path, stream=True)
        response = self.request(
            "GET", path, headers={"Range": f"bytes={offset}-"}, stream=True, ok=(200, 206)
        )
        if response.status == 200:
            skip(response, offset)
        elif not str(response.headers.get("Content-Range", "")).startswith(f"bytes {offset}-"):
            response.release_conn()
            raise RegistryError(f"{self.label}: {digest} came back from the wrong byte")
        return response

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
        open_source: Callable[[int], Any],
        progress: Callable[[int], None],
        *,
        chunk_size: int | None = None,
        states: UploadStates | None = None,
    ) -> int:
        """Stream a blob from ``open_source(offset)`` (a streamed response from that byte on):
        POST, PATCH..., PUT; returns the offset a saved session let it resume from (upload.py).

        One streamed PATCH for a blob of up to one chunk (as crane does); pieces of
        ``chunk_size`` bytes (default CHUNK_SIZE) with Content-Range above that, or when the
        registry's OCI-Chunk-Min-Length asks for pieces.
        """
        upload = BlobUpload(self, repository, digest, size, states)
        return upload.run(open_source, progress, chunk_size)


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
