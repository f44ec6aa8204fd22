"""Names, in one place (as go-containerregistry's ``name`` package): image references of ECR and
of any registry, registry hosts, accounts, regions, repositories, tags, digests and media types.
Everything here is parsed and checked locally, before any call (bad input is exit 2).

``HOST/PATH[:TAG][@DIGEST]``: the first path component is a registry host when it holds a ``.``
or a ``:`` or is ``localhost``. Without a host, docker means Docker Hub; ecrctl means the ECR
registry of the side's AWS profile (``app:1.4`` is ``ACCOUNT.dkr.ecr.REGION.amazonaws.com/
app:1.4``), so Docker Hub is written out: ``docker.io/library/nginx:1.27``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ecrctl.core.exceptions import InvalidInput

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ImageIdentifierTypeDef

# -- media types --------------------------------------------------------------------------------
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_V1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar"  # docker save's, uncompressed
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
INDEX_MEDIA_TYPES = frozenset({DOCKER_LIST, OCI_INDEX})
OCI_REF_NAME = "org.opencontainers.image.ref.name"  # an OCI layout's tag (index.json annotation)
# Every manifest type ecrctl reads, in the order a registry is asked for them (Accept); ECR's
# BatchGetImage answers only in a media type it is told the caller accepts.
MANIFEST_MEDIA_TYPES = (OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST)
SHORT_MEDIA_TYPES = {
    DOCKER_MANIFEST: "docker-manifest",
    DOCKER_LIST: "docker-manifest-list",
    DOCKER_V1: "docker-v1",
    OCI_MANIFEST: "oci-manifest",
    OCI_INDEX: "oci-index",
}


def short_media_type(media_type: str | None) -> str:
    if not media_type:
        return "-"
    return SHORT_MEDIA_TYPES.get(media_type, media_type)


# -- accounts, regions, repositories, tags, digests ---------------------------------------------
ACCOUNT_PATTERN = r"\d{12}"
REGION_PATTERN = r"[a-z]{2}(?:-[a-z]+)+-\d"
_ACCOUNT_RE = re.compile(ACCOUNT_PATTERN)
_REGION_RE = re.compile(REGION_PATTERN)
# botocore's model for RepositoryName (OCI distribution spec), anchored.
_REPO_RE = re.compile(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*")
_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
DIGEST_RE = re.compile(r"sha256:[a-f0-9]{64}")
HOST_RE = re.compile(
    rf"(?P<account>{ACCOUNT_PATTERN})\.dkr\.ecr(?P<fips>-fips)?\.(?P<region>{REGION_PATTERN})"
    r"\.(?P<suffix>amazonaws\.com\.cn|amazonaws\.com|sc2s\.sgov\.gov|c2s\.ic\.gov)"
)
# Any registry: the distribution spec's path component and tag grammar, and a host[:port].
_PATH_RE = re.compile(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*")
_SPEC_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_ANY_HOST_RE = re.compile(r"(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?")
DOCKER_HUB = "registry-1.docker.io"
_HUB_ALIASES = {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
PUBLIC_ECR = "public.ecr.aws"
LOOPBACK = ("localhost", "127.0.0.1", "[::1]")


def is_account(value: str) -> bool:
    return bool(_ACCOUNT_RE.fullmatch(value))


def validate_account(account: str, option: str = "--to-account") -> str:
    """A 12-digit AWS account id; ``option`` names where it was given."""
    if not is_account(account):
        raise InvalidInput(f"invalid {option} {account!r}: a 12-digit AWS account id")
    return account


def validate_registry_id(registry_id: str) -> str:
    return validate_account(registry_id, "registry id")


def validate_region(region: str, option: str = "--to-region") -> str:
    if not _REGION_RE.fullmatch(region):
        raise InvalidInput(f"invalid {option} {region!r}: expected a region such as eu-west-1")
    return region


# -- ECR -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegistryHost:
    account: str
    region: str
    fips: bool = False
    suffix: str = "amazonaws.com"
    # The host an emulator's ECR API reports for the registry (repositoryUri, proxyEndpoint),
    # where it is not ECR's own form: the sandbox's 127.0.0.1:PORT. None: ECR's host.
    reported: str | None = None

    def __str__(self) -> str:
        if self.reported:
            return self.reported
        fips = "-fips" if self.fips else ""
        return f"{self.account}.dkr.ecr{fips}.{self.region}.{self.suffix}"


@dataclass(frozen=True)
class Reference:
    """One image: repository, tag, digest, and the registry host it lives in (None: the ECR
    registry of the profile in use). ``repo``, ``repo:tag``, ``repo@sha256:...``, a full URI."""

    repository: str
    tag: str | None = None
    digest: str | None = None
    host: str | None = None

    @property
    def registry(self) -> RegistryHost | None:
        """The ECR registry the host names (None for the profile's own, or another registry)."""
        return parse_host(self.host) if self.host else None

    @property
    def is_ecr(self) -> bool:
        return self.host is None or self.registry is not None

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
    def identifier(self) -> str:
        """What a manifest endpoint is asked for: the digest when there is one, else the tag
        (``latest`` when neither is given, as docker reads ``repo``)."""
        return self.digest or self.tag or "latest"

    @property
    def suffix(self) -> str:
        """The tag or digest as written after the repository (``:tag``, ``@sha256:..``)."""
        if self.digest:
            return f"@{self.digest}"
        if self.tag:
            return f":{self.tag}"
        return ""

    def with_host(self, host: str) -> Reference:
        return replace(self, host=host)

    def __str__(self) -> str:
        text = f"{self.host}/{self.repository}" if self.host else self.repository
        return (
            text + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")
        )


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
    if not DIGEST_RE.fullmatch(digest):
        raise InvalidInput(
            f"invalid digest {digest!r}: expected sha256: and 64 lower-case hex digits"
        )
    return digest


def parse_image_ref(text: str, *, allow_reference: bool = True) -> Reference:
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
    return Reference(rest, tag, digest, str(registry) if registry else None)


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
    ref: Reference,
    *,
    registry_id: str | None,
    region: Callable[[], str],
    account: Callable[[], str],
    reported: Callable[[], str | None] | None = None,
) -> RegistryHost:
    """The registry a reference lives in; region and account are asked for only if needed,
    and ``reported()`` (an emulator's own registry host, or None) only for a bare name."""
    if ref.registry is not None:
        return ref.registry
    host = registry_host(registry_id or account(), region())
    other = reported() if reported is not None else None
    return replace(host, reported=other) if other else host


