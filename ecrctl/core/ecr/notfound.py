"""What ECR's "not found" says: where ecrctl looked, and the names closest to the one asked for.

``repository team/ap not found in registry 123456789012 (us-east-1); did you mean team/app?``
The account comes from the registry id asked for, else from ECR's own message ("... in the
registry with id '123456789012'"), the region from the client: neither costs a call. The closest
names do: one listing (DescribeRepositories, or ListImages for a tag) through EcrRegistry's own
methods, made only when the message is read (``NotFound``'s hint), so that a not-found that a
caller handles costs nothing and the success path never lists anything.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ecrctl.core.exceptions import ImageNotFound, RepositoryNotFound

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ImageIdentifierTypeDef

_ACCOUNT_IN_MESSAGE = re.compile(r"registry with id '(\d{12})'")
MAX_SUGGESTIONS = 3
CUTOFF = 0.75  # difflib's ratio: team/ap -> team/app (0.93), not team/web (0.67)
MAX_LISTED = 10_000  # names read for suggestions, at most (ten pages)

Names = Callable[[], Iterable[tuple[str, str | None]]]  # (name, registry id) pairs


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


def _account(registry_id: str | None, aws_message: str) -> str | None:
    said = _ACCOUNT_IN_MESSAGE.search(aws_message)
    return registry_id or (said.group(1) if said else None)


def repository_not_found(
    registry_id: str | None,
    region: str | None,
    repository: str,
    aws_message: str = "",
    listing: Names | None = None,
) -> RepositoryNotFound:
    """``listing()``: the registry's repositories (name, registry id), read for the hint."""
    account = _account(registry_id, aws_message)
    seen: list[tuple[str, str | None]] = []

    def suggestions() -> str:
        if listing is None:
            return ""
        seen.extend(itertools.islice(listing(), MAX_LISTED))
        return closest(repository, [name for name, _ in seen])

    def hint() -> str:
        close = _best_effort(suggestions)
        found = account or next((owner for _, owner in seen if owner), None)
        return looked_in(found, region) + close

    return RepositoryNotFound(f"repository {repository} not found", hint=hint)


def image_not_found(
    registry_id: str | None,
    region: str | None,
    repository: str,
    image: ImageIdentifierTypeDef | None,
    aws_message: str = "",
    tags: Callable[[], Iterable[str]] | None = None,
    owner: Callable[[], str] | None = None,
) -> ImageNotFound:
    """``team/app:1.4.9 not found in registry ...; did you mean 1.4.3, 1.4.2?`` for one tag
    asked for (``tags()``: the repository's tags); ``team/app@sha256:...`` for a digest; ECR's
    own message when several were asked for. ``owner()``: the repository's registry id, read
    when ECR's message does not say it."""
    account = _account(registry_id, aws_message)
    tag = (image or {}).get("imageTag")
    digest = (image or {}).get("imageDigest")

    def where() -> str:
        found = account or (_best_effort(owner) if owner is not None else None)
        return looked_in(found or None, region)

    def suggestions() -> str:
        if tags is None:
            return ""
        return closest(str(tag), itertools.islice(tags(), MAX_LISTED))

    if tag and not digest:
        return ImageNotFound(
            f"{repository}:{tag} not found", hint=lambda: where() + _best_effort(suggestions)
        )
    if digest:
        return ImageNotFound(f"{repository}@{digest} not found", hint=where)
    detail = f": {aws_message}" if aws_message else ""
    return ImageNotFound(f"image not found in {repository}{detail}")
