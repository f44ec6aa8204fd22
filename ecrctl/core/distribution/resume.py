"""Where an unfinished chunked blob upload can go on: one private state file per destination
host, repository and blob digest, under ``$XDG_CACHE_HOME/ecrctl/uploads`` (else
``~/.cache/ecrctl/uploads``), mode 0600 in a 0700 directory, replaced atomically.

A state file holds the upload session's location (path and query on the destination host), how
many bytes the registry had acknowledged and the blob's size: never a token or a header. A
location whose query carries anything named like a credential (a presigned URL's signature, an
``access_token``) is not kept at all; distribution's ``_state`` is the registry's own signed
record of the session (name, id, offset), not a credential.

The store is an optimisation: a directory that cannot be used safely, or a file that cannot be
read or written, makes the upload start from byte 0 as before, never fails a copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from ecrctl.core.privatefile import UnsafePath, ensure_private_dir, read_private, write_private

STATE_LIMIT = 16 * 1024  # a state file is a few hundred bytes; larger is not ours
MAX_AGE_SECONDS = 7 * 24 * 3600  # distribution purges unfinished uploads after a week
_SECRET_NAME = re.compile(r"auth|token|sig|cred|secret|passw|key|session", re.IGNORECASE)
_PREFIX = ".tmp-upload-"


def uploads_dir(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or "~", ".cache")
    return os.path.join(os.path.expanduser(base), "ecrctl", "uploads")


def storable(location: str, base: str) -> str | None:
    """``location`` as a path and query on ``base``'s origin, or None when it must not be
    written down: another origin, user info in the URL, a query parameter named like a secret."""
    parts, origin = urlsplit(location), urlsplit(base)
    if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc) or parts.fragment:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    if any(_SECRET_NAME.search(name) for name, _ in parse_qsl(parts.query, True)):
        return None
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _clean_path(location: str) -> bool:
    """A path and query that :func:`storable` would keep as it is."""
    return storable(f"http://h{location}", "http://h") == location


@dataclass(frozen=True)
class SavedUpload:
    location: str  # path?query on the destination host
    offset: int  # bytes the registry acknowledged when this was written
    size: int  # the blob's size


class UploadStates:
    """The state files of unfinished uploads. Thread-safe: each blob has its own file, each
    write replaces it whole."""

    def __init__(self, directory: str | None = None) -> None:
        self.directory = directory or uploads_dir()
        self._usable: bool | None = None

    def path(self, host: str, repository: str, digest: str) -> str:
        key = hashlib.sha256(f"{host.lower()}\n{repository}\n{digest}".encode()).hexdigest()
        return os.path.join(self.directory, f"{key[:40]}.json")

    def load(self, host: str, repository: str, digest: str) -> SavedUpload | None:
        data = read_private(self.path(host, repository, digest), STATE_LIMIT, dir_levels=1)
        if data is None:
            return None
        try:
            doc = json.loads(data)
            saved = SavedUpload(str(doc["location"]), int(doc["offset"]), int(doc["size"]))
            same = (doc["host"], doc["repository"], doc["digest"]) == (host, repository, digest)
        except (ValueError, KeyError, TypeError):
            saved, same = None, False
        if saved is None or not same or not _clean_path(saved.location):
            self.forget(host, repository, digest)
            return None
        return saved

    def save(
        self, host: str, repository: str, digest: str, location: str, offset: int, size: int
    ) -> bool:
        """Write down where the upload stands; False when it was not (see the module doc)."""
        if not _clean_path(location) or not self._ready():
            return False
        doc = {
            "host": host,
            "repository": repository,
            "digest": digest,
            "location": location,
            "offset": offset,
            "size": size,
            "saved": int(time.time()),
        }
        try:
            write_private(self.path(host, repository, digest), json.dumps(doc), prefix=_PREFIX)
        except OSError:
            return False
        return True

    def forget(self, host: str, repository: str, digest: str) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.path(host, repository, digest))

    def _ready(self) -> bool:
        if self._usable is None:
            try:
                ensure_private_dir(self.directory)
                self._usable = True
                self._prune()
            except (OSError, UnsafePath):
                self._usable = False
        return self._usable

    def _prune(self) -> None:
        """Remove state files of uploads the registry has long forgotten."""
        now = time.time()
        with contextlib.suppress(OSError), os.scandir(self.directory) as entries:
            for entry in entries:
                if not entry.name.endswith(".json") or not entry.is_file(follow_symlinks=False):
                    continue
                with contextlib.suppress(OSError):
                    if now - entry.stat(follow_symlinks=False).st_mtime > MAX_AGE_SECONDS:
                        os.unlink(entry.path)
