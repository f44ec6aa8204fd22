"""A small OCI distribution client over urllib3: manifests as bytes, blobs as streams, mounts.

Why not a library: the ORAS Python SDK (0.2.x) uploads blobs from files read whole into memory,
parses manifests to dicts and pushes them re-serialised (a new digest), and has no cross-repository
mount; docker's SDK needs a daemon. What a digest-preserving copy needs is ~10 endpoints of the
distribution spec, and urllib3 already comes with botocore.

Auth is the registry token flow: ``GET /v2/`` once, then the challenge it answers with decides:
``Basic`` sends the credentials, ``Bearer realm=..,service=..`` trades them (or nothing, for
anonymous pulls) for a token covering every repository scope this client was granted. A token is
never logged or put in an error message.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urljoin

import urllib3

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
MAX_MANIFEST_BYTES = 4 * 2**20  # the spec's limit that registries enforce
BLOCK = 1 << 20
Credentials = Callable[[], "tuple[str, str] | None"]
_CHALLENGE_RE = re.compile(r'(\w+)="([^"]*)"')


class RegistryError(Exception):
    """A registry answered with an error, or could not be reached."""

    def __init__(self, message: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status, self.code = status, code


class Denied(RegistryError):
    """401/403: no credentials, wrong ones, or no permission for the action."""


class Missing(RegistryError):
    """404: no such repository, manifest or blob."""


class Unreachable(RegistryError):
    """The connection failed or broke off."""


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
        except urllib3.exceptions.HTTPError as error:
            raise Unreachable(f"the source broke off mid-blob ({error})") from None
        if not data and self.remaining:
            raise Unreachable("the source ended the blob early")
        if self.remaining is not None:
            self.remaining -= len(data)
        self.hash.update(data)
        self.progress(len(data))
        return bytes(data)


class Registry:
    """One registry host. Thread-safe: the copy calls it from its blob workers."""

    def __init__(
        self,
        host: str,
        *,
        scheme: str = "https",
        credentials: Credentials | None = None,
        base_url: str | None = None,
        pool: urllib3.PoolManager | None = None,
        label: str = "",
    ) -> None:
        self.host = host
        self.base = (base_url or f"{scheme}://{host}").rstrip("/")
        self.label = label or host
        self._credentials = credentials
        self._pool = pool or urllib3.PoolManager(maxsize=8, timeout=urllib3.Timeout(30, 300))
        self._lock = threading.Lock()
        self._challenge: tuple[str, dict[str, str]] | None = None
        self._pinged = False
        self._scopes: dict[str, set[str]] = {}
        self._token: tuple[frozenset[str], str] | None = None
        self._creds: tuple[str, str] | None = None
        self._creds_read = False

    # -- auth ---------------------------------------------------------------------------
    def grant(self, repository: str, *actions: str) -> None:
        """Ask for ``actions`` on ``repository`` in the next token (pull, push)."""
        with self._lock:
            self._scopes.setdefault(repository, set()).update(actions)

    def _credentials_now(self) -> tuple[str, str] | None:
        if not self._creds_read:
            self._creds = self._credentials() if self._credentials else None
            self._creds_read = True
        return self._creds

    def _ping(self) -> None:
        response = self._raw("GET", f"{self.base}/v2/", {})
        self._pinged = True
        if response.status == 401:
            header = response.headers.get("WWW-Authenticate", "")
            scheme, _, params = header.partition(" ")
            self._challenge = (scheme.lower(), dict(_CHALLENGE_RE.findall(params)))

    def _authorization(self, refresh: bool = False) -> str | None:
        with self._lock:
            if not self._pinged:
                self._ping()
            if self._challenge is None:
                return None
            scheme, params = self._challenge
            creds = self._credentials_now()
            if scheme == "basic":
                if creds is None:
                    return None
                return "Basic " + base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
            scopes = frozenset(
                f"repository:{repo}:{','.join(sorted(actions))}"
                for repo, actions in self._scopes.items()
            )
            if self._token is None or self._token[0] != scopes or refresh:
                self._token = (scopes, self._fetch_token(params, scopes, creds))
            return f"Bearer {self._token[1]}"

    def _fetch_token(
        self, params: dict[str, str], scopes: frozenset[str], creds: tuple[str, str] | None
    ) -> str:
        realm = params.get("realm")
        if not realm:
            raise RegistryError(f"{self.label}: a Bearer challenge without a realm")
        query = [("service", params["service"])] if params.get("service") else []
        query += [("scope", scope) for scope in sorted(scopes)]
        headers = {}
        if creds is not None:
            headers["Authorization"] = (
                "Basic " + base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
            )
        url = realm + ("&" if "?" in realm else "?") + urlencode(query)
        response = self._raw("GET", url, headers)
        if response.status in (401, 403):
            raise Denied(f"{self.label}: the token service refused the credentials", status=401)
        if response.status != 200:
            raise RegistryError(f"{self.label}: token service HTTP {response.status}")
        try:
            body = json.loads(response.data)
            return str(body.get("token") or body["access_token"])
        except (ValueError, KeyError, AttributeError):
            raise RegistryError(f"{self.label}: the token service answered no token") from None

    # -- transport ----------------------------------------------------------------------
    def _raw(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: Any = None,
        *,
        stream: bool = False,
    ) -> Any:
        replayable = body is None or isinstance(body, bytes)
        retries = urllib3.Retry(
            total=3 if replayable else 0,
            connect=3 if replayable else 0,
            read=0,
            status=0,
            redirect=5 if method in ("GET", "HEAD") else 0,
            raise_on_redirect=False,
        )
        try:
            return self._pool.request(
                method,
                url,
                headers=headers,
                body=body,
                retries=retries,
                preload_content=not stream,
                redirect=method in ("GET", "HEAD"),
            )
        except urllib3.exceptions.HTTPError as error:
            reason = getattr(error, "reason", None) or error
            raise Unreachable(f"{self.label}: connection failed ({reason})") from None

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        stream: bool = False,
        ok: tuple[int, ...] = (200,),
    ) -> Any:
        url = path if path.startswith(("http://", "https://")) else f"{self.base}{path}"
        for attempt in (0, 1):
            sent = dict(headers or {})
            authorization = self._authorization(refresh=attempt == 1)
            if authorization:
                sent["Authorization"] = authorization
            response = self._raw(method, url, sent, body, stream=stream)
            retry = response.status == 401 and attempt == 0
            if retry and (body is None or isinstance(body, bytes)):
                response.release_conn()
                continue
            break
        if response.status in ok:
            return response
        raise self._error(method, path, response)

    def _error(self, method: str, path: str, response: Any) -> RegistryError:
        data = response.data if not response.closed else b""
        code = message = ""
        try:
            first = (json.loads(data or b"{}").get("errors") or [{}])[0]
            code, message = str(first.get("code", "")), str(first.get("message", ""))
        except (ValueError, AttributeError, IndexError):
            pass
        response.release_conn()
        detail = f"{self.label}: {method} {path.split('?')[0]}: HTTP {response.status}"
        detail += f" {code}: {message}" if code else ""
        kind: type[RegistryError] = RegistryError
        if response.status in (401, 403):
            kind = Denied
        elif response.status == 404:
            kind = Missing
        return kind(detail, status=response.status, code=code)

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
        """Stream a blob from ``open_source()`` (a urllib3 response): POST, PATCH..., PUT.

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
