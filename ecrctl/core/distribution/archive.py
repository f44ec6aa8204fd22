"""A ``docker save`` tarball as a copy's source or destination (skopeo's
``docker-archive:FILE[:REF]``).

Read: ``manifest.json`` names each image's config file, tags (RepoTags) and layer files, in the
old layout (``<id>/layer.tar``, ``<hex>.json``) or docker 25's (``blobs/sha256/<hex>``). The
image is served as a Docker v2 manifest built from them: the config as it is, each layer as it
is stored (``...diff.tar.gzip`` when it is gzip, else docker save's uncompressed
``...diff.tar``; never recompressed, so the digests are those of the files). Layer files named
by their digest are checked as they are read; others are hashed once to build the manifest.

Written (archive_writer.py): docker 25's layout, which docker load and skopeo read.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import tarfile
from typing import TYPE_CHECKING, Any

from ecrctl.core.distribution.answers import Descriptor
from ecrctl.core.distribution.client import Manifest, Missing, local_manifest
from ecrctl.core.distribution.localblobs import (
    BLOCK,
    MAX_DOCUMENT_BYTES,
    BlobReader,
    LocalStore,
    parse_json,
    sha256,
)
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.names import (
    DOCKER_CONFIG,
    DOCKER_HUB,
    DOCKER_LAYER,
    DOCKER_LAYER_TAR,
    DOCKER_MANIFEST,
    parse_reference,
)

if TYPE_CHECKING:
    from ecrctl.core.distribution.blobput import BlobPut

_BLOB_NAME = re.compile(r"^blobs/sha256/([0-9a-f]{64})$")
_GZIP = b"\x1f\x8b"


def normal_tag(text: str) -> str:
    """A RepoTags entry as one spelling: ``alpine:3`` and ``docker.io/library/alpine:3`` match."""
    try:
        ref = parse_reference(text)
    except InvalidInput:
        return text
    host = ref.host or DOCKER_HUB
    repository = ref.repository
    if host == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    return f"{host}/{repository}:{ref.tag or 'latest'}"


class DockerArchive(LocalStore):
    """One archive, read; the image it serves is chosen by :meth:`select`."""

    def __init__(self, path: str, *, role: str = "source") -> None:
        super().__init__("docker-archive", path, role)
        try:
            with open(path, "rb") as file:
                magic = file.read(2)
        except FileNotFoundError:
            raise InvalidInput(f"{self.what}: no such file") from None
        except OSError as error:
            raise InvalidInput(f"{self.what}: cannot read ({error.strerror})") from None
        if magic == _GZIP:
            raise InvalidInput(f"{self.what}: a compressed archive: gunzip it first")
        try:
            with tarfile.open(path, "r:") as tar:
                members = tar.getmembers()
        except (tarfile.TarError, OSError) as error:
            raise InvalidInput(f"{self.what}: not a tar archive ({error})") from None
        self._members = {posixpath.normpath(m.name): m for m in members}
        self.images = self._images()
        self.manifest: Manifest | None = None
        self.tag: str | None = None
        self.repo_tags: list[str] = []
        self._blobs: dict[str, tarfile.TarInfo] = {}

    def _images(self) -> list[dict[str, Any]]:
        where = f"{self.what}: manifest.json"
        data = self._read("manifest.json", where)
        doc = parse_json(data, where)
        if not isinstance(doc, list) or not doc:
            raise InvalidInput(f"{where}: not a list of images")
        for entry in doc:
            if (
                not isinstance(entry, dict)
                or not isinstance(entry.get("Config"), str)
                or not isinstance(entry.get("Layers"), list)
                or not all(isinstance(layer, str) for layer in entry["Layers"])
            ):
                raise InvalidInput(f"{where}: an entry without Config and Layers")
        return doc

    def _member(self, name: str, what: str) -> tarfile.TarInfo:
        key = posixpath.normpath(name)
        for _ in range(16):  # docker save links a repeated layer to its first copy
            member = self._members.get(key)
            if member is None:
                raise InvalidInput(f"{what}: {name} is not in the archive")
            if member.issym():
                key = posixpath.normpath(posixpath.join(posixpath.dirname(key), member.linkname))
            elif member.islnk():
                key = posixpath.normpath(member.linkname)
            elif member.isfile():
                return member
            else:
                raise InvalidInput(f"{what}: {name} is not a file")
        raise InvalidInput(f"{what}: {name} links in a circle")

    def _open(self, member: tarfile.TarInfo) -> Any:
        file = open(self.path, "rb")  # noqa: SIM115 - closed by the caller / BlobReader
        file.seek(member.offset_data)
        return file

    def _read(self, name: str, what: str) -> bytes:
        member = self._member(name, what)
        if member.size > MAX_DOCUMENT_BYTES:
            raise InvalidInput(f"{what}: {name} is larger than {MAX_DOCUMENT_BYTES // 2**20} MiB")
        with self._open(member) as file:
            data: bytes = file.read(member.size)
        return data

    # -- the image ------------------------------------------------------------------------
    def tags(self) -> list[str]:
        return [str(t) for entry in self.images for t in entry.get("RepoTags") or []]

    def select(self, ref: str | None) -> Manifest:
        """Choose the image ``ref`` names (None: the archive's only image); build its manifest."""
        if ref is None:
            if len(self.images) != 1:
                raise InvalidInput(
                    f"{self.what} holds {len(self.images)} images: name one as "
                    f"docker-archive:{self.path}:REF (tags: {', '.join(self.tags()) or 'none'})"
                )
            entry = self.images[0]
        else:
            wanted = normal_tag(ref)
            found = [
                e for e in self.images if wanted in {normal_tag(t) for t in e.get("RepoTags") or []}
            ]
            if not found:
                raise InvalidInput(
                    f"{self.what}: no image tagged {ref} (tags: {', '.join(self.tags()) or 'none'})"
                )
            entry = found[0]
        self.tag = ref
        self.repo_tags = [str(t) for t in entry.get("RepoTags") or []]
        self.manifest = self._build(entry)
        return self.manifest

    def _layer(self, name: str) -> dict[str, Any]:
        member = self._member(name, self.what)
        named = _BLOB_NAME.match(posixpath.normpath(name))
        with self._open(member) as file:
            head = file.read(min(2, member.size))
            if named:
                digest = f"sha256:{named.group(1)}"  # checked when it is read
            else:
                file.seek(member.offset_data)
                digest = _hash(file, member.size)
        self._blobs[digest] = member
        media_type = DOCKER_LAYER if head == _GZIP else DOCKER_LAYER_TAR
        return {"mediaType": media_type, "size": member.size, "digest": digest}

    def _build(self, entry: dict[str, Any]) -> Manifest:
        config_member = self._member(entry["Config"], self.what)
        config = self._read(entry["Config"], self.what)
        parse_json(config, f"{self.what}: {entry['Config']}")
        config_digest = sha256(config)
        self._blobs[config_digest] = config_member
        doc = {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": DOCKER_CONFIG, "size": len(config), "digest": config_digest},
            "layers": [self._layer(name) for name in entry["Layers"]],
        }
        data = json.dumps(doc, indent=3).encode()
        return local_manifest(data, DOCKER_MANIFEST, sha256(data), self.what)

    # -- what the copy calls ----------------------------------------------------------------
    def get_manifest(self, repository: str, reference: str) -> Manifest:
        if self.manifest is None:
            self.select(None)
        assert self.manifest is not None
        if reference in (self.manifest.digest, self.tag, "latest"):
            return self.manifest
        raise Missing(f"{self.what}: no manifest {reference}", status=404)

    def head_manifest(self, repository: str, reference: str) -> str | None:
        try:
            return self.get_manifest(repository, reference).digest
        except Missing:
            return None

    def referrers(self, repository: str, digest: str) -> tuple[list[Descriptor], Manifest | None]:
        return [], None

    def head_blob(self, repository: str, digest: str) -> bool:
        return digest in self._blobs

    def open_blob(self, repository: str, digest: str, offset: int = 0) -> BlobReader:
        member = self._blobs.get(digest)
        if member is None:
            raise Missing(f"{self.what}: no blob {digest}", status=404)
        return BlobReader(self._open(member), digest, member.size, self.what, skipped=offset)

    def put_manifest(self, repository: str, reference: str, manifest: Manifest) -> str:
        raise InvalidInput(f"{self.what} is read here, not written")

    def upload_blob(self, put: BlobPut) -> int:
        raise InvalidInput(f"{self.what} is read here, not written")


def _hash(file: Any, size: int) -> str:
    hashed = hashlib.sha256()
    while size > 0:
        data = file.read(min(BLOCK, size))
        if not data:
            break
        hashed.update(data)
        size -= len(data)
    return "sha256:" + hashed.hexdigest()
