"""Which repositories and tags a source holds.

- ECR: DescribeRepositories and ListImages through ``EcrRegistry`` (its paginators, 1000 a page).
- Other registries: ``/v2/_catalog`` and ``/v2/<name>/tags/list``, ``n`` items a page, the next
  page named by the ``Link`` header (``<...?n=1000&last=x>; rel="next"``), read bounded; a link
  to another host is refused (credentials go only to the host that asked for them).
- Docker Hub, which has no catalog: its repository listing of a namespace (hub.py), and
  ``tags/list`` on the registry as above.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urljoin, urlsplit

from ecrctl.core.distribution.client import Registry, RegistryError
from ecrctl.core.exceptions import InvalidInput

if TYPE_CHECKING:
    from ecrctl.core.ecr.api import EcrRegistry

PAGE = 1000
MAX_PAGE_BYTES = 8 * 2**20  # 1000 names of at most 256 characters, with room to spare
MAX_PAGES = 10_000
_LINK_RE = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]*)*)")


class Lister(Protocol):
    def repositories(self, prefix: str) -> list[str]:
        """Every repository whose name is ``prefix``/... (``""``: every one)."""
        ...

    def tags(self, repository: str) -> list[str]:
        """Every tag of one repository (NotFound / Missing when there is no such repository)."""
        ...


def under(prefix: str, names: list[str]) -> list[str]:
    return sorted(n for n in set(names) if not prefix or n.startswith(prefix + "/"))


class EcrLister:
    def __init__(self, ecr: EcrRegistry) -> None:
        self.ecr = ecr

    def repositories(self, prefix: str) -> list[str]:
        names = [str(r["repositoryName"]) for r in self.ecr.repositories()]
        return under(prefix, names)

    def tags(self, repository: str) -> list[str]:
        ids = self.ecr.image_ids(repository, {"tagStatus": "TAGGED"})
        return sorted({str(i["imageTag"]) for i in ids if i.get("imageTag")})


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` target of a Link header (RFC 8288), or None."""
    for target, params in _LINK_RE.findall(header or ""):
        rels = re.findall(r'rel\s*=\s*"?([^";]+)"?', params)
        if any("next" in r.split() for r in rels):
            return str(target).strip()
    return None


def _read_json(response: Any, what: str, label: str) -> Any:
    too_large = f"{label}: {what} answered more than {MAX_PAGE_BYTES >> 20} MiB a page"
    data = response.data  # read whole within the request's deadline, at most MAX_PAGE_BYTES
    if len(data) > MAX_PAGE_BYTES:
        raise RegistryError(too_large)
    try:
        return json.loads(data)
    except ValueError:
        raise RegistryError(f"{label}: {what} answered something other than JSON") from None


def paged(registry: Registry, path: str, key: str, what: str) -> Iterator[list[str]]:
    """The ``key`` list of every page of a distribution listing, following Link headers."""
    base = urlsplit(registry.base)
    url: str | None = path
    seen: set[str] = set()
    while url is not None:
        if url in seen or len(seen) >= MAX_PAGES:
            raise RegistryError(f"{registry.label}: {what} pages lead in a circle")
        seen.add(url)
        response = registry.request(
            "GET", url, headers={"Accept": "application/json"}, limit=MAX_PAGE_BYTES
        )
        doc = _read_json(response, what, registry.label)
        items = doc.get(key) if isinstance(doc, dict) else None
        if items is not None and not (
            isinstance(items, list) and all(isinstance(i, str) for i in items)
        ):
            raise RegistryError(f"{registry.label}: {what} answered a malformed {key!r} list")
        yield list(items or [])
        link = next_link(response.headers.get("Link"))
        if link is None:
            return
        target = urlsplit(urljoin(registry.base + url if url.startswith("/") else url, link))
        if (target.scheme, target.netloc) != (base.scheme, base.netloc):
            raise RegistryError(
                f"{registry.label}: {what} names its next page on another host "
                f"({target.netloc}); not followed"
            )
        url = target.path + (f"?{target.query}" if target.query else "")


class DistributionLister:
    """Any registry of the distribution spec (docker-registry, Harbor, GHCR, ...)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def repositories(self, prefix: str) -> list[str]:
        names: list[str] = []
        for page in paged(self.registry, f"/v2/_catalog?n={PAGE}", "repositories", "_catalog"):
            names += page
        return under(prefix, names)

    def tags(self, repository: str) -> list[str]:
        self.registry.grant(repository, "pull")
        path = f"/v2/{repository}/tags/list?n={PAGE}"
        found: list[str] = []
        for page in paged(self.registry, path, "tags", f"tags of {repository}"):
            found += page
        return sorted(set(found))


class HubLister(DistributionLister):
    """Docker Hub: repositories from its API (``list_namespace``), tags from the registry."""

    def __init__(self, registry: Registry, list_namespace: Callable[[str], list[str]]) -> None:
        super().__init__(registry)
        self.list_namespace = list_namespace

    def repositories(self, prefix: str) -> list[str]:
        if not prefix or "/" in prefix:
            raise InvalidInput(
                "Docker Hub has no catalog of repositories: name a namespace as SOURCE "
                "(docker.io/NAMESPACE/)"
            )
        return under(prefix, self.list_namespace(prefix))
