"""The sandbox's front door: ``/v2/`` goes to its registry, the rest to the ECR API (and moto),
whose answers then name the registry where it really is.

- A request under ``/v2/`` that is not signed with SigV4 is the registry's (distribution.py);
  AWS's own REST APIs under ``/v2/`` (API Gateway v2, SES v2) are signed, and go on to moto.
- ECR names a registry host in ``repositoryUri`` (CreateRepository, DescribeRepositories,
  DeleteRepository) and ``proxyEndpoint`` (GetAuthorizationToken). moto names ECR's own host,
  ``ACCOUNT.dkr.ecr.REGION.amazonaws.com``; here, for the sandbox's account and region, they name
  ``127.0.0.1:PORT`` (``http://`` for the endpoint), which docker, podman and skopeo reach. A
  token's ``expiresAt`` is ECR's 12 hours (moto says 2015), and its password is recorded as
  issued, for the registry's Basic auth.
- PutImage without ``imageDigest`` gets the sha256 of the manifest's bytes, as ECR computes it
  (moto derives one from the layer digests), so an image put through the API is found by its
  digest in the registry too.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecrctl.sandbox.blobstore import BlobStore
from ecrctl.sandbox.distribution import Distribution
from ecrctl.sandbox.ecrmanifests import EcrManifests
from ecrctl.sandbox.registryhttp import Passwords, StartResponse
from ecrctl.sandbox.wsgiamend import amended

Wsgi = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921."
REWRITTEN = frozenset(
    ECR_TARGET + name
    for name in (
        "CreateRepository",
        "DescribeRepositories",
        "DeleteRepository",
        "GetAuthorizationToken",
    )
)
TOKEN_SECONDS = 12 * 3600
MAX_API_BODY = 16 * 2**20


@dataclass(frozen=True)
class Served:
    """The registry the sandbox serves: ECR's host for it, and where it really is."""

    account: str
    region: str
    host: str  # 127.0.0.1:PORT

    @property
    def ecr_host(self) -> str:
        return f"{self.account}.dkr.ecr.{self.region}.amazonaws.com"


def _password(token: str) -> str | None:
    try:
        user, _, password = base64.b64decode(token).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return password if user == "AWS" and password else None


class FrontDoor:
    def __init__(self, api: Wsgi, registry: Wsgi, served: Served, passwords: Passwords) -> None:
        self.api, self.registry, self.served, self.passwords = api, registry, served, passwords

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO") or "")
        signed = str(environ.get("HTTP_AUTHORIZATION") or "").startswith("AWS4-")
        if (path == "/v2" or path.startswith("/v2/")) and not signed:
            return self.registry(environ, start_response)
        target = str(environ.get("HTTP_X_AMZ_TARGET") or "")
        if target == ECR_TARGET + "PutImage":
            _with_true_digest(environ)
        if target in REWRITTEN:
            return self._rewritten(environ, start_response)
        return self.api(environ, start_response)

    def _rewritten(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        return amended(self.api, environ, start_response, self._rewritten_body)

    def _rewritten_body(self, body: bytes) -> bytes:
        try:
            doc = json.loads(body)
        except ValueError:
            return body
        return json.dumps(self._rewrite(doc)).encode() if isinstance(doc, dict) else body

    def _rewrite(self, doc: dict[str, Any]) -> dict[str, Any]:
        prefix = self.served.ecr_host + "/"
        repositories = [doc.get("repository"), *(doc.get("repositories") or [])]
        for repository in repositories:
            uri = repository.get("repositoryUri") if isinstance(repository, dict) else None
            if isinstance(uri, str) and uri.startswith(prefix):
                repository["repositoryUri"] = f"{self.served.host}/{uri[len(prefix) :]}"
        for data in doc.get("authorizationData") or []:
            if not isinstance(data, dict) or data.get("proxyEndpoint") != (
                f"https://{self.served.ecr_host}"
            ):
                continue
            data["proxyEndpoint"] = f"http://{self.served.host}"
            data["expiresAt"] = int(time.time()) + TOKEN_SECONDS
            password = _password(str(data.get("authorizationToken") or ""))
            if password:
                self.passwords.issued(password)
        return doc


def _with_true_digest(environ: dict[str, Any]) -> None:
    """PutImage without ``imageDigest``: the sha256 of the manifest bytes, as ECR computes it."""
    text = str(environ.get("CONTENT_LENGTH") or "")
    if not text.isdigit() or int(text) > MAX_API_BODY:
        return
    body = environ["wsgi.input"].read(int(text))
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        params = json.loads(body)
    except ValueError:
        return
    manifest = params.get("imageManifest") if isinstance(params, dict) else None
    if not isinstance(manifest, str) or params.get("imageDigest"):
        return
    params["imageDigest"] = "sha256:" + hashlib.sha256(manifest.encode("utf-8")).hexdigest()
    rewritten = json.dumps(params).encode()
    environ["wsgi.input"] = io.BytesIO(rewritten)
    environ["CONTENT_LENGTH"] = str(len(rewritten))


def with_registry(
    api: Wsgi, *, served: Served, blob_root: Path, ecr: Callable[[str], Any]
) -> tuple[Wsgi, BlobStore]:
    """The sandbox's app: the registry of ``served`` in front of ``api`` (the ECR API and
    moto); ``ecr(region)`` is an ECR client on this very server. Also its blob store."""

    def fetch_password() -> str | None:
        # Through the front door, which records the password as issued; returned as well.
        data = ecr(served.region).get_authorization_token()["authorizationData"][0]
        return _password(str(data["authorizationToken"]))

    passwords = Passwords(fetch_password)
    blobs = BlobStore(blob_root)
    registry = Distribution(
        served.host, served.account, blobs, EcrManifests(ecr(served.region)), passwords
    )
    return FrontDoor(api, registry, served, passwords), blobs
