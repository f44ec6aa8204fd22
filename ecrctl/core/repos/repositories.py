"""Repositories: create, list, show, set, remove."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from ecrctl.core.ecr.api import EcrRegistry, TagMutability
from ecrctl.core.exceptions import (
    InvalidInput,
    Refused,
    RepositoryAlreadyExists,
    RepositoryNotEmpty,
)
from ecrctl.core.models import RemovalPlan, Repository, RepositoryDetails
from ecrctl.core.names import validate_repository_name

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import (
        CreateRepositoryRequestTypeDef,
        ImageTagMutabilityExclusionFilterTypeDef,
        TagTypeDef,
    )

    from ecrctl.core.lifecycle.model import Policy


def parse_resource_tags(pairs: list[str]) -> list[TagTypeDef]:
    """``KEY=VALUE`` pairs as ECR resource tags."""
    tags: list[TagTypeDef] = []
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


# botocore's ImageTagMutabilityExclusionFilter.filter: letters, digits, . _ - and * wildcards.
_EXCEPTION_RE = re.compile(r"[0-9a-zA-Z._*-]{1,128}")


MAX_EXCEPTIONS = 5  # botocore's ImageTagMutabilityExclusionFilters: 1 to 5


def _patterns(
    option: str, patterns: Sequence[str]
) -> list[ImageTagMutabilityExclusionFilterTypeDef]:
    if len(set(patterns)) > MAX_EXCEPTIONS:
        raise InvalidInput(f"too many {option} patterns: ECR takes at most {MAX_EXCEPTIONS}")
    filters: list[ImageTagMutabilityExclusionFilterTypeDef] = []
    for pattern in dict.fromkeys(patterns):
        if not _EXCEPTION_RE.fullmatch(pattern):
            raise InvalidInput(
                f"invalid {option} {pattern!r}: 1 to 128 letters, digits, '.', '_', '-' "
                "and '*' wildcards"
            )
        filters.append({"filterType": "WILDCARD", "filter": pattern})
    return filters


def tag_mutability(
    *,
    immutable: bool | None,
    immutable_except: Sequence[str] = (),
    mutable_except: Sequence[str] = (),
    no_except: bool = False,
    current: Repository | None = None,
) -> TagMutability | None:
    """The ``imageTagMutability`` (and exclusion filters) to send; None leaves them as they are.

    Exceptions are never lost by accident: ``--immutable`` on a repository that is immutable
    except some tags keeps them; a switch that would make them meaningless is refused unless
    new ones (``--immutable-except``/``--mutable-except``) or ``--no-except`` say what to do.
    """
    if immutable_except and mutable_except:
        raise InvalidInput("--immutable-except and --mutable-except cannot be combined")
    if immutable_except and immutable is False:
        raise InvalidInput("--mutable contradicts --immutable-except")
    if mutable_except and immutable is True:
        raise InvalidInput("--immutable contradicts --mutable-except")
    if no_except and (immutable_except or mutable_except):
        raise InvalidInput("--no-except contradicts --immutable-except/--mutable-except")
    if immutable_except:
        return {
            "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
            "imageTagMutabilityExclusionFilters": _patterns("--immutable-except", immutable_except),
        }
    if mutable_except:
        return {
            "imageTagMutability": "MUTABLE_WITH_EXCLUSION",
            "imageTagMutabilityExclusionFilters": _patterns("--mutable-except", mutable_except),
        }
    current_base = current.tag_mutability.split("_WITH_EXCLUSION", 1)[0] if current else None
    if immutable is None:
        if no_except and current_base:
            return {"imageTagMutability": "IMMUTABLE" if current_base == "IMMUTABLE" else "MUTABLE"}
        return None
    base: Literal["IMMUTABLE", "MUTABLE"] = "IMMUTABLE" if immutable else "MUTABLE"
    if current is not None and current.mutability_exceptions and not no_except:
        if current_base == base:
            return {
                "imageTagMutability": current.tag_mutability,
                "imageTagMutabilityExclusionFilters": [
                    {"filterType": "WILDCARD", "filter": p} for p in current.mutability_exceptions
                ],
            }
        raise InvalidInput(
            f"repository {current.name} is {current.mutability}; --{base.lower()} would drop "
            f"those exceptions: pass --{base.lower()}-except PATTERN for new ones, "
            "or --no-except to drop them"
        )
    return {"imageTagMutability": base}


class RepositoryService:
    def __init__(self, registry: EcrRegistry) -> None:
        self.registry = registry

    def create(
        self,
        name: str,
        *,
        immutable: bool = False,
        immutable_except: Sequence[str] = (),
        mutable_except: Sequence[str] = (),
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
        mutability = tag_mutability(
            immutable=immutable or None,
            immutable_except=immutable_except,
            mutable_except=mutable_except,
        )
        chosen: TagMutability = mutability or {"imageTagMutability": "MUTABLE"}
        request: CreateRepositoryRequestTypeDef = {
            "repositoryName": name,
            "imageTagMutability": chosen["imageTagMutability"],
            "imageScanningConfiguration": {"scanOnPush": scan_on_push},
        }
        if "imageTagMutabilityExclusionFilters" in chosen:
            exceptions = chosen["imageTagMutabilityExclusionFilters"]
            request["imageTagMutabilityExclusionFilters"] = exceptions
        if kms_key:
            request["encryptionConfiguration"] = {"encryptionType": "KMS", "kmsKey": kms_key}
        if resource_tags:
            request["tags"] = resource_tags
        try:
            created = self.registry.create_repo(request)
        except RepositoryAlreadyExists:
            if not exist_ok:
                raise Refused(
                    f"repository {name} already exists (pass --exist-ok to accept that)"
                ) from None
            return self.get(name), False
        if lifecycle_policy is not None:
            self.registry.set_lifecycle_policy(name, lifecycle_policy.text)
        return Repository.from_api(created), True

    def get(self, name: str) -> Repository:
        validate_repository_name(name)
        return Repository.from_api(self.registry.repository(name))

    def list_all(self, prefix: str | None = None) -> list[Repository]:
        repos = [Repository.from_api(item) for item in self.registry.repositories()]
        if prefix:
            repos = [r for r in repos if r.name.startswith(prefix)]
        return sorted(repos, key=lambda r: r.name)

    def image_stats(self, name: str) -> tuple[int, int]:
        """(image count, total size in bytes) of a repository."""
        count = size = 0
        for image in self.registry.images(name):
            count += 1
            size += int(image.get("imageSizeInBytes") or 0)
        return count, size

    def show(self, name: str) -> RepositoryDetails:
        repository = self.get(name)
        count, size = self.image_stats(name)
        tags = self.registry.resource_tags(repository.arn)
        return RepositoryDetails(
            repository=repository,
            image_count=count,
            total_size_bytes=size,
            has_lifecycle_policy=self.registry.lifecycle_policy(name) is not None,
            has_repository_policy=self.registry.repository_policy(name) is not None,
            resource_tags={t["Key"]: t["Value"] for t in tags},
        )

    def set(
        self,
        name: str,
        *,
        immutable: bool | None,
        scan_on_push: bool | None,
        immutable_except: Sequence[str] = (),
        mutable_except: Sequence[str] = (),
        no_except: bool = False,
    ) -> Repository:
        if (
            immutable is None
            and scan_on_push is None
            and not (immutable_except or mutable_except or no_except)
        ):
            raise InvalidInput(
                "nothing to change: pass --immutable/--mutable, --immutable-except, "
                "--mutable-except, --no-except or --scan-on-push/--no-scan-on-push"
            )
        current = self.get(name)
        mutability = tag_mutability(
            immutable=immutable,
            immutable_except=immutable_except,
            mutable_except=mutable_except,
            no_except=no_except,
            current=current,
        )
        if mutability is not None:
            self.registry.set_tag_mutability(name, mutability)
        if scan_on_push is not None:
            self.registry.set_scan_on_push(name, scan_on_push)
        return self.get(name)

    def plan_removal(self, names: Sequence[str], *, force: bool) -> list[RemovalPlan]:
        """Check every repository before removing any: all exist, and are empty or forced."""
        plans = []
        for name in names:
            self.get(name)
            count, size = self.image_stats(name)
            if count and not force:
                plans.append(
                    RemovalPlan(
                        name,
                        count,
                        False,
                        f"holds {count} image(s); pass --force to remove them too",
                        size,
                    )
                )
            else:
                plans.append(RemovalPlan(name, count, True, size_bytes=size))
        return plans

    def remove(self, name: str, *, force: bool) -> None:
        try:
            self.registry.delete_repo(name, force=force)
        except RepositoryNotEmpty:
            raise Refused(
                f"repository {name} is not empty; pass --force to remove its images too"
            ) from None
