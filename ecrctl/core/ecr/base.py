"""What every part of ``EcrRegistry`` shares: the private client, the registry id, ECR's answers
mapped to ecrctl's exceptions, and the hooks for pacing and retry notes (see core/ecr/api.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypedDict, TypeVar

from ecrctl.core.ecr.hooks import ClientHooks, OnRetry
from ecrctl.core.ecr.pacing import TokenBucket, error_code
from ecrctl.core.exceptions import ImageNotFound, RepositoryNotFound

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_ecr.type_defs import PaginatorConfigTypeDef

T = TypeVar("T")

MAX_PAGE = 1000  # ListImages, DescribeImages, DescribeRepositories, ...: maxResults 1-1000
MAX_BATCH_IDS = 100  # BatchGetImage, BatchDeleteImage: at most 100 image ids a call
PAGE: PaginatorConfigTypeDef = {"PageSize": MAX_PAGE}

# ECR's error code -> the ecrctl exception a caller acts on, made from ECR's message.
Expected = Mapping[str, Callable[[str], Exception]]
NOTHING_EXPECTED: Expected = {}


def chunked(items: Sequence[T], size: int = MAX_BATCH_IDS) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def aws_message(error: BaseException) -> str:
    """ECR's own message of an error answer ('' when it has none)."""
    response = getattr(error, "response", None)
    error_info = response.get("Error") if isinstance(response, dict) else None
    return str((error_info or {}).get("Message") or "").strip()


class RegistryId(TypedDict, total=False):
    registryId: str


class Absent(Exception):
    """An answer that a method turns into None: no such policy, rule or setting."""


class EcrBase:
    """One registry's ECR API on one client (one region); ``registry_id`` None is the caller's."""

    def __init__(self, ecr: ECRClient, registry_id: str | None = None) -> None:
        self._ecr = ecr
        self.registry_id = registry_id
        self._hooks: ClientHooks | None = None

    def _id(self) -> RegistryId:
        """This registry's id for a call (none for the caller's own registry)."""
        return {"registryId": self.registry_id} if self.registry_id else {}

    @property
    def region(self) -> str | None:
        """The client's region (None for a client without one, as a test's fake)."""
        region = getattr(getattr(self._ecr, "meta", None), "region_name", None)
        return str(region) if region else None

    @property
    def endpoint_url(self) -> str:
        """The endpoint the client calls ('' for a client without one, as a test's fake)."""
        return str(getattr(getattr(self._ecr, "meta", None), "endpoint_url", "") or "")

    def where(self) -> str:
        """`` in registry ID (REGION)`` for a message; empty for the caller's own registry."""
        if not self.registry_id:
            return ""
        region = self.region
        return f" in registry {self.registry_id}" + (f" ({region})" if region else "")

    def repository_not_found(self, repository: str) -> RepositoryNotFound:
        return RepositoryNotFound(f"repository {repository} not found{self.where()}")

    def _mapped(self, error: Exception, repository: str, expected: Expected) -> Exception:
        """ecrctl's exception for an ECR answer a caller acts on, else the error itself."""
        code = error_code(error)
        if code and code in expected:
            return expected[code](aws_message(error))
        if code == "RepositoryNotFoundException" and repository:
            return self.repository_not_found(repository)
        if code == "ImageNotFoundException" and repository:
            message = aws_message(error)
            return ImageNotFound(f"image not found in {repository}: {message}".rstrip(": "))
        return error

    @contextmanager
    def _answers(
        self, repository: str = "", expected: Expected = NOTHING_EXPECTED
    ) -> Iterator[None]:
        """ECR's answers inside the block mapped: "not found" for ``repository`` (the one the
        call names; none for a registry-wide call), and the ``expected`` codes."""
        try:
            yield
        except Exception as error:
            mapped = self._mapped(error, repository, expected)
            if mapped is error:
                raise
            raise mapped from None

    # -- pacing and retry notes (botocore's events, once per HTTP attempt) ---------------------

    def _client_hooks(self) -> ClientHooks:
        if self._hooks is None:
            self._hooks = ClientHooks(self._ecr.meta.events)
        return self._hooks

    def pace(self, pacer: TokenBucket) -> None:
        """Ask ``pacer`` for a token before every PutImage attempt made through this client."""
        self._client_hooks().pace(pacer)

    def report_retries(self, on_retry: OnRetry) -> None:
        """Call ``on_retry(retry number, error code)`` before each retry botocore makes."""
        self._client_hooks().report_retries(on_retry)
