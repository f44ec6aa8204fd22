"""One blob upload to a registry, streamed from the source: POST, PATCH..., PUT ?digest=.

A blob larger than one chunk goes in PATCH requests of ``CHUNK_SIZE`` bytes with Content-Range,
each streamed from the source (never a chunk in memory), and after each one the session's
location is written down (resume.py). A re-run asks the registry how far that session got
(GET on the location: 204 with ``Range: 0-N``, the distribution spec's resumable upload), reads
the source from byte N+1 (a Range request; a source that ignores it is read past N bytes) and
sends only the rest. Any doubt (the session gone, a Range that makes no sense) starts a fresh
upload. The registry checks the whole blob's digest at the PUT: no partial hash is trusted.

A transient failure part-way (a reset, a 429 or 5xx, the source breaking off) restarts the
upload under the registry's retry policy (retry.py), the same way within one run: the blob may
have landed (a lost answer to the closing PUT: HEAD), else the session goes on from its Range,
else a fresh one starts. PATCHes and the closing PUT are never repeated on their own.

distribution (docker-registry, Harbor) keeps a session only while the offset signed into its
location matches the bytes it holds: a PATCH cut off half-way leaves more bytes than any
location says, and it drops the session (404 BLOB_UPLOAD_INVALID). There a copy resumes from
the last whole chunk when it stopped between chunks, and starts over otherwise.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urljoin

from ecrctl.core.distribution.answers import checked_url, header_count, shown
from ecrctl.core.distribution.connections import NetError
from ecrctl.core.distribution.resume import UploadStates, storable
from ecrctl.core.distribution.retry import STATUSES
from ecrctl.core.distribution.transport import Missing, RegistryError, Transport, Unreachable
from ecrctl.core.exceptions import BadAnswer

BLOCK = 1 << 20
# ECR's layer parts are 5-10 MiB; 8 MiB PATCHes cost a round trip each, a few per second.
CHUNK_SIZE = 8 * 2**20
_MIN = "OCI-Chunk-Min-Length"
_RANGE_RE = re.compile(r"^\s*(?:bytes=)?0-(\d+)\s*$")


class CountingReader:
    """A blob download as a file-like upload body: counts, stops at ``limit``. It does not
    hash: the registry checks the whole blob against ``?digest=`` at the closing PUT (a local
    source, BlobReader, checks its own bytes), and a second sha256 here cost 0.1 s of CPU per
    200 MB and was never read."""

    def __init__(self, source: Any, progress: Callable[[int], None], limit: int | None = None):
        self.source, self.progress, self.remaining = source, progress, limit

    def read(self, size: int = BLOCK) -> bytes:
        # http.client asks for 8-16 KiB at a time; a larger read costs the same per call.
        size = BLOCK if size is None or size < BLOCK else size
        if self.remaining is not None:
            size = min(size, self.remaining)
        if size == 0:
            return b""
        try:
            data = self.source.read(size, decode_content=False)
        except NetError as error:
            raise Unreachable(f"the source broke off mid-blob ({error})") from None
        if not data and self.remaining:
            raise Unreachable("the source ended the blob early")
        if self.remaining is not None:
            self.remaining -= len(data)
        self.progress(len(data))
        return bytes(data)


def skip(source: Any, count: int) -> None:
    """Read past ``count`` bytes of a streamed response (a source that ignored Range)."""
    while count > 0:
        try:
            data = source.read(min(BLOCK, count), decode_content=False)
        except NetError as error:
            raise Unreachable(f"the source broke off mid-blob ({error})") from None
        if not data:
            raise Unreachable("the source ended the blob early")
        count -= len(data)


def held_bytes(header: str | None) -> int | None:
    """The bytes an upload session holds from its ``Range: 0-N`` header (N+1), or None.
    ``0-0`` is what distribution says of an empty session too: it counts as nothing held."""
    match = _RANGE_RE.match(header or "")
    if not match:
        return None
    last = int(match.group(1))
    return last + 1 if last > 0 else 0


@dataclass
class Session:
    location: str  # absolute URL of the upload session
    offset: int  # bytes the registry holds
    minimum: int = 0  # OCI-Chunk-Min-Length


class BlobUpload:
    """Upload one blob of ``size`` bytes as ``digest`` into ``repository``."""

    def __init__(
        self,
        registry: Transport,
        repository: str,
        digest: str,
        size: int,
        states: UploadStates | None = None,
    ) -> None:
        self.registry, self.repository, self.digest, self.size = registry, repository, digest, size
        self.states = states
        self._what = f"upload of {digest[:19]}"
        self._step = (0, 0)  # where it stands: (0, 0) POST, (1, offset) PATCH, (2, size) PUT

    def run(
        self,
        open_source: Callable[[int], Any],
        progress: Callable[[int], None],
        chunk_size: int | None = None,
    ) -> int:
        """Send the blob; returns the offset it resumed from (0: a fresh upload)."""
        if chunk_size is None and self.size > CHUNK_SIZE:
            chunk_size = CHUNK_SIZE
        session = self._resume()
        resumed = session.offset if session else 0
        tries: dict[tuple[int, int], int] = {}
        while True:
            try:
                self._step = (0, 0)
                session = session or self._start(save=bool(chunk_size))
                self._upload(session, open_source, progress, chunk_size)
                return resumed
            except RegistryError as error:
                # Each step (the POST, the PATCH at each offset, the PUT) has the policy's
                # attempts, as a request that can be repeated has.
                tries[self._step] = tries.get(self._step, 0) + 1
                why, wait = shown(str(error), 300), error.retry_after
                retry = self.registry.retry
                if not self._transient(error) or not retry.pause(
                    tries[self._step], self._what, why, wait
                ):
                    raise
            if self._landed():
                self._forget()
                return resumed
            session = self._ask(session.location) if session else None

    @staticmethod
    def _transient(error: RegistryError) -> bool:
        return isinstance(error, Unreachable) or error.status in STATUSES

    def _landed(self) -> bool:
        """Whether the registry holds the blob after all (an answer lost after the PUT)."""
        try:
            self.registry.request("HEAD", f"/v2/{self.repository}/blobs/{self.digest}")
        except Missing:
            return False
        return True

    def _upload(
        self,
        session: Session,
        open_source: Callable[[int], Any],
        progress: Callable[[int], None],
        chunk_size: int | None,
    ) -> None:
        if session.offset and not chunk_size:
            chunk_size = CHUNK_SIZE  # a resumed upload goes on in ranges
        if session.minimum:
            chunk_size = max(chunk_size or 0, session.minimum)
        if session.offset < self.size:
            source = open_source(session.offset)
            try:
                self._send(session, source, progress, chunk_size)
            finally:
                source.release_conn()
        self._finish(session)

    def _url(self, location: str | None, current: str) -> str:
        """``location`` as an absolute URL: relative to the request it answered (``current``,
        else the registry), as HTTP says."""
        if not location:
            return current
        url = urljoin(current or self.registry.base + "/", location)
        return checked_url(url, self.registry.label, "the upload Location")

    def _save(self, session: Session) -> None:
        if self.states is None:
            return
        kept = storable(session.location, self.registry.base)
        if kept is None:  # a location not to be written down: this upload is not resumable
            self.states.forget(self.registry.host, self.repository, self.digest)
            return
        self.states.save(
            self.registry.host, self.repository, self.digest, kept, session.offset, self.size
        )

    def _forget(self) -> None:
        if self.states is not None:
            self.states.forget(self.registry.host, self.repository, self.digest)

    def _start(self, *, save: bool) -> Session:
        started = self.registry.request(
            "POST",
            f"/v2/{self.repository}/blobs/uploads/",
            headers={"Content-Length": "0"},
            ok=(202,),
            retry=False,  # run() retries the whole upload
        )
        label = self.registry.label
        location = started.headers.get("Location")
        if not location:
            raise BadAnswer(f"{label}: the upload it opened has no Location")
        session = Session(
            self._url(location, ""),
            0,
            header_count(started.headers.get(_MIN), label, _MIN),
        )
        if save:
            self._save(session)
        return session

    def _resume(self) -> Session | None:
        """The saved session of an earlier run, if the registry still holds part of this blob."""
        if self.states is None:
            return None
        saved = self.states.load(self.registry.host, self.repository, self.digest)
        if saved is None:
            return None
        if saved.size != self.size:
            self._forget()
            return None
        return self._ask(self._url(saved.location, ""))

    def _ask(self, location: str) -> Session | None:
        """How far the session at ``location`` got (GET: ``Range``), None when it is of no use."""
        try:
            response = self.registry.request("GET", location, ok=(200, 204))
        except Unreachable:
            raise
        except RegistryError:  # gone (404), refused or unknown: start afresh
            self._forget()
            return None
        held = held_bytes(response.headers.get("Range"))
        if not held or held > self.size:
            self._cancel(location)
            self._forget()
            return None
        minimum = header_count(response.headers.get(_MIN), self.registry.label, _MIN)
        return Session(self._url(response.headers.get("Location"), location), held, minimum)

    def _cancel(self, location: str) -> None:
        # An abandoned session expires on the registry by itself; this only frees it sooner.
        with contextlib.suppress(RegistryError):
            self.registry.request("DELETE", location, ok=(202, 204, 404))

    def _send(
        self, session: Session, source: Any, progress: Callable[[int], None], chunk: int | None
    ) -> None:
        while session.offset < self.size:
            self._step = (1, session.offset)
            length = min(chunk or self.size, self.size - session.offset)
            headers = {"Content-Type": "application/octet-stream", "Content-Length": str(length)}
            if chunk:
                headers["Content-Range"] = f"{session.offset}-{session.offset + length - 1}"
            response = self.registry.request(
                "PATCH",
                session.location,
                headers=headers,
                body=CountingReader(source, progress, length),
                ok=(202, 204),
                retry=False,
            )
            session.location = self._url(response.headers.get("Location"), session.location)
            session.offset += length
            if chunk:
                self._save(session)

    def _finish(self, session: Session) -> None:
        joiner = "&" if "?" in session.location else "?"
        self._step = (2, self.size)
        try:
            self.registry.request(
                "PUT",
                f"{session.location}{joiner}{urlencode({'digest': self.digest})}",
                headers={"Content-Length": "0"},
                ok=(201, 204),
                retry=False,  # repeated after a lost answer it fails: run() looks (HEAD) first
            )
        except RegistryError as error:
            if not self._transient(error):
                self._forget()  # refused (a wrong digest): this session is of no further use
            raise  # else the session may still be good for a retry or the next run
        self._forget()
