"""An OCI image layout directory as a copy's source or destination (skopeo's ``oci:DIR:TAG``):
``oci-layout``, ``index.json`` (each tag an ``org.opencontainers.image.ref.name`` annotation)
and ``blobs/sha256/<hex>``. Manifests are kept byte for byte, so a digest survives the trip;
every blob read is checked against its digest, every blob written lands under its name only
once it is whole, and index.json is replaced in one rename."""

from __future__ import annotations

import json
import os
import threading
from typing import TYPE_CHECKING, Any

from ecrctl.core.distribution.answers import Descriptor
from ecrctl.core.distribution.client import (
    MAX_MANIFEST_BYTES,
    Manifest,
    RegistryError,
    local_manifest,
)
from ecrctl.core.distribution.localblobs import (
    BlobReader,
    LocalStore,
    copy_stream,
    hex_of,
    parse_json,
    read_bounded,
    sha256,
    write_atomically,
)
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.names import MANIFEST_MEDIA_TYPES, OCI_INDEX, OCI_REF_NAME

if TYPE_CHECKING:
    from ecrctl.core.distribution.blobput import BlobPut

LAYOUT_FILE = b'{"imageLayoutVersion": "1.0.0"}'


class OciLayout(LocalStore):
    """One layout directory; ``create`` makes it (or adds to it) for writing."""

    def __init__(self, path: str, *, create: bool = False, role: str = "source") -> None:
        super().__init__("oci", path, role)
        self._lock = threading.Lock()
        # For writing, a directory that is not there yet is made at the first write (a dry
        # run makes nothing); one that is there must be a layout, or empty.
        self._made = os.path.isfile(os.path.join(path, "index.json"))
        if os.path.exists(path) and not os.path.isdir(path):
            raise InvalidInput(f"oci:{path}: not a directory")
        if not create and not os.path.isdir(path):
            raise InvalidInput(f"oci:{path}: no such directory")
        if not create and not os.path.isfile(os.path.join(path, "oci-layout")):
            raise InvalidInput(f"oci:{path}: not an OCI image layout (no oci-layout file)")
        if self._made or not create:
            self._index()  # a bad index.json is refused before anything is read or written

    @property
    def _marker(self) -> str:
        return os.path.join(self.path, "oci-layout")

    def _create(self) -> None:
        if self._made:
            return
        try:
            os.makedirs(os.path.join(self.path, "blobs", "sha256"), exist_ok=True)
        except OSError as error:
            raise InvalidInput(f"oci:{self.path}: cannot create ({error.strerror})") from None
        marker = os.path.join(self.path, "oci-layout")
        if not os.path.exists(marker):
            write_atomically(marker, lambda f: _write(f, LAYOUT_FILE))
        if not os.path.exists(os.path.join(self.path, "index.json")):
            self._write_index(_empty_index())
        self._made = True

    # -- index.json -----------------------------------------------------------------------
    def _index(self) -> dict[str, Any]:
        where = os.path.join(self.path, "index.json")
        if not self._made and not os.path.exists(where) and os.path.isfile(self._marker):
            pass  # an oci-layout file without index.json: refused below, as for a source
        elif not self._made and not os.path.exists(where):
            return _empty_index()  # a destination not made yet
        try:
            with open(where, "rb") as file:
                doc = parse_json(read_bounded(file, where), where)
        except FileNotFoundError:
            raise InvalidInput(
                f"oci:{self.path}: not an OCI image layout (no index.json)"
            ) from None
        except OSError as error:
            raise InvalidInput(f"{where}: cannot read ({error.strerror})") from None
        entries = doc.get("manifests") if isinstance(doc, dict) else None
        if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("digest"), str) for e in entries
        ):
            raise InvalidInput(f"{where}: not an image index (no list of manifests with digests)")
        return dict(doc)

    def _write_index(self, doc: dict[str, Any]) -> None:
        data = json.dumps(doc, separators=(",", ":")).encode()
        write_atomically(os.path.join(self.path, "index.json"), lambda f: _write(f, data))

    def tags(self) -> list[str]:
        return [
            str((e.get("annotations") or {}).get(OCI_REF_NAME))
            for e in self._index()["manifests"]
            if (e.get("annotations") or {}).get(OCI_REF_NAME)
        ]

    def _entry(self, tag: str) -> dict[str, Any] | None:
        for entry in self._index()["manifests"]:
            if (entry.get("annotations") or {}).get(OCI_REF_NAME) == tag:
                return dict(entry)
        return None

    def default_reference(self) -> tuple[str | None, str | None]:
        """(tag, digest) of the one image a layout named without a tag holds."""
        entries = self._index()["manifests"]
        if len(entries) != 1:
            tags = ", ".join(self.tags()) or "none"
            raise InvalidInput(
                f"oci:{self.path} holds {len(entries)} images: name one as oci:{self.path}:TAG "
                f"(tags: {tags})"
            )
        tag = (entries[0].get("annotations") or {}).get(OCI_REF_NAME)
        return (str(tag), None) if tag else (None, str(entries[0]["digest"]))

    # -- manifests ------------------------------------------------------------------------
    def get_manifest(self, repository: str, reference: str) -> Manifest:
        media_type = ""
        if reference.startswith("sha256:"):
            digest = reference
        else:
            entry = self._entry(reference)
            if entry is None:
                tags = ", ".join(self.tags()) or "none"
                raise InvalidInput(f"oci:{self.path}: no image tagged {reference} (tags: {tags})")
            digest, media_type = str(entry["digest"]), str(entry.get("mediaType") or "")
        where = self._blob_path(digest)
        try:
            with open(where, "rb") as file:
                data = read_bounded(file, where, MAX_MANIFEST_BYTES)
        except FileNotFoundError:
            raise InvalidInput(f"oci:{self.path}: manifest {digest} is missing") from None
        if sha256(data) != digest:
            raise InvalidInput(f"{where}: does not match its digest")
        doc = parse_json(data, where)
        found = doc.get("mediaType") if isinstance(doc, dict) else None
        media_type = str(found or media_type)
        if media_type not in MANIFEST_MEDIA_TYPES:
            raise InvalidInput(f"{where}: not an image manifest or index ({media_type or '?'})")
        return local_manifest(data, media_type, digest, where)

    def head_manifest(self, repository: str, reference: str) -> str | None:
        if reference.startswith("sha256:"):
            return reference if os.path.exists(self._blob_path(reference)) else None
        entry = self._entry(reference)
        return str(entry["digest"]) if entry else None

    def put_manifest(self, repository: str, reference: str, manifest: Manifest) -> str:
        """Store the manifest; a tag (not a digest) also names it in index.json."""
        with self._lock:
            self._create()
        target = self._blob_path(manifest.digest)
        if not os.path.exists(target):
            write_atomically(target, lambda f: _write(f, manifest.data))
        if not reference.startswith("sha256:"):
            with self._lock:
                index = self._index()
                index["manifests"] = [
                    e
                    for e in index["manifests"]
                    if (e.get("annotations") or {}).get(OCI_REF_NAME) != reference
                ] + [
                    {
                        "mediaType": manifest.media_type,
                        "digest": manifest.digest,
                        "size": len(manifest.data),
                        "annotations": {OCI_REF_NAME: reference},
                    }
                ]
                self._write_index(index)
        return manifest.digest

    def referrers(self, repository: str, digest: str) -> tuple[list[Descriptor], Manifest | None]:
        return [], None

    # -- blobs ----------------------------------------------------------------------------
    def _blob_path(self, digest: str) -> str:
        return os.path.join(self.path, "blobs", "sha256", hex_of(digest, f"oci:{self.path}"))

    def head_blob(self, repository: str, digest: str) -> bool:
        return os.path.isfile(self._blob_path(digest))

    def blob_size(self, digest: str) -> int:
        return os.path.getsize(self._blob_path(digest))

    def open_blob(self, repository: str, digest: str, offset: int = 0) -> BlobReader:
        where = self._blob_path(digest)
        try:
            file = open(where, "rb")  # noqa: SIM115 - closed by release_conn
        except FileNotFoundError:
            raise InvalidInput(f"oci:{self.path}: blob {digest} is missing") from None
        size = os.fstat(file.fileno()).st_size
        return BlobReader(file, digest, size, f"oci:{self.path}", skipped=offset)

    def upload_blob(self, put: BlobPut) -> int:
        with self._lock:
            self._create()
        target = self._blob_path(put.digest)
        if os.path.exists(target):
            return 0
        source = put.open_source(0)

        def write(file: Any) -> None:
            got = copy_stream(source, file, put.size, put.progress)
            if got != put.digest:
                raise RegistryError(f"{self.label}: blob {put.digest} arrived as {got}")

        try:
            write_atomically(target, write)
        finally:
            source.release_conn()
        return 0


def _write(file: Any, data: bytes) -> None:
    file.write(data)


def _empty_index() -> dict[str, Any]:
    """A new layout's index.json (its mediaType: the image-index spec's SHOULD)."""
    return {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
