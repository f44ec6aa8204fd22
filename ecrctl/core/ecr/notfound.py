"""What ECR's "not found" says: where ecrctl looked, and the names closest to the one asked for.

``repository team/ap not found in registry 123456789012 (us-east-1); did you mean team/app?``
The account comes from the registry id asked for, else from ECR's own message ("... in the
registry with id '123456789012'"), the region from the client: neither costs a call. The closest
names do: one listing (DescribeRepositories, or ListImages for a tag), made only when the
message is read (``NotFound``'s hint), so that a not-found that a caller handles costs nothing
and the success path never lists anything.
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

from ecrctl.core.exceptions import ImageNotFound, RepositoryNotFound

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from mypy_boto3_ecr import ECRClient

_ACCOUNT_IN_MESSAGE = re.compile(r"registry with id '(\d{12})'")
MAX_SUGGESTIONS = 3
CUTOFF = 0.75  # difflib's ratio: team/ap -> team/app (0.93), not team/web (0.67)
MAX_LISTED = 10_000  # names read for suggestions, at most (ten pages)


def _region(ecr: ECRClient) -> str | None:
    region = getattr(getattr(ecr, "meta", None), "region_name", None)
    return str(region) if region else None


def looked_in(account: str | None, region: str | None) -> str:
    """`` in registry ACCOUNT (REGION)``, of the parts that are known."""
    where = f" in registry {account}" if account else ""
    return where + (f" ({region})" if region else "")


def closest(name: str, candidates: Iterable[str]) -> str:
    """``; did you mean a, b?`` for the candidates close to ``name`` ('' when none is)."""
    matches = difflib.get_close_matches(name, list(candidates), n=MAX_SUGGESTIONS, cutoff=CUTOFF)
    return f"; did you mean {', '.join(matches)}?" if matches else ""


def _listed(ecr: ECRClient, operation: str, key: str, **params: object) -> list[dict[str, str]]:
    items: list[dict[str, str]] = []
    pages = ecr.get_paginator(operation).paginate(  # type: ignore[call-overload]
        **params, PaginationConfig={"PageSize": 1000, "MaxItems": MAX_LISTED}
    )
    for page in pages:
        items += page.get(key) or []
    return items


def _best_effort(read: Callable[[], str]) -> str:
    try:
        return read()
    except Exception:
        return ""


def repository_not_found(
    ecr: ECRClient, registry_id: str | None, repository: str, aws_message: str = ""
) -> RepositoryNotFound:
    said = _ACCOUNT_IN_MESSAGE.search(aws_message)
    account = registry_id or (said.group(1) if said else None)
    params = {"registryId": registry_id} if registry_id else {}
    repos: list[dict[str, str]] = []

    def suggestions() -> str:
        repos.extend(_listed(ecr, "describe_repositories", "repositories", **params))
        return closest(repository, [r["repositoryName"] for r in repos])

    def hint() -> str:
        close = _best_effort(suggestions)
        found = account or next((r.get("registryId") for r in repos if r.get("registryId")), None)
        return looked_in(found, _region(ecr)) + close

    return RepositoryNotFound(f"repository {repository} not found", hint=hint)


def image_not_found(
    ecr: ECRClient,
    registry_id: str | None,
    repository: str,
    image_id: Mapping[str, str] | None,
    aws_message: str = "",
) -> ImageNotFound:
    """``team/app:1.4.9 not found in registry ...; did you mean 1.4.3, 1.4.2?`` for one tag
    asked for; ``team/app@sha256:...`` for a digest; ECR's own message for several ids."""
    said = _ACCOUNT_IN_MESSAGE.search(aws_message)
    account = registry_id or (said.group(1) if said else None)
    params: dict[str, object] = {"registryId": registry_id} if registry_id else {}
    tag = (image_id or {}).get("imageTag")
    digest = (image_id or {}).get("imageDigest")

    def where() -> str:
        if account:
            return looked_in(account, _region(ecr))

        def owner() -> str:  # the repository exists: its registry id
            listed = ecr.describe_repositories(repositoryNames=[repository], **params)  # type: ignore[arg-type]
            return str(listed["repositories"][0]["registryId"])

        return looked_in(_best_effort(owner) or None, _region(ecr))

    def tags() -> str:
        listed = _listed(
            ecr,
            "list_images",
            "imageIds",
            repositoryName=repository,
            filter={"tagStatus": "TAGGED"},
            **params,
        )
        return closest(str(tag), [i["imageTag"] for i in listed if i.get("imageTag")])

    if tag and not digest:
        return ImageNotFound(
            f"{repository}:{tag} not found", hint=lambda: where() + _best_effort(tags)
        )
    if digest:
        return ImageNotFound(f"{repository}@{digest} not found", hint=where)
    detail = f": {aws_message}" if aws_message else ""
    return ImageNotFound(f"image not found in {repository}{detail}", hint=lambda: "")
