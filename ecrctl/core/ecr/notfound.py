"""What ECR's "not found" says: where ecrctl looked, and the names closest to the one asked for.

``repository team/ap not found in registry 123456789012 (us-east-1); did you mean team/app?``
The account comes from the registry id asked for, else from ECR's own message ("... in the
registry with id '123456789012'"), the region from the client: neither costs a call. The closest
names do: one listing (DescribeRepositories, or ListImages for a tag) through the registry's own
reads, made only when the message is read (``NotFound``'s hint), so that a not-found that a
caller handles costs nothing and the success path never lists anything.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol

from ecrctl.core.exceptions import ImageNotFound, RepositoryNotFound

_ACCOUNT_IN_MESSAGE = re.compile(r"registry with id '(\d{12})'")
MAX_SUGGESTIONS = 3
CUTOFF = 0.75  # difflib's ratio: team/ap -> team/app (0.93), not team/web (0.67)
MAX_LISTED = 10_000  # names read for suggestions, at most (ten pages)


class Reads(Protocol):
    """What of EcrRegistry the messages use: its id, its listings and one call."""

    registry_id: str | None

    def items(self, operation: str, key: str, **params: Any) -> Iterator[Any]: ...

    def call(self, operation: str, *, mapped: bool = True, **params: Any) -> dict[str, Any]: ...


def looked_in(account: str | None, region: str | None) -> str:
    """`` in registry ACCOUNT (REGION)``, of the parts that are known."""
    where = f" in registry {account}" if account else ""
    return where + (f" ({region})" if region else "")


def closest(name: str, candidates: Iterable[str]) -> str:
    """``; did you mean a, b?`` for the candidates close to ``name`` ('' when none is)."""
    matches = difflib.get_close_matches(name, list(candidates), n=MAX_SUGGESTIONS, cutoff=CUTOFF)
    return f"; did you mean {', '.join(matches)}?" if matches else ""


def _best_effort(read: Callable[[], str]) -> str:
    try:
        return read()
    except Exception:
        return ""


def _account(registry: Reads, aws_message: str) -> str | None:
    said = _ACCOUNT_IN_MESSAGE.search(aws_message)
    return registry.registry_id or (said.group(1) if said else None)


def repository_not_found(
    registry: Reads, region: str | None, repository: str, aws_message: str = ""
) -> RepositoryNotFound:
    account = _account(registry, aws_message)
    repos: list[dict[str, Any]] = []

    def suggestions() -> str:
        listed = registry.items("describe_repositories", "repositories")
        repos.extend(itertools.islice(listed, MAX_LISTED))
        return closest(repository, [str(r["repositoryName"]) for r in repos])

    def hint() -> str:
        close = _best_effort(suggestions)
        found = account or next((r.get("registryId") for r in repos if r.get("registryId")), None)
        return looked_in(found, region) + close

    return RepositoryNotFound(f"repository {repository} not found", hint=hint)


def image_not_found(
    registry: Reads,
    region: str | None,
    repository: str,
    image_id: Mapping[str, str] | None,
    aws_message: str = "",
) -> ImageNotFound:
    """``team/app:1.4.9 not found in registry ...; did you mean 1.4.3, 1.4.2?`` for one tag
    asked for; ``team/app@sha256:...`` for a digest; ECR's own message for several ids."""
    account = _account(registry, aws_message)
    tag = (image_id or {}).get("imageTag")
    digest = (image_id or {}).get("imageDigest")

    def where() -> str:
        if account:
            return looked_in(account, region)

        def owner() -> str:  # the repository exists: its registry id
            listed = registry.call(
                "describe_repositories", mapped=False, repositoryNames=[repository]
            )
            return str(listed["repositories"][0]["registryId"])

        return looked_in(_best_effort(owner) or None, region)

    def tags() -> str:
        listed = registry.items(
            "list_images", "imageIds", repositoryName=repository, filter={"tagStatus": "TAGGED"}
        )
        first = itertools.islice(listed, MAX_LISTED)
        return closest(str(tag), [str(i["imageTag"]) for i in first if i.get("imageTag")])

    if tag and not digest:
        return ImageNotFound(
            f"{repository}:{tag} not found", hint=lambda: where() + _best_effort(tags)
        )
    if digest:
        return ImageNotFound(f"{repository}@{digest} not found", hint=where)
    detail = f": {aws_message}" if aws_message else ""
    return ImageNotFound(f"image not found in {repository}{detail}")
