"""The one typed ECR client wrapper: a registry's id, pages, "not found", pacing and retry notes.

Every service in ``core`` talks to ECR through an ``EcrRegistry`` (as chalice's ``TypedAWSClient``):

- the registry id (``--registry-id``, another account's registry) is added to every call here;
- listings use botocore's paginators, always asking for the largest page ECR allows;
- ``RepositoryNotFoundException`` and ``ImageNotFoundException`` become ``RepositoryNotFound``
  and ``ImageNotFound`` (both ``NotFound``, exit 3) with one message, naming the registry asked;
- PutImage is paced (about 10 calls a second per region) by a token bucket asked once per HTTP
  attempt, retries included, through botocore's ``before-send.ecr.PutImage`` event.

Retries: botocore's retry configuration is the only retry layer, its attempts set once in
``session.client``: the person's ``AWS_MAX_ATTEMPTS`` / ``max_attempts`` if set; else
``BULK_ATTEMPTS`` for the bulk writers (retag's PutImage, untag's BatchDeleteImage), room for a
burst of throttling; else botocore's default (3, as the aws CLI, so that a wrong endpoint fails
in a moment). botocore's standard mode retries throttling, 5xx answers and network errors with
backoff; ecrctl adds no loop of its own, so a throttled PutImage is tried at most that many times
in all. ``report_retries`` only observes botocore's retries (``needs-retry``, then the next
attempt's ``before-send``) to tell the person about them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ecrctl.core.ecr import notfound
from ecrctl.core.ecr.pacing import TokenBucket, error_code
from ecrctl.core.exceptions import ImageNotFound, RepositoryNotFound

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient

T = TypeVar("T")

BULK_ATTEMPTS = 8  # attempts per call of retag/untag when the person configured none (default 3)
MAX_PAGE = 1000  # ListImages, DescribeImages, DescribeRepositories, ...: maxResults 1-1000
MAX_BATCH_IDS = 100  # BatchGetImage, BatchDeleteImage: at most 100 image ids a call
# Operations whose maxResults stops below MAX_PAGE.
PAGE_SIZES = {"get_lifecycle_policy_preview": 100}

OnRetry = Callable[[int, str], Any]


def chunked(items: list[T], size: int = MAX_BATCH_IDS) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _attempt_of(request: Any) -> int:
    """The attempt number botocore writes in the ``amz-sdk-request`` header (1 if absent)."""
    header = request.headers.get("amz-sdk-request") or ""
    if isinstance(header, bytes):
        header = header.decode("ascii", "replace")
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "attempt" and value.isdigit():
            return int(value)
    return 1


class EcrRegistry:
    """One registry's ECR API on one client (one region); ``registry_id`` None is the caller's."""

    def __init__(self, ecr: ECRClient, registry_id: str | None = None) -> None:
        self.ecr = ecr
        self.registry_id = registry_id
        self._lock = threading.Lock()
        self._hooked: set[str] = set()
        self._pacer: TokenBucket | None = None
        self._on_retry: OnRetry | None = None
        self._last_failure = threading.local()

    # -- the registry id and "not found" ---------------------------------------------------------

    def params(self, **params: Any) -> dict[str, Any]:
        """The call's parameters with this registry's id (none for the caller's own registry)."""
        if self.registry_id:
            params["registryId"] = self.registry_id
        return params

    def where(self) -> str:
        """`` in registry ID (REGION)`` for a message; empty for the caller's own registry."""
        if not self.registry_id:
            return ""
        region = getattr(getattr(self.ecr, "meta", None), "region_name", None)
        return f" in registry {self.registry_id}" + (f" ({region})" if region else "")

    def repository_not_found(self, repository: str, aws_message: str = "") -> RepositoryNotFound:
        """Where ecrctl looked, and (when read) the closest names: core/ecr/notfound.py."""
        return notfound.repository_not_found(self, self._region(), repository, aws_message)

    def image_not_found(
        self, repository: str, image_id: dict[str, str] | None, aws_message: str = ""
    ) -> ImageNotFound:
        return notfound.image_not_found(self, self._region(), repository, image_id, aws_message)

    def _region(self) -> str | None:
        region = getattr(getattr(self.ecr, "meta", None), "region_name", None)
        return str(region) if region else None

    def _mapped(self, error: Exception, params: dict[str, Any]) -> Exception:
        """A core exception for ECR's "no such repository / image", else the error itself."""
        code = error_code(error)
        names = params.get("repositoryNames") or [""]
        repository = str(params.get("repositoryName") or (names[0] if len(names) == 1 else ""))
        message = str((getattr(error, "response", {}).get("Error") or {}).get("Message", ""))
        if code == "RepositoryNotFoundException" and repository:
            return self.repository_not_found(repository, message)
        if code == "ImageNotFoundException" and repository:
            ids = params.get("imageIds") or [params.get("imageId")]
            return self.image_not_found(repository, ids[0] if len(ids) == 1 else None, message)
        return error

    def call(self, operation: str, *, mapped: bool = True, **params: Any) -> dict[str, Any]:
        """``operation`` (a client method name) with the registry id; not-found mapped unless
        ``mapped`` is False (bulk writes report ECR's own error per id)."""
        method = getattr(self.ecr, operation)
        try:
            response: dict[str, Any] = method(**self.params(**params))
        except Exception as error:
            core = self._mapped(error, params) if mapped else error
            if core is error:
                raise
            raise core from None
        return response

    # -- pages -----------------------------------------------------------------------------------

    def pages(self, operation: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every page of a listing (botocore's paginator), the largest page size ECR takes.

        A ``nextToken`` in ``params`` starts from that page (one read while polling)."""
        paginator = self.ecr.get_paginator(operation)  # type: ignore[call-overload]
        config = {"PageSize": PAGE_SIZES.get(operation, MAX_PAGE)}
        try:
            yield from paginator.paginate(**self.params(**params), PaginationConfig=config)
        except Exception as error:
            mapped = self._mapped(error, params)
            if mapped is error:
                raise
            raise mapped from None

    def items(self, operation: str, key: str, **params: Any) -> Iterator[Any]:
        """The items under ``key`` of every page."""
        for page in self.pages(operation, **params):
            yield from page.get(key) or []

    # -- PutImage pacing and retry notes (botocore's events, once per HTTP attempt) --------------

    def _hook(self, event: str, handler: Callable[..., Any]) -> None:
        with self._lock:
            if event not in self._hooked:
                self._hooked.add(event)
                self.ecr.meta.events.register(event, handler)

    def pace(self, pacer: TokenBucket) -> None:
        """Ask ``pacer`` for a token before every PutImage attempt made through this client."""
        self._pacer = pacer
        self._hook("before-send.ecr.PutImage", self._before_put)

    def _before_put(self, **_: Any) -> None:
        if self._pacer is not None:
            self._pacer.acquire()

    def report_retries(self, on_retry: OnRetry) -> None:
        """Call ``on_retry(retry number, error code)`` before each retry botocore makes."""
        self._on_retry = on_retry
        self._hook("needs-retry.ecr", self._failed)
        self._hook("before-send.ecr", self._before_send)

    def _failed(self, response: Any = None, caught_exception: Any = None, **_: Any) -> None:
        if caught_exception is not None:
            code = type(caught_exception).__name__
        else:
            parsed = response[1] if isinstance(response, tuple) else {}
            code = str((parsed.get("Error") or {}).get("Code") or "")
        self._last_failure.code = code

    def _before_send(self, request: Any, **_: Any) -> None:
        attempt = _attempt_of(request)
        if attempt > 1 and self._on_retry is not None:
            self._on_retry(attempt - 1, str(getattr(self._last_failure, "code", "")))

    def put_image(self, **params: Any) -> dict[str, Any]:
        """PutImage with the registry id (paced when ``pace`` was called); errors unmapped:
        retag reports each tag's outcome from ECR's own error codes."""
        return self.call("put_image", mapped=False, **params)
