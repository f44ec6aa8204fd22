"""What the sandbox answers in front of moto: the calls moto lacks, so no HTML 500 reaches a user.

A WSGI middleware around moto's server app (``moto.server``'s ``DomainDispatcherApplication``).
It looks only at the ``X-Amz-Target`` header of AWS's JSON protocol and passes every other
request to moto untouched, body unread:

- ECR Public (``SpencerFrontendService.*``): GetAuthorizationToken, as us-east-1 issues it, so
  ``ecrctl login --public`` works; any other ECR Public call gets a JSON error, not moto's page.
- ECR's StartLifecyclePolicyPreview / GetLifecyclePolicyPreview: computed with ecrctl's own
  evaluator over the repository's images, which are read from moto through the ECR API itself
  (the server is threaded, so the nested call is served while this one waits).
- Beneath it, ``EcrExtras`` (ecr_extras.py): pull-through cache rules, account settings, and
  DescribeImages' push times and scan status.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from _typeshed.wsgi import WSGIApplication as Wsgi
    from mypy_boto3_ecr import ECRClient

    from ecrctl.core.lifecycle.evaluate import Decision

from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.partitions import unknown_region
from ecrctl.sandbox.ecr_extras import EcrExtras

ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921."
PUBLIC_TARGET = "SpencerFrontendService."
TOKEN_SECONDS = 12 * 3600
PREVIEW_PAGE = 100
JSON_TYPE = "application/x-amz-json-1.1"

_REGION_RE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")


class ApiError(Exception):
    """An AWS-style error answer: ``{"__type": code, "message": ...}`` with HTTP 400."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Ids(TypedDict, total=False):
    """The registry a request names, when it names one."""

    registryId: str


@dataclass
class _Preview:
    registry_id: str
    repository: str
    policy_text: str
    results: list[dict[str, Any]] = field(default_factory=list)
    expiring: int = 0
    transitioning: int = 0


def _region(environ: WSGIEnvironment) -> str:
    match = _REGION_RE.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    return match.group(1) if match else "us-east-1"


def _unknown_region(environ: WSGIEnvironment) -> str | None:
    """What to say about a request signed for a region no AWS partition has (a typo), else None."""
    match = _REGION_RE.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    return unknown_region(match.group(1)) if match else None


def _answer(
    start_response: StartResponse, status: str, payload: dict[str, Any] | ApiError
) -> list[bytes]:
    if isinstance(payload, ApiError):
        payload = {"__type": payload.code, "message": payload.message}
    data = json.dumps(payload).encode()
    start_response(status, [("Content-Type", JSON_TYPE), ("Content-Length", str(len(data)))])
    return [data]


def _result(decision: Decision) -> dict[str, Any]:
    image = decision.image
    action: JsonObject = {"type": decision.action.upper()}
    if decision.action == "transition":
        action["targetStorageClass"] = "ARCHIVE"
    return {
        "imageTags": list(image.tags),
        "imageDigest": image.digest,
        "imagePushedAt": image.pushed_at.timestamp(),
        "action": action,
        "appliedRulePriority": decision.rule_priority,
        "storageClass": image.storage_class.upper(),
    }


