"""A copy killed mid-layer (SIGKILL) goes on where the destination's upload session stands, against
a real docker-registry (distribution), checked with skopeo. The destination is reached through
a small HTTP proxy that counts the PATCH bytes of each upload session and can hold one PATCH:
the kill happens while the proxy holds it, so what the registry holds is known, not guessed."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecrctl.core.distribution.upload import CHUNK_SIZE
from ecrctl.core.polling import Schedule, poll
from tests import oci_registries
from tests.fakehttp import FakeServer, Reply, Request
from tests.oci_registries import manifest_exists, push_image, skopeo_digest

registries = oci_registries.registries  # the session fixture: two registries
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("registries")]
LAYER = 5 * CHUNK_SIZE + 123_457  # ~43 MB: five whole chunks and a part
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class HoldingProxy:
    """HTTP/1.1 to one registry, on a fakehttp server that streams request bodies. Records
    (upload session, body bytes forwarded) per PATCH; with ``hold_after`` set, the PATCH after
    that many is held once ``hold_forward`` of its body bytes went on to the registry: ``held``
    is set and nothing more goes through until ``release`` (then it is closed unanswered)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.patches: list[tuple[str, int]] = []
        self.hold_after: int | None = None
        self.hold_forward = 0
        self.held, self.release = threading.Event(), threading.Event()
        self.lock = threading.Lock()
        self.server = FakeServer(self.forward, stream_requests=True)
        self.host = self.server.host

    def sent_to(self, session: str) -> int:
        return sum(n for s, n in self.patches if s == session)

    def forward(self, request: Request) -> Reply:
        length = int(request.headers.get("Content-Length") or 0)
        upstream = http.client.HTTPConnection(self.target, timeout=120)
        upstream.putrequest(request.method, request.path, skip_host=True, skip_accept_encoding=True)
        for name, value in request.headers.items():
            if name.lower() not in _HOP - {"content-length"}:
                upstream.putheader(name, value)
        upstream.endheaders()
        with self.lock:
            hold = (
                request.method == "PATCH"
                and self.hold_after is not None
                and len(self.patches) >= self.hold_after
                and not self.held.is_set()
            )
        sent = self._pump(request, upstream, min(self.hold_forward, length) if hold else length)
        if hold:
            self.held.set()
            self.release.wait()
            upstream.close()
            return Reply(hang_up=True)
        if request.method == "PATCH":
            with self.lock:
                self.patches.append((session_of(request.path), sent))
        response = upstream.getresponse()
        body = response.read()
        upstream.close()
        drop = _HOP - {"content-length"} if request.method == "HEAD" else _HOP
        headers = [(k, v) for k, v in response.getheaders() if k.lower() not in drop]
        return Reply(response.status, headers, body)

    @staticmethod
    def _pump(request: Request, upstream: Any, count: int) -> int:
        assert request.stream is not None
        sent = 0
        while sent < count:
            data = request.stream.read(min(65536, count - sent))
            if not data:
                break
            upstream.send(data)
            sent += len(data)
        return sent

    def close(self) -> None:
        self.release.set()
        self.server.stop()


def session_of(path: str) -> str:
    return path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


@pytest.fixture
def proxy(registries: Any) -> Iterator[HoldingProxy]:
    made = HoldingProxy(registries[1].host)
    yield made
    made.close()


def state_files(home: Path) -> list[Path]:
    return sorted((home / ".cache" / "ecrctl" / "uploads").glob("*.json"))


