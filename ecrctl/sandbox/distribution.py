"""The sandbox's registry: the OCI distribution API (``/v2/``) on the sandbox's own port, as ECR
serves it beside its API.

Basic auth with user ``AWS`` and the password GetAuthorizationToken issued (registryhttp.py);
manifests by tag or digest through the ECR API (ecrmanifests.py: what is pushed here is what
``describe-images`` shows, and an image put through PutImage is served here); blobs in the blob
store (blobstore.py): monolithic and chunked uploads, resumable (GET on an upload gives its
Range), cross-repository mounts, Range reads, digests checked when an upload is closed. A push
into a repository that does not exist is NAME_UNKNOWN, as in ECR (create it first). A manifest's
config, layers and (for an index) child manifests must be in the repository before it is
accepted. No ``_catalog``, as in ECR.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.names import INDEX_MEDIA_TYPES, OCI_INDEX, validate_tag
from ecrctl.sandbox.blobstore import DIGEST_RE, BlobStore
from ecrctl.sandbox.ecrmanifests import (
    MANIFEST_TYPES,
    EcrManifests,
    NoRepository,
    Referenced,
    Stored,
    TagImmutable,
    media_type_of,
)
from ecrctl.sandbox.registryhttp import (
    RANGE_RE,
    Answer,
    Passwords,
    RegistryError,
    StartResponse,
    basic_password,
    checked_digest,
    checked_name,
    json_answer,
    query_params,
    read_body,
)
from ecrctl.sandbox.uploads import Uploads

MAX_MANIFEST = 4 * 2**20  # ECR's and the spec's limit
TAGS_PAGE = 1000
_ROUTES = [
    (re.compile(r"/v2/(?P<name>.+)/blobs/uploads/(?P<upload>[^/]*)"), "upload"),
    (re.compile(r"/v2/(?P<name>.+)/blobs/(?P<digest>[^/]+)"), "blob"),
    (re.compile(r"/v2/(?P<name>.+)/manifests/(?P<reference>[^/]+)"), "manifest"),
    (re.compile(r"/v2/(?P<name>.+)/tags/list"), "tags"),
    (re.compile(r"/v2/(?P<name>.+)/referrers/(?P<digest>[^/]+)"), "referrers"),
]
_METHODS = {
    "base": {"GET", "HEAD"},
    "manifest": {"GET", "HEAD", "PUT", "DELETE"},
    "blob": {"GET", "HEAD", "DELETE"},
    "start": {"POST"},
    "upload": {"GET", "PATCH", "PUT", "DELETE"},
    "tags": {"GET"},
    "referrers": {"GET"},
}


class Distribution:
    """The ``/v2/`` WSGI app of one registry host (``127.0.0.1:PORT``)."""

    def __init__(
        self,
        host: str,
        account: str,
        blobs: BlobStore,
        manifests: EcrManifests,
        passwords: Passwords,
    ) -> None:
        self.host, self.account = host, account
        self.blobs, self.manifests, self.passwords = blobs, manifests, passwords
        self.uploads = Uploads(blobs, manifests)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Any:
        method = str(environ.get("REQUEST_METHOD") or "GET")
        name = ""
        try:
            self._authorize(environ)
            route, params = self._route(str(environ.get("PATH_INFO") or ""), method)
            name = params.get("name", "")
            answer = self._handlers()[route](environ, method, params)
        except RegistryError as error:
            answer = error.answer()
        except NoRepository:
            answer = RegistryError(
                "NAME_UNKNOWN",
                f"The repository with name '{name}' does not exist in the registry "
                f"with id '{self.account}'",
            ).answer()
        except Exception as error:  # a 500 in the spec's shape, never a traceback on the terminal
            answer = json_answer(
                500,
                {"errors": [{"code": "UNKNOWN", "message": f"{type(error).__name__}: {error}"}]},
            )
        return answer.send(start_response, head=method == "HEAD")

    def _handlers(self) -> dict[str, Callable[[dict[str, Any], str, dict[str, str]], Answer]]:
        return {
            "base": lambda _e, _m, _p: json_answer(200, {}),
            "manifest": self._manifest,
            "blob": self._blob,
            "start": self.uploads.start,
            "upload": self.uploads.session,
            "tags": self._tags,
            "referrers": self._referrers,
        }

    def _authorize(self, environ: dict[str, Any]) -> None:
        password = basic_password(str(environ.get("HTTP_AUTHORIZATION") or ""))
        if password is None or not self.passwords.check(password):
            raise RegistryError(
                "UNAUTHORIZED",
                "authentication required: log in with user AWS and the password from "
                "GetAuthorizationToken (ecrctl login)",
                headers=[("WWW-Authenticate", f'Basic realm="{self.host}"')],
            )

    def _route(self, path: str, method: str) -> tuple[str, dict[str, str]]:
        route, params = "", {}
        if path in ("/v2", "/v2/"):
            route = "base"
        else:
            for pattern, kind in _ROUTES:
                match = pattern.fullmatch(path)
                if match:
                    params = match.groupdict()
                    route = "start" if kind == "upload" and not params["upload"] else kind
                    break
        if not route:
            raise RegistryError("UNSUPPORTED", f"{method} {path} is not part of this registry")
        if method not in _METHODS[route]:
            raise RegistryError("UNSUPPORTED", f"{method} is not supported on {path}")
        if "name" in params:
            checked_name(params["name"])
        return route, params

    # -- manifests ------------------------------------------------------------------------
    def _manifest(self, environ: dict[str, Any], method: str, params: dict[str, str]) -> Answer:
        name, reference = params["name"], params["reference"]
        if ":" in reference:
            checked_digest(reference)
        else:
            try:
                validate_tag(reference)
            except InvalidInput as error:
                raise RegistryError("TAG_INVALID", str(error)) from None
        if method == "PUT":
            return self._put_manifest(environ, name, reference)
        if method == "DELETE":
            try:
                deleted = self.manifests.delete(name, reference)
            except Referenced:
                raise RegistryError(
                    "UNSUPPORTED",
                    f"{reference} is referenced by an index in {name} "
                    "(ImageReferencedByManifestList): delete the index first",
                ) from None
            if not deleted:
                raise RegistryError("MANIFEST_UNKNOWN", detail={"reference": reference})
            return Answer(202)
        stored = self.manifests.get(name, reference)
        if stored is None:
            raise RegistryError("MANIFEST_UNKNOWN", detail={"reference": reference})
        headers = [
            ("Content-Type", stored.media_type),
            ("Docker-Content-Digest", stored.digest),
            ("ETag", f'"{stored.digest}"'),
        ]
        return Answer(200, headers, stored.data)

    def _put_manifest(self, environ: dict[str, Any], name: str, reference: str) -> Answer:
        data = read_body(environ, MAX_MANIFEST)
        declared = str(environ.get("CONTENT_TYPE") or "").split(";")[0].strip()
        media_type = declared if declared in MANIFEST_TYPES else media_type_of(data)
        if media_type not in MANIFEST_TYPES:
            raise RegistryError(
                "MANIFEST_INVALID",
                f"unsupported manifest media type {declared or media_type!r}; "
                f"this registry takes {', '.join(MANIFEST_TYPES)}",
            )
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise RegistryError("MANIFEST_INVALID", "the manifest is not UTF-8 JSON") from None
        if not isinstance(doc, dict):
            raise RegistryError("MANIFEST_INVALID", "the manifest is not a JSON object")
        tag = None if reference.startswith("sha256:") else reference
        actual = Stored(data, media_type).digest
        if tag is None and actual != reference:
            raise RegistryError("DIGEST_INVALID", f"the manifest's digest is {actual}")
        self._check_references(name, doc, media_type)
        try:
            digest = self.manifests.put(name, data, media_type, tag)
        except TagImmutable:
            raise RegistryError(
                "TAG_INVALID",
                f"The image tag '{tag}' already exists in the '{name}' repository and cannot be "
                "overwritten because the repository is immutable.",
            ) from None
        headers = [
            ("Location", f"/v2/{name}/manifests/{digest}"),
            ("Docker-Content-Digest", digest),
            ("Content-Length", "0"),
        ]
        subject = doc.get("subject")
        if isinstance(subject, dict) and isinstance(subject.get("digest"), str):
            headers.append(("OCI-Subject", subject["digest"]))
        return Answer(201, headers)

    def _check_references(self, name: str, doc: dict[str, Any], media_type: str) -> None:
        """An image's blobs and an index's manifests must be in the repository already."""
        if media_type in INDEX_MEDIA_TYPES:
            children = [
                str(m.get("digest"))
                for m in doc.get("manifests") or []
                if isinstance(m, dict) and DIGEST_RE.fullmatch(str(m.get("digest")))
            ]
            lacking = self.manifests.missing(name, children)
            if lacking:
                raise RegistryError("MANIFEST_BLOB_UNKNOWN", detail={"digest": lacking[0]})
            return
        descriptors = [doc.get("config"), *(doc.get("layers") or [])]
        for descriptor in descriptors:
            if not isinstance(descriptor, dict) or descriptor.get("urls"):
                continue  # a foreign layer is fetched from its URLs, not from the registry
            digest = str(descriptor.get("digest") or "")
            if not DIGEST_RE.fullmatch(digest):
                raise RegistryError("MANIFEST_INVALID", f"invalid descriptor digest {digest!r}")
            if self.blobs.size(name, digest) is None:
                raise RegistryError("MANIFEST_BLOB_UNKNOWN", detail={"digest": digest})

    def _tags(self, environ: dict[str, Any], _method: str, params: dict[str, str]) -> Answer:
        name = params["name"]
        query = query_params(environ)
        tags = self.manifests.tags(name)
        if query.get("last"):
            tags = [t for t in tags if t > query["last"]]
        limit = int(query["n"]) if query.get("n", "").isdigit() else TAGS_PAGE
        headers = []
        if len(tags) > limit:
            tags = tags[:limit]
            headers.append(
                ("Link", f'</v2/{name}/tags/list?n={limit}&last={tags[-1]}>; rel="next"')
            )
        return json_answer(200, {"name": name, "tags": tags}, headers)

    def _referrers(self, environ: dict[str, Any], _method: str, params: dict[str, str]) -> Answer:
        name, digest = params["name"], checked_digest(params["digest"])
        found = self.manifests.referrers(name, digest)
        headers = [("Content-Type", OCI_INDEX)]
        wanted = query_params(environ).get("artifactType")
        if wanted:
            found = [d for d in found if d.get("artifactType") == wanted]
            headers.append(("OCI-Filters-Applied", "artifactType"))
        doc = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": found}
        return Answer(200, headers, json.dumps(doc).encode())

    # -- blobs ----------------------------------------------------------------------------
    def _blob(self, environ: dict[str, Any], method: str, params: dict[str, str]) -> Answer:
        name, digest = params["name"], checked_digest(params["digest"])
        self.manifests.check_repository(name)
        if method == "DELETE":
            if not self.blobs.unlink(name, digest):
                raise RegistryError("BLOB_UNKNOWN", detail={"digest": digest})
            return Answer(202, [("Content-Length", "0")])
        size = self.blobs.size(name, digest)
        if size is None:
            raise RegistryError("BLOB_UNKNOWN", detail={"digest": digest})
        headers = [
            ("Content-Type", "application/octet-stream"),
            ("Docker-Content-Digest", digest),
            ("Accept-Ranges", "bytes"),
            ("ETag", f'"{digest}"'),
        ]
        wanted = str(environ.get("HTTP_RANGE") or "")
        start, end, status = 0, size, 200
        if wanted:
            match = RANGE_RE.fullmatch(wanted.strip())
            if match:
                start = int(match.group(1))
                end = min(int(match.group(2)) + 1, size) if match.group(2) else size
            if not match or start >= size or end <= start:
                headers = [("Content-Range", f"bytes */{size}")]
                return Answer(416, headers, b"")
            status = 206
            headers.append(("Content-Range", f"bytes {start}-{end - 1}/{size}"))
        return Answer(status, headers, self.blobs.read(digest, start, end), end - start)
