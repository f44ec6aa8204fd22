"""What the sandbox adds to moto's ECR: the registry calls moto lacks, and image facts it omits.

A WSGI layer right above moto's app (``SandboxMiddleware`` sits above it), dispatching on the
``X-Amz-Target`` of AWS's JSON protocol; every other request reaches moto untouched:

- pull-through cache rules and account settings (``registry_api``), kept per account and region;
- DescribeImages as ECR answers it: the push time an image was given (``ecrctl sandbox --seed``
  pushes its images days apart, through ``POST /ecrctl-sandbox/image-pushed-at``: moto stamps
  every image with the second it was put), and, for an image that was scanned (StartImageScan
  went through), ``imageScanStatus`` and ``imageScanFindingsSummary``, whose counts are those of
  the findings queued for it (``POST /moto-api/static/ecr/scan-finding-results``, seen on the way
  to moto) or of moto's one fake HIGH finding;
- BatchDeleteImage keeps an image an index in its repository references, with ECR's failure
  ``ImageReferencedByManifestList`` for its id (``references``); moto would delete it;
- ``POST /moto-api/reset`` forgets all of it, as moto forgets its own state.
"""

from __future__ import annotations

import io
import json
import re
import threading
import urllib.request
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from ecrctl.sandbox.references import failure, refused_ids
from ecrctl.sandbox.registry_api import DEFAULT_ACCOUNT, RegistryApi, ServiceError
from ecrctl.sandbox.wsgiamend import amended

ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921."
JSON_TYPE = "application/x-amz-json-1.1"
PUSHED_AT_PATH = "/ecrctl-sandbox/image-pushed-at"
SCAN_RESULTS_PATH = "/moto-api/static/ecr/scan-finding-results"
RESET_PATH = "/moto-api/reset"
SCAN_DONE = {"status": "COMPLETE", "description": "The scan was completed successfully."}
MOTO_FINDINGS = {"HIGH": 1}  # moto's one fake finding, for an image no findings were queued for
MAX_BODY = 16 * 1024 * 1024
# moto's answers that the sandbox reads (a scan, a deletion) or amends (DescribeImages).
DELETE = "BatchDeleteImage"  # an image an index references is refused (references.py)
OBSERVED = ("DescribeImages", "StartImageScan", DELETE, "DeleteRepository")

StartResponse = Callable[..., Any]
Wsgi = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
ImageKey = tuple[str, str, str, str]  # region, registry id, repository, digest
_REGION_RE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")


