"""Repositories: create, list, show, set, remove."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ecrctl.core.exceptions import InvalidInput, NotFound, Refused
from ecrctl.core.models import RemovalPlan, Repository, RepositoryDetails
from ecrctl.core.paging import paginate
from ecrctl.core.refs import validate_repository_name

if TYPE_CHECKING:
    from ecrctl.core.lifecycle.model import Policy


def parse_resource_tags(pairs: list[str]) -> list[dict[str, str]]:
    """``KEY=VALUE`` pairs as ECR resource tags."""
    tags: list[dict[str, str]] = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidInput(f"invalid --tag {pair!r}: expected KEY=VALUE")
        if len(key) > 128 or len(value) > 256:
            raise InvalidInput(
                f"invalid --tag {pair!r}: keys are at most 128 characters, values at most 256"
            )
        tags.append({"Key": key, "Value": value})
    return tags


class RepositoryService:
    def __init__(self, ecr: Any, registry_id: str | None = None) -> None:
        self.ecr = ecr
        self.registry_id = registry_id

    def _registry(self) -> dict[str, str]:
        return {"registryId": self.registry_id} if self.registry_id else {}

    def create(
        self,
        name: str,
        *,
        immutable: bool = False,
        scan_on_push: bool = False,
        kms_key: str | None = None,
        tags: list[str] | None = None,
        exist_ok: bool = False,
        lifecycle_policy: Policy | None = None,
    ) -> tuple[Repository, bool]:
        """Create a repository; returns it and whether it was created now.

        ``lifecycle_policy`` (already validated) is put on a repository created now, never on
        one that already existed."""
        validate_repository_name(name)
        resource_tags = parse_resource_tags(tags or [])
        params: dict[str, Any] = {
            "repositoryName": name,
            "imageTagMutability": "IMMUTABLE" if immutable else "MUTABLE",
            "imageScanningConfiguration": {"scanOnPush": scan_on_push},
            **self._registry(),
        }
        if kms_key:
            params["encryptionConfiguration"] = {"encryptionType": "KMS", "kmsKey": kms_key}
        if resource_tags:
            params["tags"] = resource_tags
        try:
            response = self.ecr.create_repository(**params)
        except self.ecr.exceptions.RepositoryAlreadyExistsException:
            if not exist_ok:
                raise Refused(
                    f"repository {name} already exists (pass --exist-ok to accept that)"
                ) from None
            return self.get(name), False
        if lifecycle_policy is not None:
            self.ecr.put_lifecycle_policy(
                repositoryName=name, lifecyclePolicyText=lifecycle_policy.text, **self._registry()
            )
        return Repository.from_api(response["repository"]), True

    def get(self, name: str) -> Repository:
        validate_repository_name(name)
        try:
            response = self.ecr.describe_repositories(repositoryNames=[name], **self._registry())
        except self.ecr.exceptions.RepositoryNotFoundException:
            raise NotFound(self._not_found(name)) from None
        return Repository.from_api(response["repositories"][0])

    def _not_found(self, name: str) -> str:
        where = f" in registry {self.registry_id}" if self.registry_id else ""
        return f"repository {name} not found{where}"

    def list_all(self, prefix: str | None = None) -> list[Repository]:
        repos = [
            Repository.from_api(item)
            for item in paginate(
                self.ecr, "describe_repositories", "repositories", **self._registry()
            )
        ]
        if prefix:
            repos = [r for r in repos if r.name.startswith(prefix)]
        return sorted(repos, key=lambda r: r.name)

    def image_stats(self, name: str) -> tuple[int, int]:
        """(image count, total size in bytes) of a repository."""
        count = size = 0
        try:
            for image in paginate(
                self.ecr, "describe_images", "imageDetails", repositoryName=name, **self._registry()
            ):
                count += 1
                size += int(image.get("imageSizeInBytes") or 0)
        except self.ecr.exceptions.RepositoryNotFoundException:
            raise NotFound(self._not_found(name)) from None
        return count, size

    def _exists(self, call: Any, missing: type[BaseException], name: str) -> bool:
        try:
            call(repositoryName=name, **self._registry())
        except missing:
            return False
        return True

    def show(self, name: str) -> RepositoryDetails:
        repository = self.get(name)
        count, size = self.image_stats(name)
        errors = self.ecr.exceptions
        return RepositoryDetails(
            repository=repository,
            image_count=count,
            total_size_bytes=size,
            has_lifecycle_policy=self._exists(
                self.ecr.get_lifecycle_policy, errors.LifecyclePolicyNotFoundException, name
            ),
            has_repository_policy=self._exists(
                self.ecr.get_repository_policy, errors.RepositoryPolicyNotFoundException, name
            ),
        )

    def set(self, name: str, *, immutable: bool | None, scan_on_push: bool | None) -> Repository:
        if immutable is None and scan_on_push is None:
            raise InvalidInput(
                "nothing to change: pass --immutable/--mutable or --scan-on-push/--no-scan-on-push"
            )
        self.get(name)
        if immutable is not None:
            self.ecr.put_image_tag_mutability(
                repositoryName=name,
                imageTagMutability="IMMUTABLE" if immutable else "MUTABLE",
                **self._registry(),
            )
        if scan_on_push is not None:
            self.ecr.put_image_scanning_configuration(
                repositoryName=name,
                imageScanningConfiguration={"scanOnPush": scan_on_push},
                **self._registry(),
            )
        return self.get(name)

    def plan_removal(self, names: Sequence[str], *, force: bool) -> list[RemovalPlan]:
        """Check every repository before removing any: all exist, and are empty or forced."""
        plans = []
        for name in names:
            self.get(name)
            count, _ = self.image_stats(name)
            if count and not force:
                plans.append(
                    RemovalPlan(
                        name,
                        count,
                        False,
                        f"holds {count} image(s); pass --force to remove them too",
                    )
                )
            else:
                plans.append(RemovalPlan(name, count, True))
        return plans

    def remove(self, name: str, *, force: bool) -> None:
        try:
            self.ecr.delete_repository(repositoryName=name, force=force, **self._registry())
        except self.ecr.exceptions.RepositoryNotFoundException:
            raise NotFound(self._not_found(name)) from None
        except self.ecr.exceptions.RepositoryNotEmptyException:
            raise Refused(
                f"repository {name} is not empty; pass --force to remove its images too"
            ) from None
