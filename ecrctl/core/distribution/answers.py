"""What a registry's answers must look like before the copy acts on them: manifests, indexes,
referrers, tokens, digests, media types, numbers in headers. Anything else is refused with a
BadAnswer (exit 1) that names the host (``where``) and what was wrong, never a crash; a digest
is checked here before it goes into a request path, and text a registry chose reaches the
terminal escaped (``shown``, events' ``printable``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ecrctl.core.exceptions import BadAnswer
from ecrctl.core.inputs import printable
from ecrctl.core.names import DIGEST_RE, INDEX_MEDIA_TYPES

# The OCI descriptor's media type grammar (RFC 6838 names).
_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
MEDIA_TYPE_RE = re.compile(rf"{_NAME}/{_NAME}")
_PLATFORM_RE = re.compile(r"[A-Za-z0-9._+-]{0,64}")
_TOKEN_RE = re.compile(r"[\x21-\x7e]+")  # visible ASCII: no space, CR, LF or control


def shown(value: Any, limit: int = 80) -> str:
    """A value a peer sent, for a message: escaped, at most ``limit`` characters."""
    text = printable(value if isinstance(value, str) else json.dumps(value, default=str))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def checked_digest(value: Any, where: str, what: str) -> str:
    """``value`` if it is ``sha256:`` and 64 lower-case hex digits, else BadAnswer."""
    if isinstance(value, str) and DIGEST_RE.fullmatch(value):
        return value
    raise BadAnswer(f"{where}: {what} is not a sha256 digest: {shown(value)}")


def checked_url(url: str, where: str, what: str) -> str:
    """An absolute http(s) URL a registry named (an upload location), else BadAnswer."""
    if urlsplit(url).scheme not in ("http", "https") or any(c in url for c in "\r\n\0"):
        raise BadAnswer(f"{where}: {what} is not an HTTP URL: {shown(url)}")
    return url


def header_count(value: str | None, where: str, what: str) -> int:
    """A non-negative count in a header (absent: 0)."""
    if value is None or not value.strip():
        return 0
    if not value.strip().isdigit() or len(value.strip()) > 18:
        raise BadAnswer(f"{where}: {what} is not a count: {shown(value)}")
    return int(value)


def json_object(data: bytes, where: str, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except RecursionError:
        raise BadAnswer(f"{where}: {what} is nested too deeply") from None
    except ValueError:
        raise BadAnswer(f"{where}: {what} is not JSON") from None
    if not isinstance(doc, dict):
        raise BadAnswer(f"{where}: {what} is not a JSON object")
    return doc


def media_type_of(data: bytes) -> str:
    """The ``mediaType`` a manifest names itself, or '' (a registry answered a generic type)."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return ""
    value = doc.get("mediaType") if isinstance(doc, dict) else None
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class Descriptor:
    digest: str
    size: int
    media_type: str
    platform: str = ""  # os/architecture[/variant], for an index's children
    foreign: bool = False  # a layer with urls: it stays where it is
    artifact_type: str = ""  # a referrer's (a signature, an SBOM)
    annotations: tuple[tuple[str, str], ...] = ()  # string values only, as the spec has them


def descriptor(value: Any, where: str, what: str) -> Descriptor:
    if not isinstance(value, dict):
        raise BadAnswer(f"{where}: {what} is not a JSON object")
    if "digest" not in value:
        raise BadAnswer(f"{where}: {what} has no digest")
    digest = checked_digest(value["digest"], where, f"the digest of {what}")
    size = value.get("size", 0)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise BadAnswer(f"{where}: the size of {what} is not a byte count: {shown(size)}")
    media_type = value.get("mediaType", "")
    if media_type and not (isinstance(media_type, str) and MEDIA_TYPE_RE.fullmatch(media_type)):
        raise BadAnswer(f"{where}: the media type of {what} is malformed: {shown(media_type)}")
    platform = _platform(value.get("platform"), where, what)
    artifact_type = value.get("artifactType", "")
    if not isinstance(artifact_type, str) or (
        artifact_type and not MEDIA_TYPE_RE.fullmatch(artifact_type)
    ):
        raise BadAnswer(
            f"{where}: the artifact type of {what} is malformed: {shown(artifact_type)}"
        )
    found = value.get("annotations")
    annotations = tuple(
        (k, v) for k, v in (found.items() if isinstance(found, dict) else ()) if isinstance(v, str)
    )
    urls = bool(value.get("urls"))
    return Descriptor(digest, size, media_type, platform, urls, artifact_type, annotations)


def _platform(value: Any, where: str, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, dict):
        raise BadAnswer(f"{where}: the platform of {what} is not a JSON object")
    variant = value.get("variant")
    parts = [value.get("os"), value.get("architecture"), *([variant] if variant else [])]
    if not all(isinstance(p, str | None) and _PLATFORM_RE.fullmatch(p or "") for p in parts):
        raise BadAnswer(f"{where}: the platform of {what} is malformed: {shown(value)}")
    return "/".join(p or "?" for p in parts)


def descriptor_list(doc: dict[str, Any], key: str, where: str, what: str) -> list[Descriptor]:
    value = doc.get(key)
    if not isinstance(value, list):
        raise BadAnswer(f"{where}: {key} of {what} is not a list")
    return [descriptor(item, where, f"{key}[{n}] of {what}") for n, item in enumerate(value)]


def manifest_parts(
    data: bytes, media_type: str, where: str, what: str
) -> tuple[tuple[Descriptor, ...], tuple[Descriptor, ...]]:
    """(children, blobs) of a manifest: an index's manifests; an image's config and layers
    (foreign layers left out)."""
    if not MEDIA_TYPE_RE.fullmatch(media_type):
        raise BadAnswer(f"{where}: the media type of {what} is malformed: {shown(media_type)}")
    doc = json_object(data, where, what)
    if media_type in INDEX_MEDIA_TYPES:
        return tuple(descriptor_list(doc, "manifests", where, what)), ()
    blobs: list[Descriptor] = []
    if "config" in doc:
        blobs.append(descriptor(doc["config"], where, f"the config of {what}"))
    if "layers" in doc:
        blobs += [d for d in descriptor_list(doc, "layers", where, what) if not d.foreign]
    return (), tuple(blobs)


def token_of(data: bytes, where: str) -> str:
    """The token in a token service's answer (``token`` or ``access_token``)."""
    doc = json_object(data, where, "the token answer")
    token = doc.get("token") or doc.get("access_token")
    if not isinstance(token, str) or not token:
        raise BadAnswer(f"{where}: the token answer holds no token")
    if not _TOKEN_RE.fullmatch(token):
        # Never shown: it is a credential, however odd.
        raise BadAnswer(f"{where}: the token answer holds a token with spaces, CR/LF or controls")
    return token
