"""A ``docker save`` tarball written by a copy (``docker-archive:FILE[:REF]``), in docker 25's
layout, which ``docker load`` and skopeo read: ``manifest.json`` (Config, RepoTags, Layers),
every blob under ``blobs/sha256/<hex>`` as it came (layers stay compressed: docker load and
skopeo decompress them; the digests stay those of the source), and ``oci-layout`` with an
``index.json`` naming the manifest, so the same tarball is an OCI layout too.

The tar is written to a temporary file beside FILE, one blob after another as they arrive
(blobs come from several threads; each is written whole under a lock, streamed, its digest
checked), and renamed onto FILE when the tag is written, the copy's last step: an interrupted
copy leaves FILE as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tarfile
import tempfile
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ecrctl.core.distribution.answers import Descriptor
from ecrctl.core.distribution.archive import normal_tag
from ecrctl.core.distribution.client import Manifest, RegistryError
from ecrctl.core.distribution.localblobs import BLOCK, LocalStore, hex_of
from ecrctl.core.distribution.transport import Unreachable
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.names import DOCKER_HUB, INDEX_MEDIA_TYPES, OCI_INDEX, OCI_REF_NAME

if TYPE_CHECKING:
    from ecrctl.core.distribution.blobput import BlobPut


class _Counted:
    """A source stream as tarfile reads it: hashed and counted as it goes."""

    def __init__(self, source: Any, progress: Callable[[int], None]) -> None:
        self.source, self.progress = source, progress
        self.hash = hashlib.sha256()

    def read(self, size: int = BLOCK) -> bytes:
        data = bytes(self.source.read(size, decode_content=False))
        self.hash.update(data)
        self.progress(len(data))
        return data


class DockerArchiveWriter(LocalStore):
    """FILE, written once by one copy."""

    def __init__(self, path: str, *, role: str = "destination") -> None:
        super().__init__("docker-archive", path, role)
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise InvalidInput(f"{self.what}: no such directory {directory}")
        if os.path.isdir(path):
            raise InvalidInput(f"{self.what}: is a directory")
        self._directory = directory
        self._lock = threading.Lock()
        self._tar: tarfile.TarFile | None = None
        self._temporary: str | None = None
        self._blobs: set[str] = set()
        self._manifests: dict[str, Manifest] = {}
        self._done: tuple[str, str] | None = None  # (tag, digest) once FILE is written

    def _open(self) -> tarfile.TarFile:
        if self._tar is None:
            handle, self._temporary = tempfile.mkstemp(prefix=".tmp-", dir=self._directory)
            self._tar = tarfile.TarFile(fileobj=os.fdopen(handle, "wb"), mode="w")
            # tarfile reads a blob in pieces of copybufsize (typeshed lacks the attribute)
            setattr(self._tar, "copybufsize", BLOCK)  # noqa: B010
        return self._tar

    def abandon(self) -> None:
        """Drop the temporary file (a failed copy)."""
        tar, self._tar = self._tar, None
        if tar is not None:
            with contextlib.suppress(OSError):
                tar.close()
                if tar.fileobj is not None:
                    tar.fileobj.close()
        if self._temporary:
            with contextlib.suppress(OSError):
                os.unlink(self._temporary)
            self._temporary = None

    def _add(self, name: str, size: int, body: Any) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode = size, 0o444
        self._open().addfile(info, body)

    # -- what the copy calls ----------------------------------------------------------------
    def head_blob(self, repository: str, digest: str) -> bool:
        return digest in self._blobs

    def head_manifest(self, repository: str, reference: str) -> str | None:
        if self._done and reference in self._done:
            return self._done[1]
        return reference if reference in self._manifests else None

    def referrers(self, repository: str, digest: str) -> tuple[list[Descriptor], Manifest | None]:
        return [], None

    def get_manifest(self, repository: str, reference: str) -> Manifest:
        raise InvalidInput(f"{self.what} is written here, not read")

    def open_blob(self, repository: str, digest: str, offset: int = 0) -> Any:
        raise InvalidInput(f"{self.what} is written here, not read")

    def upload_blob(self, put: BlobPut) -> int:
        digest = put.digest
        name = f"blobs/sha256/{hex_of(digest, self.what)}"
        source = put.open_source(0)
        try:
            with self._lock:
                if digest in self._blobs:
                    return 0
                body = _Counted(source, put.progress)
                try:
                    self._add(name, put.size, body)
                except OSError as error:  # tarfile: "unexpected end of data"
                    self.abandon()
                    raise Unreachable(f"{self.label}: blob {digest} came short ({error})") from None
                except BaseException:
                    self.abandon()
                    raise
                if "sha256:" + body.hash.hexdigest() != digest:
                    self.abandon()
                    raise RegistryError(f"{self.label}: blob {digest} arrived with another digest")
                self._blobs.add(digest)
        finally:
            source.release_conn()
        return 0

    def put_manifest(self, repository: str, reference: str, manifest: Manifest) -> str:
        """A digest: the manifest is kept as a blob; a tag (the copy's last step): FILE."""
        with self._lock:
            if reference.startswith("sha256:"):
                if manifest.digest not in self._manifests:
                    self._bytes(f"blobs/sha256/{manifest.digest[7:]}", manifest.data)
                    self._manifests[manifest.digest] = manifest
                return manifest.digest
            self._finish(reference, manifest)
        return manifest.digest

    def _bytes(self, name: str, data: bytes) -> None:
        self._add(name, len(data), io.BytesIO(data))

    def _finish(self, tag: str, manifest: Manifest) -> None:
        if manifest.media_type in INDEX_MEDIA_TYPES:
            self.abandon()
            raise InvalidInput(f"{self.what} holds one platform's image: pass --platform")
        doc = manifest.doc
        layers = [f"blobs/sha256/{layer['digest'][7:]}" for layer in doc.get("layers") or []]
        entry = {
            "Config": f"blobs/sha256/{doc['config']['digest'][7:]}",
            "RepoTags": [tag],
            "Layers": layers,
        }
        index = {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": manifest.media_type,
                    "digest": manifest.digest,
                    "size": len(manifest.data),
                    "annotations": _annotations(tag),
                }
            ],
        }
        if manifest.digest not in self._manifests:
            self._bytes(f"blobs/sha256/{manifest.digest[7:]}", manifest.data)
        self._bytes("manifest.json", json.dumps([entry]).encode())
        self._bytes("index.json", json.dumps(index).encode())
        self._bytes("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        tar = self._open()
        try:
            tar.close()
            assert tar.fileobj is not None
            tar.fileobj.close()
            assert self._temporary is not None
            os.chmod(self._temporary, 0o644)
            os.replace(self._temporary, self.path)
        except OSError as error:
            self.abandon()
            raise InvalidInput(f"{self.what}: cannot write ({error.strerror})") from None
        self._tar, self._temporary = None, None
        self._done = (tag, manifest.digest)


def _annotations(tag: str) -> dict[str, str]:
    """index.json's names of the image, as docker 25 writes them: the full name (Docker Hub as
    ``docker.io``), and the tag alone."""
    full = normal_tag(tag)
    if full.startswith(f"{DOCKER_HUB}/"):
        full = "docker.io/" + full.removeprefix(f"{DOCKER_HUB}/")
    return {"io.containerd.image.name": full, OCI_REF_NAME: full.rpartition(":")[2]}
