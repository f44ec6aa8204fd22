"""Blob uploads into the sandbox registry, as the distribution spec has them: a session (POST),
chunks (PATCH, in order: Content-Range must start where the upload ends, else 416 with the
upload's Range), its state (GET: 204 with Range, so a client resumes), the close (PUT ?digest=,
checked against the bytes), a monolithic POST ?digest=, and cross-repository mounts (POST
?mount=&from=: 201 when the source repository holds the blob, else a session, 202).
"""

from __future__ import annotations

from typing import Any

from ecrctl.sandbox.blobstore import BlobStore, DigestInvalid, RangeInvalid, UploadUnknown
from ecrctl.sandbox.ecrmanifests import EcrManifests, NoRepository
from ecrctl.sandbox.registryhttp import (
    RANGE_RE,
    Answer,
    RegistryError,
    checked_digest,
    checked_name,
    content_length,
    query_params,
)


class Uploads:
    """The upload routes of one registry, over its blob store and its repositories."""

    def __init__(self, blobs: BlobStore, manifests: EcrManifests) -> None:
        self.blobs, self.manifests = blobs, manifests

    def start(self, environ: dict[str, Any], _method: str, params: dict[str, str]) -> Answer:
        """POST .../blobs/uploads/: a mount, a monolithic upload (?digest=), or a session."""
        name = params["name"]
        self.manifests.check_repository(name)
        query = query_params(environ)
        mount, source = query.get("mount"), query.get("from")
        if mount and source:
            mounted = self._mount(name, checked_digest(mount), source)
            if mounted is not None:
                return mounted
        upload = self.blobs.start(name)
        if query.get("digest"):  # monolithic: POST ?digest= with the whole blob
            return self._close(environ, name, upload, checked_digest(query["digest"]))
        return self._state(name, upload, 0, 202)

    def _mount(self, name: str, digest: str, source: str) -> Answer | None:
        """201 when ``source`` holds the blob (then ``name`` holds it too), else None."""
        try:
            checked_name(source)
            self.manifests.check_repository(source)
        except (RegistryError, NoRepository):
            return None
        if self.blobs.size(source, digest) is None or not self.blobs.link(name, digest):
            return None
        return Answer(
            201,
            [
                ("Location", f"/v2/{name}/blobs/{digest}"),
                ("Docker-Content-Digest", digest),
                ("Content-Length", "0"),
            ],
        )

    def _state(self, name: str, upload: str, size: int, status: int) -> Answer:
        return Answer(
            status,
            [
                ("Location", f"/v2/{name}/blobs/uploads/{upload}"),
                ("Range", f"0-{max(size - 1, 0)}"),
                ("Docker-Upload-UUID", upload),
                ("Content-Length", "0"),
            ],
        )

    def session(self, environ: dict[str, Any], method: str, params: dict[str, str]) -> Answer:
        """GET (its Range), PATCH (a chunk), PUT (?digest=: closed), DELETE an upload."""
        name, upload = params["name"], params["upload"]
        self.manifests.check_repository(name)
        try:
            if method == "GET":
                return self._state(name, upload, self.blobs.upload_size(name, upload), 204)
            if method == "DELETE":
                self.blobs.cancel(name, upload)
                return Answer(204)
            if method == "PATCH":
                size = self._append(environ, name, upload, ranged=True)
                return self._state(name, upload, size, 202)
            digest = query_params(environ).get("digest")
            if not digest:
                raise RegistryError("DIGEST_INVALID", "PUT closes an upload: give ?digest=")
            return self._close(environ, name, upload, checked_digest(digest))
        except UploadUnknown:
            raise RegistryError("BLOB_UPLOAD_UNKNOWN", detail={"upload": upload}) from None

    def _append(self, environ: dict[str, Any], name: str, upload: str, *, ranged: bool) -> int:
        start = None
        wanted = str(environ.get("HTTP_CONTENT_RANGE") or "").strip()
        if ranged and wanted:
            match = RANGE_RE.fullmatch(wanted.split("/")[0])
            if not match:
                raise RegistryError("BLOB_UPLOAD_INVALID", f"malformed Content-Range {wanted!r}")
            start = int(match.group(1))
        try:
            return self.blobs.append(
                name, upload, environ["wsgi.input"], content_length(environ), start
            )
        except RangeInvalid as error:
            raise RegistryError(
                "RANGE_INVALID",
                f"the upload holds {error.size} bytes; the chunk starts at {start}",
                headers=[
                    ("Location", f"/v2/{name}/blobs/uploads/{upload}"),
                    ("Range", f"0-{max(error.size - 1, 0)}"),
                ],
            ) from None

    def _close(self, environ: dict[str, Any], name: str, upload: str, digest: str) -> Answer:
        try:
            self._append(environ, name, upload, ranged=False)  # a last chunk, maybe empty
            self.blobs.finish(name, upload, digest)
        except DigestInvalid as error:
            raise RegistryError("DIGEST_INVALID", str(error), {"digest": digest}) from None
        except UploadUnknown:
            raise RegistryError("BLOB_UPLOAD_UNKNOWN", detail={"upload": upload}) from None
        return Answer(
            201,
            [
                ("Location", f"/v2/{name}/blobs/{digest}"),
                ("Docker-Content-Digest", digest),
                ("Content-Length", "0"),
            ],
        )
