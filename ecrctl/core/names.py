"""Image references, names and registry hosts: parsed and checked locally, before any AWS call."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ecrctl.core.exceptions import InvalidInput

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ImageIdentifierTypeDef

# botocore's model for RepositoryName (OCI distribution spec), anchored.
_REPO_RE = re.compile(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*")
_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_DIGEST_RE = re.compile(r"sha256:[a-f0-9]{64}")
_REGISTRY_ID_RE = re.compile(r"\d{12}")
HOST_RE = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr(?P<fips>-fips)?\.(?P<region>[a-z]{2}(-[a-z]+)+-\d)"
    r"\.(?P<suffix>amazonaws\.com\.cn|amazonaws\.com|sc2s\.sgov\.gov|c2s\.ic\.gov)"
)


@dataclass(frozen=True)
class RegistryHost:
    account: str
    region: str
    fips: bool = False
    suffix: str = "amazonaws.com"

    def __str__(self) -> str:
        fips = "-fips" if self.fips else ""
        return f"{self.account}.dkr.ecr{fips}.{self.region}.{self.suffix}"


@dataclass(frozen=True)
class ImageRef:
    """``repo``, ``repo:tag``, ``repo@sha256:...`` or a full ECR URI."""

    repository: str
    tag: str | None = None
    digest: str | None = None
    registry: RegistryHost | None = None

    @property
    def image_id(self) -> ImageIdentifierTypeDef:
        """The ``imageId`` structure ECR takes."""
        if self.digest:
            return {"imageDigest": self.digest}
        if self.tag:
            return {"imageTag": self.tag}
        raise InvalidInput(
            f"{self.repository}: name a tag (repo:tag) or a digest (repo@sha256:...)"
        )

    @property
    def reference(self) -> str:
        """The tag or digest part as written after the repository (``:tag``, ``@sha256:..``)."""
        if self.digest:
            return f"@{self.digest}"
        if self.tag:
            return f":{self.tag}"
        return ""


def dns_suffix(region: str) -> str:
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


def registry_host(account: str, region: str, *, fips: bool = False) -> RegistryHost:
    validate_registry_id(account)
    return RegistryHost(account=account, region=region, fips=fips, suffix=dns_suffix(region))


def parse_host(host: str) -> RegistryHost | None:
    """A registry host (scheme and path tolerated), or None when it is not an ECR host."""
    text = host.strip()
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    text = text.split("/", 1)[0]
    match = HOST_RE.fullmatch(text)
    if not match:
        return None
    return RegistryHost(
        account=match["account"],
        region=match["region"],
        fips=bool(match["fips"]),
        suffix=match["suffix"],
    )


def validate_repository_name(name: str) -> str:
    if not 2 <= len(name) <= 256:
        raise InvalidInput(f"invalid repository name {name!r}: it must be 2 to 256 characters long")
    if not _REPO_RE.fullmatch(name):
        hint = ""
        if name != name.lower():
            hint = " (upper-case letters are not allowed)"
        elif name.startswith(("/", "-", "_", ".")) or name.endswith(("/", "-", "_", ".")):
            hint = " (it must start and end with a letter or digit)"
        raise InvalidInput(
            f"invalid repository name {name!r}{hint}: use lower-case letters, digits and "
            "single separators '.', '_', '__', '-' or '/' between them"
        )
    return name


def validate_tag(tag: str) -> str:
    if not 1 <= len(tag) <= 300:
        raise InvalidInput(f"invalid tag {tag!r}: a tag is 1 to 300 characters long")
    if not _TAG_RE.fullmatch(tag):
        raise InvalidInput(
            f"invalid tag {tag!r}: use letters, digits, '_', '.' and '-', "
            "starting with a letter, digit or '_'"
        )
    return tag


def validate_digest(digest: str) -> str:
    if not _DIGEST_RE.fullmatch(digest):
        raise InvalidInput(
            f"invalid digest {digest!r}: expected sha256: and 64 lower-case hex digits"
        )
    return digest


def validate_registry_id(registry_id: str) -> str:
    if not _REGISTRY_ID_RE.fullmatch(registry_id):
        raise InvalidInput(f"invalid registry id {registry_id!r}: it is a 12-digit AWS account id")
    return registry_id


def parse_image_ref(text: str, *, allow_reference: bool = True) -> ImageRef:
    """Parse what a user typed or pasted; every part is validated."""
    raw = text.strip()
    if not raw:
        raise InvalidInput("empty repository name")
    registry: RegistryHost | None = None
    rest = raw
    for prefix in ("https://", "http://"):
        if rest.startswith(prefix):
            rest = rest[len(prefix) :]
    first, sep, remainder = rest.partition("/")
    if sep and "." in first:
        registry = parse_host(first)
        if registry is None:
            raise InvalidInput(
                f"{first!r} is not an ECR registry host "
                "(expected ACCOUNT.dkr.ecr.REGION.amazonaws.com)"
            )
        rest = remainder
    tag = digest = None
    if "@" in rest:
        rest, _, digest = rest.partition("@")
        validate_digest(digest)
    else:
        # A ':' after the last '/' separates the tag.
        slash = rest.rfind("/")
        colon = rest.rfind(":")
        if colon > slash:
            rest, tag = rest[:colon], rest[colon + 1 :]
            validate_tag(tag)
    validate_repository_name(rest)
    if not allow_reference and (tag or digest):
        raise InvalidInput(f"{raw!r}: expected a repository name without a tag or digest")
    return ImageRef(repository=rest, tag=tag, digest=digest, registry=registry)


def without_reference(text: str) -> str:
    """What was typed or pasted, minus its tag or digest: ``HOST/repo:tag`` -> ``HOST/repo``.

    For commands that act on a whole repository (tags, images, repo show, lifecycle get): a
    pasted image URI names its repository, and its registry and region still count."""
    ref = parse_image_ref(text)
    return f"{ref.registry}/{ref.repository}" if ref.registry else ref.repository


def parse_tag_or_digest(text: str) -> ImageIdentifierTypeDef:
    """A SOURCE such as ``v1`` or ``@sha256:...`` (or ``sha256:...``) as an ECR imageId."""
    value = text.strip()
    if value.startswith("@"):
        return {"imageDigest": validate_digest(value[1:])}
    if value.startswith("sha256:"):
        return {"imageDigest": validate_digest(value)}
    return {"imageTag": validate_tag(value)}


def image_uri(
    host: RegistryHost, repository: str, *, tag: str | None = None, digest: str | None = None
) -> str:
    uri = f"{host}/{repository}"
    if digest:
        return f"{uri}@{digest}"
    if tag:
        return f"{uri}:{tag}"
    return uri


def resolve_host(
    ref: ImageRef, *, registry_id: str | None, region: Callable[[], str], account: Callable[[], str]
) -> RegistryHost:
    """The registry a reference lives in; region and account are asked for only if needed."""
    if ref.registry is not None:
        return ref.registry
    return registry_host(registry_id or account(), region())


def full_uri(ref: ImageRef, host: RegistryHost) -> str:
    return image_uri(host, ref.repository, tag=ref.tag, digest=ref.digest)
