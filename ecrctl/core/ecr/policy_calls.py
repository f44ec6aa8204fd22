"""``EcrRegistry``'s calls about a repository's policies and scans: lifecycle policies and AWS's
preview of them, repository policies, image scans (see core/ecr/api.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ecrctl.core.ecr.base import PAGE, Absent, EcrBase
from ecrctl.core.exceptions import (
    LifecyclePolicyNotFound,
    PreviewInProgress,
    Refused,
    ScanLimitExceeded,
    ScanNotFound,
)

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import (
        DeleteLifecyclePolicyResponseTypeDef,
        DescribeImageScanFindingsResponseTypeDef,
        GetLifecyclePolicyPreviewResponseTypeDef,
        GetLifecyclePolicyResponseTypeDef,
        ImageIdentifierTypeDef,
        LifecyclePolicyPreviewResultTypeDef,
        StartImageScanResponseTypeDef,
    )

PREVIEW_PAGE = 100  # GetLifecyclePolicyPreview: maxResults 1-100
NO_LIFECYCLE_POLICY = {"LifecyclePolicyNotFoundException": Absent}
NO_REPOSITORY_POLICY = {"RepositoryPolicyNotFoundException": Absent}


class PolicyCalls(EcrBase):
    # -- lifecycle policies --------------------------------------------------------------------

    def lifecycle_policy(self, repository: str) -> GetLifecyclePolicyResponseTypeDef | None:
        """GetLifecyclePolicy; None when the repository has none."""
        try:
            with self._answers(repository, NO_LIFECYCLE_POLICY):
                return self._ecr.get_lifecycle_policy(repositoryName=repository, **self._id())
        except Absent:
            return None

    def set_lifecycle_policy(self, repository: str, text: str) -> None:
        """PutLifecyclePolicy."""
        with self._answers(repository):
            self._ecr.put_lifecycle_policy(
                repositoryName=repository, lifecyclePolicyText=text, **self._id()
            )

    def remove_lifecycle_policy(
        self, repository: str
    ) -> DeleteLifecyclePolicyResponseTypeDef | None:
        """DeleteLifecyclePolicy: the policy deleted; None when there was none."""
        try:
            with self._answers(repository, NO_LIFECYCLE_POLICY):
                return self._ecr.delete_lifecycle_policy(repositoryName=repository, **self._id())
        except Absent:
            return None

    def start_lifecycle_preview(self, repository: str, text: str | None = None) -> None:
        """StartLifecyclePolicyPreview of ``text`` (None: of the current policy);
        LifecyclePolicyNotFound without either, PreviewInProgress when one is running."""
        expected = {
            "LifecyclePolicyNotFoundException": LifecyclePolicyNotFound,
            "LifecyclePolicyPreviewInProgressException": PreviewInProgress,
        }
        with self._answers(repository, expected):
            if text is None:
                self._ecr.start_lifecycle_policy_preview(repositoryName=repository, **self._id())
            else:
                self._ecr.start_lifecycle_policy_preview(
                    repositoryName=repository, lifecyclePolicyText=text, **self._id()
                )

    def lifecycle_preview(self, repository: str) -> GetLifecyclePolicyPreviewResponseTypeDef:
        """GetLifecyclePolicyPreview: its status and first page of results (at most 100)."""
        with self._answers(repository):
            return self._ecr.get_lifecycle_policy_preview(
                repositoryName=repository, maxResults=PREVIEW_PAGE, **self._id()
            )

    def lifecycle_preview_results(
        self, repository: str, next_token: str
    ) -> Iterator[LifecyclePolicyPreviewResultTypeDef]:
        """The preview's results from page ``next_token`` on (100 a page), as botocore's
        paginator reads them: until no token, and never the same token twice."""
        token: str | None = next_token
        seen: set[str] = set()
        while token:
            seen.add(token)
            with self._answers(repository):
                page = self._ecr.get_lifecycle_policy_preview(
                    repositoryName=repository,
                    maxResults=PREVIEW_PAGE,
                    nextToken=token,
                    **self._id(),
                )
            yield from page.get("previewResults") or []
            token = page.get("nextToken")
            if token in seen:
                raise Refused("ECR answered the same lifecycle preview page token twice")

    # -- repository policies -------------------------------------------------------------------

    def repository_policy(self, repository: str) -> str | None:
        """GetRepositoryPolicy: the policy text; None when the repository has none."""
        try:
            with self._answers(repository, NO_REPOSITORY_POLICY):
                got = self._ecr.get_repository_policy(repositoryName=repository, **self._id())
        except Absent:
            return None
        return got["policyText"]

    def write_repository_policy(self, repository: str, text: str) -> None:
        """SetRepositoryPolicy."""
        with self._answers(repository):
            self._ecr.set_repository_policy(
                repositoryName=repository, policyText=text, **self._id()
            )

    def remove_repository_policy(self, repository: str) -> bool:
        """DeleteRepositoryPolicy; False when there was none."""
        try:
            with self._answers(repository, NO_REPOSITORY_POLICY):
                self._ecr.delete_repository_policy(repositoryName=repository, **self._id())
        except Absent:
            return False
        return True

    # -- image scans ---------------------------------------------------------------------------

    def start_scan(
        self, repository: str, image_id: ImageIdentifierTypeDef
    ) -> StartImageScanResponseTypeDef:
        """StartImageScan; ScanLimitExceeded (ECR's message) when the image was scanned by hand
        in the last 24 hours."""
        with self._answers(repository, {"LimitExceededException": ScanLimitExceeded}):
            return self._ecr.start_image_scan(
                repositoryName=repository, imageId=image_id, **self._id()
            )

    def scan_findings(
        self, repository: str, image_id: ImageIdentifierTypeDef
    ) -> Iterator[DescribeImageScanFindingsResponseTypeDef]:
        """DescribeImageScanFindings, every page (read lazily); ScanNotFound when the image has
        no scan."""
        pages = self._ecr.get_paginator("describe_image_scan_findings").paginate(
            repositoryName=repository, imageId=image_id, **self._id(), PaginationConfig=PAGE
        )
        with self._answers(repository, {"ScanNotFoundException": ScanNotFound}):
            yield from pages