def kill_while_held(proxy: HoldingProxy, src: str, dst: str) -> None:
    """Run ``ecrctl copy`` as a process, wait until the proxy holds a PATCH, SIGKILL it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ecrctl", "copy", src, dst],
        env={**os.environ, "ECRCTL_CONCURRENCY": "1"},  # the layer first, the config after
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # The held event, or the process ending without reaching it: whichever comes first.
    threading.Thread(target=lambda: (process.wait(), proxy.held.set()), daemon=True).start()
    try:
        assert proxy.held.wait(timeout=300)
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
    finally:
        process.kill()  # SIGKILL: no handler runs, nothing is cleaned up
        process.wait()
        if process.stderr:
            process.stderr.close()
    assert process.returncode == -signal.SIGKILL


def registry_holds(host: str, location: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection(host, timeout=60)
    connection.request("GET", location)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, response.headers.get("Range", "")


def test_killed_copy_resumes_from_the_registrys_range(
    cli: Any, registries: Any, proxy: HoldingProxy, isolated_env: Path
) -> None:
    one, two = registries
    layer = os.urandom(LAYER)
    digest, _ = push_image(one.host, "resume/app", "1", [layer])
    src, dst = f"{one.host}/resume/app:1", f"{proxy.host}/resume/app"
    proxy.hold_after = 2  # two whole chunks reach the registry, the third is held
    kill_while_held(proxy, src, dst)

    # What the killed run left: one private state file, no token, the session it names
    # holding exactly the two acknowledged chunks.
    (state,) = state_files(isolated_env)
    assert state.stat().st_mode & 0o777 == 0o600
    saved = json.loads(state.read_text())
    assert saved["offset"] == 2 * CHUNK_SIZE and saved["size"] == LAYER
    assert "token" not in state.read_text().lower() and "authorization" not in saved
    status, held = registry_holds(two.host, saved["location"])
    assert (status, held) == (204, f"0-{2 * CHUNK_SIZE - 1}")
    assert not manifest_exists(two.host, "resume/app", "1")

    proxy.hold_after, proxy.patches = None, []
    out = cli("copy", src, dst, "-o", "json")
    assert out.exit_code == 0, out.stderr
    doc = json.loads(out.stdout)
    (blob,) = [b for b in doc["blobs"] if b["size"] == LAYER]
    assert blob["status"] == "copied" and blob["resumedFrom"] == 2 * CHUNK_SIZE
    assert f"copied {blob['digest'][:19]} (42.1 MB, resumed at 16.8 MB)" in out.stderr
    resent = proxy.sent_to(session_of(saved["location"]))
    assert resent == LAYER - 2 * CHUNK_SIZE < LAYER
    assert doc["bytesMoved"] == sum(n for _, n in proxy.patches) < LAYER
    assert skopeo_digest(two.host, "resume/app", "1") == digest == doc["verifiedDigest"]
    assert state_files(isolated_env) == []  # removed once the blob was complete


def test_kill_mid_chunk_starts_the_layer_afresh(
    cli: Any, registries: Any, proxy: HoldingProxy, isolated_env: Path
) -> None:
    """distribution drops a session that holds more bytes than its signed offset says (a PATCH
    cut half-way): the re-run finds it gone (404) and uploads the layer from byte 0."""
    one, two = registries
    layer = os.urandom(LAYER)
    digest, _ = push_image(one.host, "resume/cut", "1", [layer])
    src, dst = f"{one.host}/resume/cut:1", f"{proxy.host}/resume/cut"
    proxy.hold_after, proxy.hold_forward = 1, CHUNK_SIZE // 2  # half of the second chunk
    kill_while_held(proxy, src, dst)
    (state,) = state_files(isolated_env)
    location = json.loads(state.read_text())["location"]
    stale = session_of(location)
    # The cut PATCH ends on the registry (its half chunk written) some time after the proxy
    # closes it: wait until the registry itself says the session is no good.
    proxy.release.set()
    status = poll(
        lambda _: None if (got := registry_holds(two.host, location)[0]) == 204 else got,
        Schedule(timeout=120, first=0.05, longest=0.5),
        timed_out=lambda waited: AssertionError(f"the session still answers 204 ({waited:.0f} s)"),
    )
    assert status == 404

    proxy.hold_after, proxy.patches = None, []
    out = cli("copy", src, dst, "-o", "json")
    assert out.exit_code == 0, out.stderr
    doc = json.loads(out.stdout)
    (blob,) = [b for b in doc["blobs"] if b["size"] == LAYER]
    assert blob["status"] == "copied" and "resumedFrom" not in blob
    assert proxy.sent_to(stale) == 0
    assert sum(n for s, n in proxy.patches) == doc["bytesMoved"] >= LAYER
    assert skopeo_digest(two.host, "resume/cut", "1") == digest
    assert state_files(isolated_env) == []
