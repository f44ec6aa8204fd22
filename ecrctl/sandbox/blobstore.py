"""The sandbox registry's blobs: content-addressed files, which repository holds which, and
uploads in progress, all under one directory (a temporary one, or ``--data DIR``).

    ROOT/blobs/sha256/<hex>                         the bytes, written once, never changed
    ROOT/repositories/<name>/_layers/sha256/<hex>   an empty file: <name> holds that blob
    ROOT/uploads/<id>/data, ROOT/uploads/<id>/repository   an upload session and its repository

A blob is readable in a repository only through its link there, as in ECR, where a layer pushed
to one repository is not in another until it is pushed or mounted there. ``_layers`` cannot be a
repository name's component (those start with a letter or digit), so names never collide with it.
Blobs land in place by ``os.replace`` after their digest is checked: a reader never sees half a
blob, and two pushes of the same blob write the same file.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

PIECE = 1 << 20
DIGEST_RE = re.compile(r"sha256:([a-f0-9]{64})")
_UPLOAD_RE = re.compile(r"[a-f0-9]{32}")


class DigestInvalid(Exception):
    """A digest that is not sha256:<64 hex>, or that the bytes do not have."""


class UploadUnknown(Exception):
    """No such upload session in this repository."""


class RangeInvalid(Exception):
    """A chunk that does not start where the upload ends; the message is the upload's size."""

    def __init__(self, size: int) -> None:
        super().__init__(str(size))
        self.size = size


def hex_of(digest: str) -> str:
    match = DIGEST_RE.fullmatch(digest)
    if match is None:
        raise DigestInvalid(f"unsupported or malformed digest {digest!r}")
    return match.group(1)


def copy_stream(source: BinaryIO, sink: BinaryIO, length: int | None) -> int:
    """Copy ``length`` bytes (None: up to end of stream) from source to sink; bytes copied."""
    copied = 0
    while length is None or copied < length:
        want = PIECE if length is None else min(PIECE, length - copied)
        piece = source.read(want)
        if not piece:
            break
        sink.write(piece)
        copied += len(piece)
    return copied


class BlobStore:
    """Blobs by digest, linked into repositories; thread-safe (one lock per upload session)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for part in ("blobs/sha256", "repositories", "uploads"):
            (root / part).mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._upload_locks: dict[str, threading.Lock] = {}

    # -- blobs ----------------------------------------------------------------------------
    def _blob(self, digest: str) -> Path:
        return self.root / "blobs" / "sha256" / hex_of(digest)

    def _link(self, repository: str, digest: str) -> Path:
        return self.root / "repositories" / repository / "_layers" / "sha256" / hex_of(digest)

    def size(self, repository: str, digest: str) -> int | None:
        """The blob's size when ``repository`` holds it, else None."""
        if not self._link(repository, digest).exists():
            return None
        try:
            return self._blob(digest).stat().st_size
        except FileNotFoundError:
            return None

    def read(self, digest: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` (exclusive; None: the end) of a blob, in pieces."""
        with self._blob(digest).open("rb") as source:
            source.seek(start)
            left = None if end is None else end - start
            while left is None or left > 0:
                piece = source.read(PIECE if left is None else min(PIECE, left))
                if not piece:
                    return
                if left is not None:
                    left -= len(piece)
                yield piece

    def link(self, repository: str, digest: str) -> bool:
        """Make ``repository`` hold a blob already stored (a mount); False when it is not."""
        if not self._blob(digest).exists():
            return False
        path = self._link(repository, digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        return True

    def unlink(self, repository: str, digest: str) -> bool:
        """``repository`` no longer holds the blob (its bytes stay for other repositories)."""
        try:
            self._link(repository, digest).unlink()
        except FileNotFoundError:
            return False
        return True

    def put(self, repository: str, data: bytes) -> str:
        """Store bytes into ``repository`` (seeding); their digest."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        target = self._blob(digest)
        if not target.exists():
            temporary = target.with_name(f".{uuid.uuid4().hex}")
            temporary.write_bytes(data)
            os.replace(temporary, target)
        self.link(repository, digest)
        return digest

    # -- uploads --------------------------------------------------------------------------
    def _session(self, repository: str, upload: str) -> Path:
        if not _UPLOAD_RE.fullmatch(upload):
            raise UploadUnknown(upload)
        folder = self.root / "uploads" / upload
        try:
            owner = (folder / "repository").read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UploadUnknown(upload) from None
        if owner != repository:
            raise UploadUnknown(upload)
        return folder

    def _upload_lock(self, upload: str) -> threading.Lock:
        with self._lock:
            return self._upload_locks.setdefault(upload, threading.Lock())

    def start(self, repository: str) -> str:
        upload = uuid.uuid4().hex
        folder = self.root / "uploads" / upload
        folder.mkdir()
        (folder / "data").touch()
        (folder / "repository").write_text(repository, encoding="utf-8")
        return upload

    def upload_size(self, repository: str, upload: str) -> int:
        return (self._session(repository, upload) / "data").stat().st_size

    def append(
        self,
        repository: str,
        upload: str,
        source: BinaryIO,
        length: int | None,
        start: int | None = None,
    ) -> int:
        """Add a chunk (``start``: where its Content-Range says it begins); the new size."""
        folder = self._session(repository, upload)
        with self._upload_lock(upload), (folder / "data").open("ab") as sink:
            size = sink.tell()
            if start is not None and start != size:
                raise RangeInvalid(size)
            copy_stream(source, sink, length)
            return sink.tell()

    def finish(self, repository: str, upload: str, digest: str) -> int:
        """Close an upload as ``digest``: checked against the bytes, then stored and linked.
        A wrong digest ends the session too (DIGEST_INVALID); the blob's size otherwise."""
        expected = hex_of(digest)
        folder = self._session(repository, upload)
        with self._upload_lock(upload):
            data = folder / "data"
            hasher = hashlib.sha256()
            with data.open("rb") as source:
                while piece := source.read(PIECE):
                    hasher.update(piece)
            size = data.stat().st_size
            if hasher.hexdigest() != expected:
                self.cancel(repository, upload)
                raise DigestInvalid(f"the uploaded bytes are sha256:{hasher.hexdigest()}")
            os.replace(data, self._blob(digest))
            self.link(repository, digest)
            shutil.rmtree(folder, ignore_errors=True)
        with self._lock:
            self._upload_locks.pop(upload, None)
        return size

    def cancel(self, repository: str, upload: str) -> None:
        shutil.rmtree(self._session(repository, upload), ignore_errors=True)