def request_region(environ: dict[str, Any]) -> str:
    match = _REGION_RE.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    return match.group(1) if match else "us-east-1"


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, read once and put back for the app beneath."""
    length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return bytes(body)


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(data or b"{}")
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise ServiceError("SerializationException", "the request body is not a JSON object")
    return doc


class EcrExtras:
    """moto's app with ECR's registry calls and DescribeImages' push and scan facts added."""

    def __init__(self, inner: Wsgi, ecr_client: Callable[[str], Any]) -> None:
        self.inner = inner
        self.ecr_client = ecr_client  # region -> an ECR client on this very sandbox
        self.registry = RegistryApi(self._secrets)
        self.lock = threading.Lock()
        self.pushed: dict[ImageKey, float] = {}
        self.scanned: dict[ImageKey, float] = {}
        self.queued: dict[str, list[dict[str, Any]]] = {}  # region -> findings queued for moto
        self._secret_clients: dict[str, Any] = {}

    def _secrets(self, region: str) -> Any:
        """A Secrets Manager client on this sandbox (the ECR client's endpoint)."""
        with self.lock:
            if region not in self._secret_clients:
                import boto3

                ecr = self.ecr_client(region)
                self._secret_clients[region] = boto3.session.Session().client(
                    "secretsmanager",
                    endpoint_url=ecr.meta.endpoint_url,
                    region_name=region,
                    aws_access_key_id="testing",
                    aws_secret_access_key="testing",
                )
            return self._secret_clients[region]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        operation = target.removeprefix(ECR_TARGET) if target.startswith(ECR_TARGET) else ""
        region = request_region(environ)
        try:
            if path == RESET_PATH:
                self._forget()
            elif path == SCAN_RESULTS_PATH and environ.get("REQUEST_METHOD") == "POST":
                self._note_queued(_json_object(_read_body(environ)))
            elif path == PUSHED_AT_PATH:
                return self._reply(start_response, self._set_pushed(environ))
            elif operation in RegistryApi.OPERATIONS:
                body = _json_object(_read_body(environ))
                return self._reply(start_response, self.registry.answer(operation, body, region))
            elif operation in OBSERVED:
                return self._observed(environ, start_response, operation, region)
        except ServiceError as error:
            return self._reply(start_response, {"__type": error.code, "message": error.message})
        return self.inner(environ, start_response)

    def _reply(
        self,
        start_response: StartResponse,
        doc: dict[str, Any],
        refused: list[dict[str, Any]] | None = None,
    ) -> list[bytes]:
        if refused:
            doc["failures"] = [*(doc.get("failures") or []), *map(failure, refused)]
        status = "400 Bad Request" if "__type" in doc else "200 OK"
        data = json.dumps(doc).encode()
        start_response(status, [("Content-Type", JSON_TYPE), ("Content-Length", str(len(data)))])
        return [data]

    # -- calls that moto answers, and the sandbox reads or amends ---------------------------

    def _observed(
        self, environ: dict[str, Any], start_response: StartResponse, operation: str, region: str
    ) -> list[bytes]:
        try:
            request = json.loads(_read_body(environ) or b"{}")
        except ValueError:
            request = None  # moto answers it as it does
        asked = request if isinstance(request, dict) else {}
        refused = refused_ids(self.ecr_client(region), asked) if operation == DELETE else []
        if refused:  # moto is asked for the rest only; ECR's failures are added to its answer
            kept = [i for i in asked.get("imageIds") or [] if i not in refused]
            if not kept:
                return self._reply(start_response, {"imageIds": [], "failures": []}, refused)
            body = json.dumps({**asked, "imageIds": kept}).encode()
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        return amended(
            self.inner,
            environ,
            start_response,
            lambda data: self._amend(operation, region, data, asked, refused),
        )

    def _amend(
        self,
        operation: str,
        region: str,
        data: bytes,
        asked: dict[str, Any],
        refused: list[dict[str, Any]],
    ) -> bytes:
        try:
            doc = json.loads(data)
        except ValueError:
            return data
        if refused and isinstance(doc, dict) and "__type" not in doc:
            doc["failures"] = [*(doc.get("failures") or []), *map(failure, refused)]
            data = json.dumps(doc).encode()
        if operation == "StartImageScan":
            key = self._key(region, doc, doc.get("imageId") or {})
            with self.lock:
                self.scanned[key] = datetime.now().timestamp()
            return data
        if operation in ("BatchDeleteImage", "DeleteRepository"):
            # What is deleted is forgotten: an image pushed again is new, and unscanned. Only
            # in its own repository: the same digest elsewhere (a copy mounts) keeps its facts.
            whole = operation == "DeleteRepository"
            repository = self._key(region, doc.get("repository") or asked, {})[:3]
            digests = {i.get("imageDigest") for i in doc.get("imageIds") or []}
            with self.lock:
                for key in list(self.pushed | self.scanned):
                    if key[:3] == repository and (whole or key[3] in digests):
                        self.pushed.pop(key, None)
                        self.scanned.pop(key, None)
            return data
        for detail in doc.get("imageDetails") or []:
            self._describe(region, detail)
        return json.dumps(doc).encode()

    @staticmethod
    def _key(region: str, doc: dict[str, Any], image: dict[str, Any]) -> ImageKey:
        registry_id = str(doc.get("registryId") or DEFAULT_ACCOUNT)
        return (region, registry_id, str(doc.get("repositoryName")), str(image.get("imageDigest")))

    def _describe(self, region: str, detail: dict[str, Any]) -> None:
        key = self._key(region, detail, detail)
        with self.lock:
            pushed = self.pushed.get(key)
            scanned = self.scanned.get(key)
            queued = list(self.queued.get(region, []))
        if pushed is not None:
            detail["imagePushedAt"] = pushed
        if scanned is None:
            return
        found = next((r for r in queued if self._names(r, key[2], detail)), None)
        status = (found or {}).get("imageScanStatus") or SCAN_DONE
        detail["imageScanStatus"] = status
        if status.get("status") in ("COMPLETE", "ACTIVE"):
            findings = (found or {}).get("imageScanFindings") or {}
            detail["imageScanFindingsSummary"] = {
                "imageScanCompletedAt": scanned,
                "vulnerabilitySourceUpdatedAt": scanned,
                "findingSeverityCounts": findings.get("findingSeverityCounts")
                or ({} if found else MOTO_FINDINGS),
            }

    @staticmethod
    def _names(result: dict[str, Any], repository: str, detail: dict[str, Any]) -> bool:
        """Whether queued findings are for this image (moto's own matching)."""
        if result.get("repositoryName") != repository:
            return False
        wanted = result.get("imageId") or {}
        tag, digest = wanted.get("imageTag"), wanted.get("imageDigest")
        if not tag and not digest:
            return True
        return tag in (detail.get("imageTags") or []) or digest == detail.get("imageDigest")

    # -- the sandbox's own paths ----------------------------------------------------------

    def _forget(self) -> None:
        self.registry.reset()
        with self.lock:
            self.pushed.clear()
            self.scanned.clear()
            self.queued.clear()

    def _note_queued(self, doc: dict[str, Any]) -> None:
        results = [r for r in doc.get("results") or [] if isinstance(r, dict)]
        with self.lock:
            self.queued.setdefault(str(doc.get("region") or "us-east-1"), []).extend(results)

    def _set_pushed(self, environ: dict[str, Any]) -> dict[str, Any]:
        if environ.get("REQUEST_METHOD") != "POST":
            raise ServiceError("InvalidParameterException", f"POST to {PUSHED_AT_PATH}")
        doc = _json_object(_read_body(environ))
        images = doc.get("images")
        if not isinstance(images, dict) or not all(
            isinstance(t, int | float) for t in images.values()
        ):
            raise ServiceError("InvalidParameterException", "images: {digest: epoch seconds}")
        region = str(doc.get("region") or "us-east-1")
        with self.lock:
            for digest, when in images.items():
                self.pushed[self._key(region, doc, {"imageDigest": digest})] = float(when)
        return {"updated": len(images)}


def set_pushed_at(ecr: Any, repository: str, pushed: dict[str, datetime]) -> None:
    """Give images of ``repository`` (digest -> time) their push time on the sandbox of ``ecr``."""
    doc = {
        "region": ecr.meta.region_name,
        "repositoryName": repository,
        "images": {digest: when.timestamp() for digest, when in pushed.items()},
    }
    request = urllib.request.Request(
        ecr.meta.endpoint_url.rstrip("/") + PUSHED_AT_PATH,
        data=json.dumps(doc).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        reply.read()
