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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin

from ecrctl.core.distribution.answers import (
    Descriptor,
    checked_digest,
    checked_url,
    descriptor_list,
    json_object,
    manifest_parts,
    media_type_of,
    shown,
)
from ecrctl.core.distribution.transport import (
    Denied,
    Missing,
    RegistryError,
    Transport,
    Unreachable,
)
from ecrctl.core.distribution.upload import BlobUpload, skip
from ecrctl.core.exceptions import BadAnswer, InvalidInput
from ecrctl.core.names import DIGEST_RE, MANIFEST_MEDIA_TYPES

if TYPE_CHECKING:
    from ecrctl.core.distribution.blobput import BlobPut

__all__ = ["Denied", "Manifest", "Missing", "Registry", "RegistryError", "Unreachable"]

MANIFEST_TYPES = MANIFEST_MEDIA_TYPES
MAX_MANIFEST_BYTES = 4 * 2**20  # the spec's limit that registries enforce


@dataclass(frozen=True)
class Manifest:
    data: bytes
    media_type: str
    digest: str
    # Checked when read (answers.manifest_parts): an index's children; an image's blobs.
    children: tuple[Descriptor, ...] = field(default=(), compare=False)
    blobs: tuple[Descriptor, ...] = field(default=(), compare=False)

    @property
    def doc(self) -> dict[str, Any]:
        """The manifest as JSON (an object; {} otherwise), for what the descriptors leave out
        (a config's digest, the annotations): read only from bytes already checked and capped."""
        value = json.loads(self.data)
        return value if isinstance(value, dict) else {}


def checked_manifest(data: bytes, media_type: str, digest: str, where: str, what: str) -> Manifest:
    """A Manifest with its children and blobs read and checked (answers.manifest_parts): what a
    copy walks, whether the bytes came from a registry, a layout or an archive."""
    children, blobs = manifest_parts(data, media_type, where, what)
    return Manifest(data, media_type, digest, children, blobs)


def local_manifest(data: bytes, media_type: str, digest: str, where: str) -> Manifest:
    """The same for a manifest in a file the user named: a bad one is bad input (exit 2)."""
    try:
        return checked_manifest(data, media_type, digest, where, f"manifest {digest}")
    except BadAnswer as error:
        raise InvalidInput(str(error)) from None


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _reference(reference: str) -> str:
    """A tag or digest fit for a request path (tags come checked from reference.py; a digest
    from a registry's answer is checked again here, where it enters the path)."""
    if reference.startswith("sha256:") and not DIGEST_RE.fullmatch(reference):
        raise BadAnswer(f"not a sha256 digest: {shown(reference)}")
    if not reference or any(c in reference for c in "/?#%\\ ") or not reference.isprintable():
        raise BadAnswer(f"not a tag or digest: {shown(reference)}")
    return reference


class Registry(Transport):
    """One registry host's distribution API (thread-safe, as its transport is)."""

    # Called with the headers of each manifest answer (GET and HEAD), if set: ecrctl sync reads
    # Docker Hub's pull limit (ratelimit-remaining) from them.
    on_manifest: Callable[[Any], None] | None = None

    # -- manifests ----------------------------------------------------------------------
    def get_manifest(self, repository: str, reference: str) -> Manifest:
        response = self.request(
            "GET",
            f"/v2/{repository}/manifests/{_reference(reference)}",
            headers={"Accept": ", ".join(MANIFEST_TYPES)},
        )
        if self.on_manifest is not None:
            self.on_manifest(response.headers)
        data = response.data  # read whole, at most 4 MiB (connections.BODY_LIMIT)
        digest = sha256(data)
        if reference.startswith("sha256:") and digest != reference:
            raise BadAnswer(f"{self.label}: manifest {reference} came back as {digest}")
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        if media_type not in MANIFEST_TYPES:  # a registry that answers with a generic type
            media_type = media_type_of(data) or media_type
        return checked_manifest(data, media_type, digest, self.label, f"manifest {reference}")

    def head_manifest(self, repository: str, reference: str) -> str | None:
        """The digest a tag or digest names in the repository, or None."""
        try:
            response = self.request(
                "HEAD",
                f"/v2/{repository}/manifests/{_reference(reference)}",
                headers={"Accept": ", ".join(MANIFEST_TYPES)},
            )
        except Missing:
            return None
        if self.on_manifest is not None:
            self.on_manifest(response.headers)
        digest = response.headers.get("Docker-Content-Digest")
        if digest:
            return checked_digest(digest, self.label, f"the Docker-Content-Digest of {reference}")
        return self.get_manifest(repository, reference).digest

    def put_manifest(self, repository: str, reference: str, manifest: Manifest) -> str:
        response = self.request(
            "PUT",
            f"/v2/{repository}/manifests/{_reference(reference)}",
            headers={"Content-Type": manifest.media_type},
            body=manifest.data,
            ok=(200, 201, 202),
        )
        digest = response.headers.get("Docker-Content-Digest")
        if not digest:
            return manifest.digest
        return checked_digest(digest, self.label, f"the Docker-Content-Digest of {reference}")

    def referrers(self, repository: str, digest: str) -> tuple[list[Descriptor], Manifest | None]:
        """Manifests whose ``subject`` is ``digest``: the referrers API, else the tag schema
        (then the ``sha256-<hex>`` index itself comes back too, to be copied as it is)."""
        what = f"the referrers of {digest}"
        try:
            response = self.request(
                "GET",
                f"/v2/{repository}/referrers/{_reference(digest)}",
                headers={"Accept": MANIFEST_TYPES[0]},
            )
            if response.headers.get("Content-Type", "").startswith(MANIFEST_TYPES[0]):
                doc = json_object(response.data, self.label, what)
                if doc.get("manifests") is None:
                    return [], None
                return descriptor_list(doc, "manifests", self.label, what), None
        except Denied:
            raise
        except RegistryError as error:
            if error.status not in (400, 404, 405):
                raise
        try:
            index = self.get_manifest(repository, fallback_tag(digest))
        except Missing:
            return [], None
        return list(index.children), index

    # -- blobs --------------------------------------------------------------------------
    def head_blob(self, repository: str, digest: str) -> bool:
        try:
            self.request("HEAD", f"/v2/{repository}/blobs/{_reference(digest)}")
        except Missing:
            return False
        return True

    def open_blob(self, repository: str, digest: str, offset: int = 0) -> Any:
        """The blob as a streamed response, from byte ``offset`` on (a Range request; read past
        the first bytes when the registry or its storage ignores Range)."""
        path = f"/v2/{repository}/blobs/{_reference(digest)}"
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
            with contextlib.suppress(RegistryError, BadAnswer):
                url = checked_url(urljoin(self.base + "/", location), self.label, "Location")
                self.request("DELETE", url, ok=(202, 204, 404))

    def upload_blob(self, put: BlobPut) -> int:
        """Stream a blob from ``put.open_source(offset)`` (a streamed response from that byte on):
        POST, PATCH..., PUT; returns the offset a saved session let it resume from (upload.py).

        One streamed PATCH for a blob of up to one chunk (as crane does); pieces of
        ``put.chunk_size`` bytes (default CHUNK_SIZE) with Content-Range above that, or when the
        registry's OCI-Chunk-Min-Length asks for pieces.
        """
        upload = BlobUpload(self, put.repository, put.digest, put.size, put.states)
        return upload.run(put.open_source, put.progress, put.chunk_size)


def fallback_tag(digest: str) -> str:
    """The referrers tag schema: ``sha256-<hex>`` names an index of a manifest's referrers."""
    return digest.replace(":", "-", 1)
