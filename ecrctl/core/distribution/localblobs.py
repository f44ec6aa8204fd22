"""Blobs in local files, for the OCI layout (layout.py) and the docker archive (archive.py):
read streamed and checked against their digest, written to a temporary file and renamed into
place only once the digest matches (a killed copy leaves no half blob under a blob's name)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from typing import Any, BinaryIO

from ecrctl.core.distribution.transport import Unreachable
from ecrctl.core.exceptions import InvalidInput

BLOCK = 1 << 20
MAX_DOCUMENT_BYTES = 16 * 2**20  # index.json, manifest.json, a manifest or an image config


class LocalStore:
    """What the local ends (an OCI layout, a docker archive read or written) answer alike: their
    names, and the registry's calls that mean nothing for files on this machine."""

    def __init__(self, scheme: str, path: str, role: str) -> None:
        self.path = path
        self.host = f"{scheme}:{os.path.abspath(path)}"
        self.label = f"{role} {scheme}:{path}"
        self.what = f"{scheme}:{path}"

    def grant(self, repository: str, *actions: str) -> None:
        """Nothing to ask for: the files are there or not."""

    def mount_blob(self, repository: str, digest: str, source_repository: str) -> bool:
        return False  # one set of images: no other repository to mount a blob from


class BlobReader:
    """``size`` bytes of ``file`` from its current position, read as a registry response is
    (``read``, ``release_conn``). The bytes are hashed as they go: the read that reaches the
    end raises InvalidInput when they do not match ``digest`` (before that last piece is
    handed on, so a registry never completes the upload of a wrong blob)."""

    def __init__(self, file: BinaryIO, digest: str, size: int, label: str, skipped: int = 0):
        self.file, self.digest, self.label = file, digest, label
        self.remaining = size - skipped
        self.hash = hashlib.sha256()
        while skipped > 0:  # resuming at an offset: the skipped bytes still count
            data = file.read(min(BLOCK, skipped))
            if not data:
                break
            self.hash.update(data)
            skipped -= len(data)

    def read(self, amt: int | None = None, decode_content: bool = False) -> bytes:
        want = self.remaining if amt is None else min(amt, self.remaining)
        if want <= 0:
            return b""
        data = self.file.read(want)
        if not data:
            raise InvalidInput(f"{self.label}: blob {self.digest} is cut short")
        self.remaining -= len(data)
        self.hash.update(data)
        if self.remaining == 0 and "sha256:" + self.hash.hexdigest() != self.digest:
            raise InvalidInput(f"{self.label}: blob {self.digest} does not match its digest")
        return data

    def release_conn(self) -> None:
        self.file.close()

    close = release_conn


def hex_of(digest: str, label: str) -> str:
    algorithm, _, value = digest.partition(":")
    if algorithm != "sha256" or len(value) != 64 or value.strip("0123456789abcdef"):
        raise InvalidInput(f"{label}: {digest!r} is not a sha256 digest")
    return value


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def read_bounded(file: BinaryIO, what: str, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    data = file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"{what}: larger than {limit // 2**20} MiB")
    return data


def parse_json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as error:
        raise InvalidInput(f"{what}: not valid JSON ({error})") from None


def copy_stream(source: Any, target: BinaryIO, size: int, progress: Callable[[int], None]) -> str:
    """Copy ``size`` bytes from a response-like ``source``; the sha256 digest of what came."""
    hashed = hashlib.sha256()
    remaining = size
    while remaining > 0:
        data = source.read(min(BLOCK, remaining), decode_content=False)
        if not data:
            break
        hashed.update(data)
        target.write(data)
        remaining -= len(data)
        progress(len(data))
    if remaining:
        raise Unreachable(f"the source ended the blob {remaining} bytes early")
    return "sha256:" + hashed.hexdigest()


def write_atomically(path: str, write: Callable[[BinaryIO], None]) -> None:
    """``write`` into a temporary file beside ``path``, renamed onto it when all went well."""
    import tempfile  # here: ``ecrctl digest`` and ``sync`` load this module and write nothing

    directory = os.path.dirname(path) or "."
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
