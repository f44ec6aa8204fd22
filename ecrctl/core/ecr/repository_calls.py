"""``EcrRegistry``'s calls about repositories and their images (see core/ecr/api.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, NotRequired, TypedDict, TypeVar

from ecrctl.core.ecr import notfound
from ecrctl.core.ecr.base import MAX_BATCH_IDS, PAGE, EcrBase, chunked
from ecrctl.core.exceptions import (
    ImageNotFound,
    RepositoryAlreadyExists,
    RepositoryNotEmpty,
    RepositoryNotFound,
)

if TYPE_CHECKING:
    from mypy_boto3_ecr.literals import ImageTagMutabilityType
    from mypy_boto3_ecr.type_defs import (
        BatchGetImageResponseTypeDef,
        CreateRepositoryRequestTypeDef,
        DescribeImagesFilterTypeDef,
        ImageDetailTypeDef,
        ImageFailureTypeDef,
        ImageIdentifierTypeDef,
        ImageReplicationStatusTypeDef,
        ImageTagMutabilityExclusionFilterTypeDef,
        ImageTypeDef,
        ListImagesFilterTypeDef,
        RepositoryTypeDef,
        TagTypeDef,
    )

Page = TypeVar("Page")
Item = TypeVar("Item")


class TagMutability(TypedDict):
    """PutImageTagMutability's (and CreateRepository's) tag mutability and its exceptions."""

    imageTagMutability: ImageTagMutabilityType
    imageTagMutabilityExclusionFilters: NotRequired[list[ImageTagMutabilityExclusionFilterTypeDef]]


class RepositoryCalls(EcrBase):
    # -- "not found", with the closest names (read only when the message is) ------------------

    def repository_not_found(self, repository: str, aws_message: str = "") -> RepositoryNotFound:
        def listing() -> Iterator[tuple[str, str | None]]:
            for found in self.repositories():
                yield found.get("repositoryName", ""), found.get("registryId")

        return notfound.repository_not_found(
            self.registry_id, self.region, repository, aws_message, listing
        )

    def image_not_found(
        self, repository: str, image: ImageIdentifierTypeDef | None, aws_message: str = ""
    ) -> ImageNotFound:
        def tags() -> Iterator[str]:
            for image_id in self.image_ids(repository, {"tagStatus": "TAGGED"}):
                if image_id.get("imageTag"):
                    yield image_id["imageTag"]

        def owner() -> str:
            return self.repository(repository).get("registryId", "")

        return notfound.image_not_found(
            self.registry_id, self.region, repository, image, aws_message, tags, owner
        )

    # -- repositories --------------------------------------------------------------------------

    def repositories(self) -> Iterator[RepositoryTypeDef]:
        """DescribeRepositories: every repository of the registry, every page."""
        pages = self._ecr.get_paginator("describe_repositories").paginate(
            **self._id(), PaginationConfig=PAGE
        )
        with self._answers():
            for page in pages:
                yield from page.get("repositories") or []

    def repository(self, name: str) -> RepositoryTypeDef:
        """DescribeRepositories of one repository (RepositoryNotFound when it is not there)."""
        with self._answers(name):
            found = self._ecr.describe_repositories(repositoryNames=[name], **self._id())
        for repository in found.get("repositories") or []:
            return repository
        raise self.repository_not_found(name)

    def first_repositories(self) -> tuple[list[RepositoryTypeDef], bool]:
        """One DescribeRepositories page of the largest size: the repositories, and whether
        there are more (a check that the caller may read ECR at all)."""
        with self._answers():
            page = self._ecr.describe_repositories(maxResults=PAGE["PageSize"], **self._id())
        return page.get("repositories") or [], bool(page.get("nextToken"))

    def create_repo(self, request: CreateRepositoryRequestTypeDef) -> RepositoryTypeDef:
        """CreateRepository; RepositoryAlreadyExists when the name is taken."""
        name = request["repositoryName"]
        request = request.copy()
        if self.registry_id:
            request["registryId"] = self.registry_id
        taken = RepositoryAlreadyExists(f"repository {name} already exists{self.where()}")
        with self._answers(name, {"RepositoryAlreadyExistsException": lambda _: taken}):
            created = self._ecr.create_repository(**request)
        return created["repository"]

    def delete_repo(self, name: str, *, force: bool) -> None:
        """DeleteRepository; RepositoryNotEmpty when it holds images and ``force`` is False."""
        with self._answers(name, {"RepositoryNotEmptyException": RepositoryNotEmpty}):
            self._ecr.delete_repository(repositoryName=name, force=force, **self._id())

    def set_tag_mutability(self, name: str, mutability: TagMutability) -> None:
        """PutImageTagMutability."""
        with self._answers(name):
            self._ecr.put_image_tag_mutability(repositoryName=name, **mutability, **self._id())

    def set_scan_on_push(self, name: str, scan_on_push: bool) -> None:
        """PutImageScanningConfiguration."""
        with self._answers(name):
            self._ecr.put_image_scanning_configuration(
                repositoryName=name,
                imageScanningConfiguration={"scanOnPush": scan_on_push},
                **self._id(),
            )

    def resource_tags(self, arn: str) -> list[TagTypeDef]:
        """ListTagsForResource of a repository (its ARN names the registry)."""
        return self._ecr.list_tags_for_resource(resourceArn=arn).get("tags") or []

    # -- images --------------------------------------------------------------------------------

    def _image_listing(
        self,
        paginate: Callable[..., Iterable[Page]],
        repository: str,
        status: DescribeImagesFilterTypeDef | ListImagesFilterTypeDef | None,
        items: Callable[[Page], list[Item]],
    ) -> Iterator[Item]:
        """The ``items`` of every page of DescribeImages or ListImages on a repository
        (``status`` filters), each page as large as ECR allows, read as they are asked for."""
        status_filter = {"filter": status} if status else {}
        pages = paginate(
            repositoryName=repository, **status_filter, **self._id(), PaginationConfig=PAGE
        )
        with self._answers(repository):
            for page in pages:
                yield from items(page)

    def images(
        self, repository: str, status: DescribeImagesFilterTypeDef | None = None
    ) -> Iterator[ImageDetailTypeDef]:
        """DescribeImages: every image of a repository (``status`` filters), every page."""
        paginate = self._ecr.get_paginator("describe_images").paginate
        return self._image_listing(
            paginate, repository, status, lambda page: page.get("imageDetails") or []
        )

    def images_by_id(
        self, repository: str, image_ids: Sequence[ImageIdentifierTypeDef]
    ) -> list[ImageDetailTypeDef]:
        """DescribeImages of the images named (ImageNotFound when one of them is missing)."""
        with self._answers(repository, image=image_ids[0] if len(image_ids) == 1 else None):
            found = self._ecr.describe_images(
                repositoryName=repository, imageIds=image_ids, **self._id()
            )
        return found.get("imageDetails") or []

    def image_ids(
        self, repository: str, status: ListImagesFilterTypeDef | None = None
    ) -> Iterator[ImageIdentifierTypeDef]:
        """ListImages: every (digest, tag) of a repository (``status`` filters), every page."""
        paginate = self._ecr.get_paginator("list_images").paginate
        return self._image_listing(
            paginate, repository, status, lambda page: page.get("imageIds") or []
        )

    def get_manifests(
        self,
        repository: str,
        image_ids: Sequence[ImageIdentifierTypeDef],
        media_types: Sequence[str],
    ) -> Iterator[tuple[list[ImageIdentifierTypeDef], BatchGetImageResponseTypeDef]]:
        """BatchGetImage, 100 ids a call: each chunk of ids with ECR's answer to it."""
        for chunk in chunked(image_ids, MAX_BATCH_IDS):
            with self._answers(repository):
                answer = self._ecr.batch_get_image(
                    repositoryName=repository,
                    imageIds=chunk,
                    acceptedMediaTypes=media_types,
                    **self._id(),
                )
            yield chunk, answer

    def put_manifest(
        self, repository: str, manifest: str, media_type: str, digest: str, tag: str
    ) -> ImageTypeDef:
        """PutImage (paced when ``pace`` was called). Errors are ECR's own: retag reports each
        tag's outcome from ECR's error codes."""
        return self._ecr.put_image(
            repositoryName=repository,
            imageManifest=manifest,
            imageManifestMediaType=media_type,
            imageDigest=digest,
            imageTag=tag,
            **self._id(),
        )["image"]

    def delete_image_ids(
        self, repository: str, image_ids: Sequence[ImageIdentifierTypeDef]
    ) -> list[ImageFailureTypeDef]:
        """BatchDeleteImage of at most 100 ids (untag sends its chunks concurrently and reports
        on each); returns the ids that failed. Errors are ECR's own, reported per id."""
        if len(image_ids) > MAX_BATCH_IDS:
            raise ValueError(f"BatchDeleteImage takes at most {MAX_BATCH_IDS} image ids a call")
        answer = self._ecr.batch_delete_image(
            repositoryName=repository, imageIds=image_ids, **self._id()
        )
        return answer.get("failures") or []

    def replication_statuses(
        self, repository: str, digest: str
    ) -> list[ImageReplicationStatusTypeDef]:
        """DescribeImageReplicationStatus of one image."""
        with self._answers(repository):
            got = self._ecr.describe_image_replication_status(
                repositoryName=repository, imageId={"imageDigest": digest}, **self._id()
            )
        return got.get("replicationStatuses") or []