class SandboxMiddleware:
    """Answers ECR Public's token and the lifecycle preview; moto answers everything else."""

    def __init__(self, inner: Wsgi, ecr_client: Callable[[str], ECRClient]) -> None:
        self.inner: Wsgi = EcrExtras(inner, ecr_client)
        self.ecr_client = ecr_client  # region -> an ECR client on this very server
        self.previews: dict[tuple[str, str, str], _Preview] = {}
        self.lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if environ.get("PATH_INFO") == "/moto-api/reset":
            with self.lock:
                self.previews.clear()
        handler: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None
        unknown = _unknown_region(environ)
        if unknown:  # moto's answer would be a KeyError page (and a traceback on the terminal)
            return _answer(
                start_response, "400 Bad Request", ApiError("ValidationException", unknown)
            )
        if target.startswith(PUBLIC_TARGET):
            handler = self._public
        elif target in (
            ECR_TARGET + "StartLifecyclePolicyPreview",
            ECR_TARGET + "GetLifecyclePolicyPreview",
        ):
            handler = self._preview
        if handler is None:
            return self.inner(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
            if not isinstance(body, dict):
                raise ApiError("InvalidParameterException", "the request body is not an object")
            answer = handler(target.split(".", 1)[1], {**body, "_region": _region(environ)})
            status, payload = "200 OK", answer
        except ApiError as error:
            return _answer(start_response, "400 Bad Request", error)
        except ValueError:
            malformed = ApiError("SerializationException", "malformed JSON body")
            return _answer(start_response, "400 Bad Request", malformed)
        return _answer(start_response, status, payload)

    # ECR Public ---------------------------------------------------------------------------

    def _public(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        if operation != "GetAuthorizationToken":
            raise ApiError(
                "UnsupportedCommandException",
                f"the ecrctl sandbox does not emulate ECR Public's {operation}; "
                "only GetAuthorizationToken",
            )
        token = base64.b64encode(f"AWS:sandbox-{secrets.token_hex(16)}".encode()).decode()
        return {
            "authorizationData": {
                "authorizationToken": token,
                "expiresAt": time.time() + TOKEN_SECONDS,
            }
        }

    # Lifecycle policy preview -------------------------------------------------------------

    def _preview(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        region = str(body["_region"])
        repository = str(body.get("repositoryName") or "")
        if not repository:
            raise ApiError("InvalidParameterException", "repositoryName is required")
        ecr = self.ecr_client(region)
        ids: _Ids = {}
        if body.get("registryId"):
            ids["registryId"] = str(body["registryId"])
        try:
            found = ecr.describe_repositories(repositoryNames=[repository], **ids)
        except ecr.exceptions.ClientError as error:
            info = error.response.get("Error", {})
            raise ApiError(str(info.get("Code")), str(info.get("Message"))) from None
        registry_id = str(found["repositories"][0]["registryId"])
        key = (region, registry_id, repository)
        if operation == "StartLifecyclePolicyPreview":
            preview = self._compute(ecr, repository, ids, registry_id, body)
            with self.lock:
                self.previews[key] = preview
            return {
                "registryId": registry_id,
                "repositoryName": repository,
                "lifecyclePolicyText": preview.policy_text,
                "status": "IN_PROGRESS",
            }
        with self.lock:
            stored = self.previews.get(key)
        if stored is None:
            raise ApiError(
                "LifecyclePolicyPreviewNotFoundException",
                f"There is no dry run for the repository '{repository}' "
                f"in the registry '{registry_id}'",
            )
        return self._page(stored, body)

    def _compute(
        self,
        ecr: ECRClient,
        repository: str,
        ids: _Ids,
        registry_id: str,
        body: dict[str, Any],
    ) -> _Preview:
        from ecrctl.core.ecr.api import EcrRegistry
        from ecrctl.core.exceptions import InvalidInput
        from ecrctl.core.lifecycle import evaluate, parse_policy
        from ecrctl.core.lifecycle.preview import LifecycleService

        text = body.get("lifecyclePolicyText")
        if not text:
            try:
                text = ecr.get_lifecycle_policy(repositoryName=repository, **ids)[
                    "lifecyclePolicyText"
                ]
            except ecr.exceptions.LifecyclePolicyNotFoundException:
                raise ApiError(
                    "LifecyclePolicyNotFoundException",
                    f"Lifecycle policy does not exist for the repository with name "
                    f"'{repository}' in the registry with id '{registry_id}'",
                ) from None
        try:
            policy = parse_policy(str(text))
        except InvalidInput as error:
            raise ApiError("InvalidParameterException", str(error)) from None
        # The images and what each index references, as the local preview reads them: ECR
        # never expires an image that a kept manifest list still references.
        inventory = LifecycleService(EcrRegistry(ecr, ids.get("registryId"))).inventory(repository)
        evaluation = evaluate(policy, inventory.images, datetime.now(UTC), inventory.references)
        return _Preview(
            registry_id,
            repository,
            str(text),
            [_result(d) for d in evaluation.affected],
            evaluation.count("expire"),
            evaluation.count("transition"),
        )

    def _page(self, preview: _Preview, body: dict[str, Any]) -> dict[str, Any]:
        limit = int(body.get("maxResults") or PREVIEW_PAGE)
        if not 1 <= limit <= PREVIEW_PAGE:
            raise ApiError("InvalidParameterException", "maxResults must be between 1 and 100")
        token = str(body.get("nextToken") or "0")
        if not token.isdigit():
            raise ApiError("InvalidParameterException", "invalid nextToken")
        results = preview.results
        wanted = body.get("imageIds") or []
        if wanted:
            digests = {i.get("imageDigest") for i in wanted if i.get("imageDigest")}
            tags = {i.get("imageTag") for i in wanted if i.get("imageTag")}
            results = [
                r for r in results if r["imageDigest"] in digests or tags & set(r["imageTags"])
            ]
        start = int(token)
        answer: dict[str, Any] = {
            "registryId": preview.registry_id,
            "repositoryName": preview.repository,
            "lifecyclePolicyText": preview.policy_text,
            "status": "COMPLETE",
            "previewResults": results[start : start + limit],
            "summary": {
                "expiringImageTotalCount": preview.expiring,
                "transitioningImageTotalCounts": [
                    {"targetStorageClass": "ARCHIVE", "imageTotalCount": preview.transitioning}
                ],
            },
        }
        if start + limit < len(results):
            answer["nextToken"] = str(start + limit)
        return answer