AWS_DOMAINS = ("amazonaws.com", "amazonaws.com.cn", "sc2s.sgov.gov", "c2s.ic.gov", "api.aws")


def is_aws_endpoint(url: str) -> bool:
    """Whether an API endpoint is AWS's own (VPC endpoints included), not an emulator."""
    from urllib.parse import urlsplit

    name = (urlsplit(url).hostname or "").lower()
    return any(name == d or name.endswith("." + d) for d in AWS_DOMAINS)


def full_uri(ref: Reference, host: RegistryHost) -> str:
    return image_uri(host, ref.repository, tag=ref.tag, digest=ref.digest)


# -- any registry ------------------------------------------------------------------------------
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
        if not _ANY_HOST_RE.fullmatch(first):
            raise InvalidInput(f"{what} {raw!r}: {first!r} is not a registry host")
        host, rest = first.lower(), remainder
    digest = tag = None
    if "@" in rest:
        rest, _, digest = rest.partition("@")
        if not DIGEST_RE.fullmatch(digest):
            raise InvalidInput(
                f"{what} {raw!r}: invalid digest {digest!r} (expected sha256: and 64 hex digits)"
            )
    colon = rest.rfind(":")
    if colon > rest.rfind("/"):
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not _SPEC_TAG_RE.fullmatch(tag):
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
    return Reference(rest, tag, digest, host)


def destination(text: str, source: Reference) -> Reference:
    """DST: a repository keeps the source's tag (or digest); ``repo:tag`` names its own tag."""
    dst = parse_reference(text, what="destination")
    if dst.tag is None and dst.digest is None:
        return keep_tag(dst, source)
    return dst


def keep_tag(dst: Reference, source: Reference) -> Reference:
    """A destination named without a tag: the source's tag, else its digest, else ``latest``
    (a source without either means ``:latest``, as in docker)."""
    if source.tag or not source.digest:
        return replace(dst, tag=source.tag or "latest", digest=None)
    return replace(dst, tag=None, digest=source.digest)


def is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name in LOOPBACK or name.startswith("127.")


def scheme_for(host: str, insecure: frozenset[str] = frozenset()) -> str:
    """Plain HTTP only for a loopback registry or one named with --insecure-registry."""
    return "http" if is_loopback(host) or host in insecure else "https"
