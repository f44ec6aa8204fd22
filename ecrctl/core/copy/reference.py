"""Image references as docker, crane and skopeo read them, with one ecrctl twist.

``HOST/PATH[:TAG][@DIGEST]``: the first path component is a registry host when it holds a ``.``
or a ``:`` or is ``localhost``. Without a host, docker means Docker Hub; ecrctl means the ECR
registry of the side's AWS profile (``app:1.4`` is ``ACCOUNT.dkr.ecr.REGION.amazonaws.com/
app:1.4``), so Docker Hub is written out: ``docker.io/library/nginx:1.27``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.names import RegistryHost, parse_host

DOCKER_HUB = "registry-1.docker.io"
_HUB_ALIASES = {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
PUBLIC_ECR = "public.ecr.aws"
# The distribution spec's path component and tag grammar.
_PATH_RE = re.compile(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*")
_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST_RE = re.compile(r"sha256:[a-f0-9]{64}")
_HOST_RE = re.compile(r"(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?")
LOOPBACK = ("localhost", "127.0.0.1", "[::1]")


@dataclass(frozen=True)
class Reference:
    """One image: registry host (None: the profile's own ECR registry), repository, tag, digest."""

    host: str | None
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def ecr(self) -> RegistryHost | None:
        return parse_host(self.host) if self.host else None

    @property
    def is_ecr(self) -> bool:
        return self.host is None or self.ecr is not None

    @property
    def reference(self) -> str:
        """What the manifest endpoint is asked for: the digest when there is one, else the tag."""
        return self.digest or self.tag or "latest"

    def with_host(self, host: str) -> Reference:
        return replace(self, host=host)

    def __str__(self) -> str:
        text = f"{self.host}/{self.repository}" if self.host else self.repository
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def _is_host(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost"


def parse_reference(text: str, *, what: str = "image") -> Reference:
    """Parse an image reference; every part is checked before any call (exit 2 otherwise)."""
    raw = text.strip()
    rest = raw.removeprefix("https://").removeprefix("http://")
    if not rest:
        raise InvalidInput(f"empty {what} reference")
    host: str | None = None
    first, sep, remainder = rest.partition("/")
    if sep and _is_host(first):
        if not _HOST_RE.fullmatch(first):
            raise InvalidInput(f"{what} {raw!r}: {first!r} is not a registry host")
        host, rest = first.lower(), remainder
    digest = tag = None
    if "@" in rest:
        rest, _, digest = rest.partition("@")
        if not _DIGEST_RE.fullmatch(digest):
            raise InvalidInput(
                f"{what} {raw!r}: invalid digest {digest!r} (expected sha256: and 64 hex digits)"
            )
    colon = rest.rfind(":")
    if colon > rest.rfind("/"):
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not _TAG_RE.fullmatch(tag):
            raise InvalidInput(
                f"{what} {raw!r}: invalid tag {tag!r} (letters, digits, '_', '.', '-'; "
                "at most 128 characters)"
            )
    if host in _HUB_ALIASES:
        host = DOCKER_HUB
        if "/" not in rest:
            rest = f"library/{rest}"
    if not _PATH_RE.fullmatch(rest) or len(rest) > 256:
        raise InvalidInput(
            f"{what} {raw!r}: invalid repository {rest!r} (lower-case letters, digits and "
            "single separators '.', '_', '__', '-' or '/')"
        )
    return Reference(host=host, repository=rest, tag=tag, digest=digest)


def destination(text: str, source: Reference) -> Reference:
    """DST: a repository keeps the source's tag (or digest); ``repo:tag`` names its own tag."""
    dst = parse_reference(text, what="destination")
    if dst.tag is None and dst.digest is None:
        return replace(dst, tag=source.tag, digest=None if source.tag else source.digest)
    return dst


def is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name in LOOPBACK or name.startswith("127.")


def scheme_for(host: str, insecure: frozenset[str] = frozenset()) -> str:
    """Plain HTTP only for a loopback registry or one named with --insecure-registry."""
    return "http" if is_loopback(host) or host in insecure else "https"
