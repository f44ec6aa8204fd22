"""The ends a copy, ``digest`` and ``inspect`` take besides a registry reference, with skopeo's
transport names: ``oci:DIR[:TAG]`` (an OCI image layout directory) and
``docker-archive:FILE[:REF]`` (a ``docker save`` tarball)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ecrctl.core.copy.plan import platform_of
from ecrctl.core.distribution.archive import DockerArchive
from ecrctl.core.distribution.archive_writer import DockerArchiveWriter
from ecrctl.core.distribution.client import Manifest
from ecrctl.core.distribution.layout import OciLayout
from ecrctl.core.distribution.store import ImageStore
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.names import (
    DOCKER_HUB,
    INDEX_MEDIA_TYPES,
    Reference,
    destination,
    parse_reference,
    validate_tag,
)

Transport = Literal["oci", "docker-archive"]
TRANSPORTS: tuple[Transport, ...] = ("oci", "docker-archive")


@dataclass(frozen=True)
class LocalEnd:
    transport: Transport
    path: str
    name: str | None  # oci: the tag; docker-archive: the REF (repo:tag)

    def __str__(self) -> str:
        return f"{self.transport}:{self.path}" + (f":{self.name}" if self.name else "")


@dataclass(frozen=True)
class LocalReference(Reference):
    """A Reference to an image in a local end (what the copy's plan and result carry)."""

    end: LocalEnd | None = None

    def __str__(self) -> str:
        if self.end is None:
            return super().__str__()
        text = f"{self.end.transport}:{self.end.path}"
        if self.end.transport == "oci":
            return text + (f":{self.tag}" if self.tag else f"@{self.digest}")
        return text + (f":{self.end.name}" if self.end.name else "")


def local_end(text: str) -> LocalEnd | None:
    """``oci:DIR[:TAG]`` or ``docker-archive:FILE[:REF]``; None for a registry reference."""
    transport, sep, rest = text.partition(":")
    if not sep or transport not in TRANSPORTS:
        return None
    path, _, name = rest.partition(":")  # skopeo's split: the path holds no ':'
    if not path:
        raise InvalidInput(f"{text!r}: name the {'directory' if transport == 'oci' else 'file'}")
    if transport == "oci" and name:
        validate_tag(name)
    return LocalEnd(transport, path, name or None)


def open_source(end: LocalEnd) -> tuple[ImageStore, LocalReference]:
    """The store to read and the reference of the image in it (a tag given, or the only one)."""
    if end.transport == "oci":
        layout = OciLayout(end.path)
        tag, digest = (end.name, None) if end.name else layout.default_reference()
        return layout, LocalReference("", tag, digest, None, end)
    archive = DockerArchive(end.path)
    manifest = archive.select(end.name)
    # The image's name and tag (REF, else its first RepoTags entry) go on to a destination
    # named without a tag, as a registry source's do.
    name = end.name or next(iter(archive.repo_tags), None)
    named = parse_reference(name) if name else Reference("")
    return archive, LocalReference(named.repository, named.tag, manifest.digest, None, end)


def default_name(source: Reference) -> str:
    """The REF an archive written without one records: the source's name and tag."""
    host = "" if source.host in (None, DOCKER_HUB) else f"{source.host}/"
    if isinstance(source, LocalReference):
        host = ""
    return f"{host}{source.repository}:{source.tag or 'latest'}".lstrip("/")


def open_destination(end: LocalEnd, source: Reference) -> tuple[ImageStore, LocalReference]:
    """The store to write and the reference written: a tag given, else the source's."""
    if end.transport == "oci":
        tag = end.name or source.tag or (None if source.digest else "latest")
        if tag is None:
            raise InvalidInput(
                f"{end}: name a tag (oci:{end.path}:TAG) for an image named by digest"
            )
        layout = OciLayout(end.path, create=True, role="destination")
        return layout, LocalReference("", tag, None, None, end)
    name = end.name or default_name(source)
    if name.startswith(":"):
        raise InvalidInput(f"{end}: name a tag (docker-archive:{end.path}:REPO:TAG)")
    written = LocalEnd(end.transport, end.path, name)
    return DockerArchiveWriter(end.path), LocalReference("", name, None, None, written)


def one_platform(store: ImageStore, top: Manifest) -> None:
    """An archive holds one platform's image: an index needs --platform (before any blob)."""
    if isinstance(store, DockerArchiveWriter) and top.media_type in INDEX_MEDIA_TYPES:
        offered = ", ".join(platform_of(c) for c in top.children)
        raise InvalidInput(
            f"{store.what} holds one platform's image: pass --platform (one of: {offered})"
        )


def abandon(store: ImageStore | None) -> None:
    """After a copy: the temporary file of an archive that was not finished goes."""
    if isinstance(store, DockerArchiveWriter):
        store.abandon()


def open_end(
    text: str, source: Reference | None, what: str = "source"
) -> tuple[ImageStore | None, Reference]:
    """One end of a copy as typed: a registry reference (no store yet: ``sides.open_side``
    makes it), or a local end (``oci:DIR[:TAG]``, ``docker-archive:FILE[:REF]``) opened at once.
    ``source``: None for the source; for the destination, the source's reference. ``what``
    names a source in errors (``image`` for digest and inspect, which have no destination)."""
    end = local_end(text)
    if end is None:
        if source is None:
            return None, parse_reference(text, what=what)
        return None, destination(text, source)
    return open_source(end) if source is None else open_destination(end, source)
