"""Test-only: an OCI registry in memory on tests/fakehttp.py, well-behaved until a test tells it
to misbehave, and the tools to watch a copy against it.

``HostileRegistry`` serves what a copy uses of the distribution API (ping, manifests, blobs,
uploads, mounts; referrers: 404, as distribution 2.8), with no auth, ``auth="basic"`` (one
user) or ``auth="bearer"`` (a token service at ``/token`` on the same server). Its misbehaviour
is a function: ``registry.misbehave = lambda request: Reply(...) or None`` answers a request
instead of the registry (None: the registry answers). Upload sessions can live on another
server (``upload_base``, a FakeServer of ``registry.storage``), as registries that hand out
signed storage URLs do; blob GETs can be redirected to one (``blob_base``).

``run_measured`` runs the installed ``ecrctl`` and reads its peak memory as it exits.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakehttp import FakeServer, Reply, Request, json_reply

USER, PASSWORD = "hostile-user", "hostile-s3cret-password"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
_MANIFEST = re.compile(r"^/v2/(?P<repo>.+)/manifests/(?P<ref>[^/]+)$")
_BLOB = re.compile(r"^/v2/(?P<repo>.+)/blobs/(?P<digest>sha256:[^/]+)$")
_UPLOAD = re.compile(r"^/v2/(?P<repo>.+)/blobs/uploads/(?P<id>[^/]*)$")
_STORED_UPLOAD = re.compile(r"^/upload/(?P<id>[^/]+)$")
_STORED_BLOB = re.compile(r"^/blob/(?P<digest>[^/]+)$")


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def image_manifest(config: bytes, layers: list[bytes], arch: str = "amd64") -> dict[str, Any]:
    return {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": digest_of(config), "size": len(config)},
        "layers": [
            {"mediaType": OCI_LAYER, "digest": digest_of(layer), "size": len(layer)}
            for layer in layers
        ],
    }


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return json_reply(status, {"errors": [{"code": code, "message": message}]}, headers)


class HostileRegistry:
    def __init__(self, auth: str = "") -> None:
        self.auth = auth
        self.blobs: dict[str, bytes] = {}
        self.manifests: dict[tuple[str, str], tuple[str, bytes]] = {}  # (repo, ref): (type, bytes)
        self.sessions: dict[str, bytearray] = {}
        self.tokens: list[str] = []
        self.misbehave: Callable[[Request], Reply | None] = lambda request: None
        self.upload_base: str | None = None
        self.blob_base: str | None = None
        self.server = FakeServer(self.handle)
        self.host = self.server.host

    def stop(self) -> None:
        self.server.stop()

    # -- content ------------------------------------------------------------------------
    def put_manifest(self, repo: str, ref: str, data: bytes, media_type: str) -> str:
        digest = digest_of(data)
        self.manifests[(repo, ref)] = self.manifests[(repo, digest)] = (media_type, data)
        return digest

    def push_image(
        self, repo: str, tag: str | None, layers: list[bytes], arch: str = "amd64"
    ) -> str:
        """An OCI image over ``layers``; its manifest bytes indented (not canonical)."""
        config = json.dumps({"architecture": arch, "os": "linux"}).encode()
        for blob in (config, *layers):
            self.blobs[digest_of(blob)] = blob
        data = json.dumps(image_manifest(config, layers, arch), indent=3).encode()
        return self.put_manifest(repo, tag or digest_of(data), data, OCI_MANIFEST)

    def push_raw(self, repo: str, tag: str, data: bytes, media_type: str = OCI_MANIFEST) -> str:
        """Any bytes as a manifest (malformed ones included)."""
        return self.put_manifest(repo, tag, data, media_type)

    # -- the registry -------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        reply = self.misbehave(request)
        if reply is not None:
            return reply
        if request.route == "/token":
            return self._token(request)
        refused = self._refused(request)
        if refused is not None:
            return refused
        if request.route == "/v2/":
            return json_reply(200, {})
        for pattern, answer in (
            (_UPLOAD, self._upload),
            (_MANIFEST, self._manifest),
            (_BLOB, self._blob),
        ):
            match = pattern.match(request.route)
            if match:
                return answer(request, **match.groupdict())
        return _error(404, "NAME_UNKNOWN", "no such route")

    def _refused(self, request: Request) -> Reply | None:
        header = request.headers.get("Authorization")
        if self.auth == "basic":
            if header == basic(USER, PASSWORD):
                return None
            challenge = 'Basic realm="hostile"'
        elif self.auth == "bearer":
            if header and header.startswith("Bearer ") and header[7:] in self.tokens:
                return None
            challenge = f'Bearer realm="{self.server.url}/token",service="hostile"'
        else:
            return None
        return _error(
            401, "UNAUTHORIZED", "authentication required", {"WWW-Authenticate": challenge}
        )

    def _token(self, request: Request) -> Reply:
        header = request.headers.get("Authorization")
        if header is not None and header != basic(USER, PASSWORD):
            return json_reply(401, {"details": "wrong user name or password"})
        token = secrets.token_hex(16)
        self.tokens.append(token)
        return json_reply(200, {"token": token, "expires_in": 300})

    def _manifest(self, request: Request, repo: str, ref: str) -> Reply:
        if request.method == "PUT":
            media_type = request.headers.get("Content-Type", OCI_MANIFEST)
            digest = self.put_manifest(repo, ref, request.body, media_type)
            return Reply(201, {"Docker-Content-Digest": digest, "Content-Length": "0"})
        found = self.manifests.get((repo, ref))
        if found is None:
            return _error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        media_type, data = found
        headers = {"Content-Type": media_type, "Docker-Content-Digest": digest_of(data)}
        return Reply(200, {**headers, "Content-Length": str(len(data))}, data)

    def _blob(self, request: Request, repo: str, digest: str) -> Reply:
        data = self.blobs.get(digest)
        if data is None:
            return _error(404, "BLOB_UNKNOWN", "blob unknown")
        if request.method == "GET" and self.blob_base:
            return Reply(307, {"Location": f"{self.blob_base}/blob/{digest}?sig=signed"})
        headers = {"Docker-Content-Digest": digest, "Content-Length": str(len(data))}
        return Reply(200, headers, data)

    def _upload(self, request: Request, repo: str, id: str) -> Reply:
        query = parse_qs(urlsplit(request.path).query)
        if request.method == "POST":
            mount = query.get("mount", [""])[0]
            if mount in self.blobs:
                return Reply(201, {"Location": f"/v2/{repo}/blobs/{mount}"})
            session = secrets.token_hex(8)
            self.sessions[session] = bytearray()
            location = (
                f"{self.upload_base}/upload/{session}?sig=signed"
                if self.upload_base
                else f"/v2/{repo}/blobs/uploads/{session}"
            )
            return Reply(202, {"Location": location, "Range": "0-0", "Content-Length": "0"})
        return self._session(request, id, query)

    def storage(self, request: Request) -> Reply:
        """The other server's handler: upload sessions and signed blob URLs."""
        match = _STORED_UPLOAD.match(request.route)
        if match:
            return self._session(request, match["id"], parse_qs(urlsplit(request.path).query))
        match = _STORED_BLOB.match(request.route)
        if match and match["digest"] in self.blobs:
            return Reply(200, {}, self.blobs[match["digest"]])
        return Reply(404, {}, b"not here")

    def _session(self, request: Request, session: str, query: dict[str, list[str]]) -> Reply:
        held = self.sessions.get(session)
        if held is None:
            return _error(404, "BLOB_UPLOAD_UNKNOWN", "upload unknown")
        if request.method == "DELETE":
            del self.sessions[session]
            return Reply(204, {})
        held += request.body
        here = {"Range": f"0-{max(len(held) - 1, 0)}", "Location": request.path.split("?")[0]}
        if request.method in ("GET", "PATCH"):
            return Reply(204 if request.method == "GET" else 202, here)
        digest = query.get("digest", [""])[0]
        if digest_of(bytes(held)) != digest:
            return _error(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
        self.blobs[digest] = bytes(self.sessions.pop(session))
        return Reply(201, {"Docker-Content-Digest": digest, "Content-Length": "0"})


def docker_login(host: str, user: str = USER, password: str = PASSWORD) -> None:
    """What `docker login` leaves in $DOCKER_CONFIG/config.json (auths: base64 user:password)."""
    path = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    auths = json.loads(path.read_text()).get("auths", {}) if path.exists() else {}
    auths[host] = {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}
    path.write_text(json.dumps({"auths": auths}))


# ru_maxrss of a child counts what it shared with its parent at fork (pytest's own memory): the
# process reads its own peak (VmHWM) as it exits instead, and writes it to a file.
_PEAK = (
    "import atexit, os, re, runpy, shutil, sys\n"
    "out = sys.argv.pop(1)\n"
    "if os.environ.get('PEAK_LIMIT_MIB'):  # a ceiling, for a run that would not stop\n"
    "    import resource\n"
    "    cap = int(os.environ['PEAK_LIMIT_MIB']) * 2**20\n"
    "    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))\n"
    "def peak():\n"
    "    kb = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
    "    open(out, 'w').write(kb)\n"
    "atexit.register(peak)\n"
    "exe = shutil.which('ecrctl')\n"
    "sys.path[0] = os.path.dirname(exe) if exe else sys.path[0]  # as the script would run\n"
    "sys.argv = [exe or 'ecrctl', *sys.argv[1:]]\n"
    "if exe: runpy.run_path(exe, run_name='__main__')\n"
    "else: runpy.run_module('ecrctl', run_name='__main__')\n"
)


@dataclass
class Measured:
    exit_code: int
    stdout: str
    stderr: str
    peak_mib: float  # the ecrctl process's peak resident memory


def run_measured(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Measured:
    """The installed ``ecrctl`` (the venv's console script) as a subprocess, and its peak
    memory."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "peak")
        done = subprocess.run(
            [sys.executable, "-c", _PEAK, out, *args],
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        peak = int(Path(out).read_text()) / 1024 if os.path.exists(out) else float("nan")
    return Measured(done.returncode, done.stdout, done.stderr, peak)


def ecrctl_installed() -> bool:
    return shutil.which("ecrctl") is not None
