"""Resumable blob uploads: the private state file (what is written, what never is, when it goes)
and the upload's choices on a re-run (resume from the registry's Range, or start afresh), over
an in-memory registry that answers as the distribution spec says. The same path against a real
docker-registry, with a real SIGKILL, is in tests/e2e/test_copy_resume.py."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from ecrctl.core.distribution.client import Missing, Registry, RegistryError
from ecrctl.core.distribution.resume import UploadStates, storable
from ecrctl.core.distribution.upload import BlobUpload, held_bytes

BLOB = os.urandom(3500)
DIGEST = "sha256:" + hashlib.sha256(BLOB).hexdigest()
HOST = "reg.example"


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        self.status, self.headers, self._body = status, headers, body

    def read(self, amt: int | None = None, decode_content: bool = False) -> bytes:
        data, self._body = self._body[:amt], self._body[amt:] if amt is not None else b""
        return data

    def release_conn(self) -> None:
        pass


class SpecRegistry(Registry):
    """Upload sessions in memory: GET answers 204 with the Range it holds, PATCH must start
    where the session ends, PUT checks the whole blob's digest."""

    def __init__(self, query: str = "_state=signed-by-the-registry") -> None:
        super().__init__(HOST)
        self.query = query
        self.sessions: dict[str, bytearray] = {}
        self.blobs: dict[str, bytes] = {}
        self.calls: list[tuple[str, str, dict[str, str]]] = []

    def where(self, session: str) -> str:
        return f"/v2/app/blobs/uploads/{session}?{self.query}"

    def request(self, method: str, path: str, **options: Any) -> Any:
        headers = dict(options.get("headers") or {})
        parts = urlsplit(path)
        self.calls.append((method, parts.path, headers))
        if method == "POST":
            session = f"s{len(self.sessions)}"
            self.sessions[session] = bytearray()
            return Answer(202, {"Location": self.where(session)})
        session = parts.path.rsplit("/", 1)[-1]
        if session not in self.sessions:
            raise Missing(f"{HOST}: {method}: HTTP 404 BLOB_UPLOAD_UNKNOWN", status=404)
        held = self.sessions[session]
        if method == "GET":
            return Answer(204, {"Range": f"0-{max(len(held) - 1, 0)}", "Location": path})
        if method == "DELETE":
            del self.sessions[session]
            return Answer(204, {})
        if method == "PATCH":
            start = int(headers.get("Content-Range", f"{len(held)}-").split("-")[0])
            if start != len(held):
                raise RegistryError(f"{HOST}: PATCH: HTTP 416", status=416)
            held += options["body"].read(int(headers["Content-Length"]))
            return Answer(202, {"Location": self.where(session)})
        digest = parse_qs(parts.query)["digest"][0]
        if "sha256:" + hashlib.sha256(held).hexdigest() != digest:
            raise RegistryError(f"{HOST}: PUT: HTTP 400 DIGEST_INVALID", status=400)
        self.blobs[digest] = bytes(self.sessions.pop(session))
        return Answer(201, {})

    def patched(self) -> list[str]:
        return [h.get("Content-Range", "") for m, _, h in self.calls if m == "PATCH"]


@pytest.fixture
def states(tmp_path: Path) -> UploadStates:
    return UploadStates(str(tmp_path / "uploads"))


def opened_at(offsets: list[int]) -> Any:
    def open_source(offset: int) -> Answer:
        offsets.append(offset)
        return Answer(200, {}, BLOB[offset:])

    return open_source


def upload(registry: SpecRegistry, states: UploadStates | None, offsets: list[int]) -> int:
    return BlobUpload(registry, "app", DIGEST, len(BLOB), states).run(
        opened_at(offsets), lambda n: None, chunk_size=1000
    )


def watch(registry: SpecRegistry, states: UploadStates) -> list[dict[str, Any] | None]:
    """The state file as it is at each PATCH and PUT: what a kill then would leave behind."""
    seen: list[dict[str, Any] | None] = []
    original = registry.request

    def watching(method: str, path: str, **options: Any) -> Any:
        if method in ("PATCH", "PUT"):
            state = Path(states.path(HOST, "app", DIGEST))
            seen.append(
                {"mode": state.stat().st_mode & 0o777, **json.loads(state.read_text())}
                if state.exists()
                else None
            )
        return original(method, path, **options)

    registry.request = watching  # type: ignore[method-assign]
    return seen


def test_a_chunked_upload_keeps_a_private_state_file_until_the_blob_is_complete(
    states: UploadStates,
) -> None:
    registry = SpecRegistry()
    seen = watch(registry, states)
    assert upload(registry, states, []) == 0
    assert None not in seen
    assert registry.blobs == {DIGEST: BLOB}
    assert [s["offset"] for s in seen if s] == [0, 1000, 2000, 3000, 3500]
    assert {s["mode"] for s in seen if s} == {0o600}
    assert seen[1] is not None
    assert os.stat(states.directory).st_mode & 0o777 == 0o700
    assert seen[1]["location"] == registry.where("s0")  # a path on the host, no origin
    assert not any(k in json.dumps(seen).lower() for k in ("authorization", "bearer", "basic "))
    assert os.listdir(states.directory) == []  # removed once the PUT succeeded


def test_a_rerun_resumes_where_the_registry_says_and_sends_only_the_rest(
    states: UploadStates,
) -> None:
    registry = SpecRegistry()
    registry.sessions["s7"] = bytearray(BLOB[:2000])
    states.save(HOST, "app", DIGEST, registry.where("s7"), 2000, len(BLOB))
    offsets: list[int] = []
    assert upload(registry, states, offsets) == 2000
    assert offsets == [2000]
    assert registry.patched() == ["2000-2999", "3000-3499"]
    assert [m for m, _, _ in registry.calls] == ["GET", "PATCH", "PATCH", "PUT"]
    assert registry.blobs == {DIGEST: BLOB}
    assert states.load(HOST, "app", DIGEST) is None


def test_a_session_the_registry_no_longer_has_falls_back_to_a_fresh_upload(
    states: UploadStates,
) -> None:
    registry = SpecRegistry()
    states.save(HOST, "app", DIGEST, registry.where("expired"), 2000, len(BLOB))
    offsets: list[int] = []
    assert upload(registry, states, offsets) == 0
    assert [m for m, _, _ in registry.calls][:3] == ["GET", "POST", "PATCH"]
    assert offsets == [0] and registry.patched()[0] == "0-999"
    assert registry.blobs == {DIGEST: BLOB}
    assert os.listdir(states.directory) == []


@pytest.mark.parametrize("held", [b"", BLOB + b"more"])
def test_a_range_that_makes_no_sense_cancels_the_session_and_starts_afresh(
    states: UploadStates, held: bytes
) -> None:
    registry = SpecRegistry()
    registry.sessions["odd"] = bytearray(held)
    states.save(HOST, "app", DIGEST, registry.where("odd"), 2000, len(BLOB))
    assert upload(registry, states, []) == 0
    assert "odd" not in registry.sessions  # DELETEd, not left to expire
    assert registry.blobs == {DIGEST: BLOB}


def test_a_refused_digest_forgets_the_session(states: UploadStates) -> None:
    registry = SpecRegistry()
    registry.sessions["bad"] = bytearray(b"x" * 2000)  # not what the source holds
    states.save(HOST, "app", DIGEST, registry.where("bad"), 2000, len(BLOB))
    with pytest.raises(RegistryError, match="DIGEST_INVALID"):
        upload(registry, states, [])
    assert os.listdir(states.directory) == []  # the next run starts afresh


@pytest.mark.parametrize(
    "query",
    [
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA&X-Amz-Signature=abc",
        "access_token=eyJhbGciOi",
        "_state=x&auth=basic",
    ],
)
def test_a_location_with_a_credential_in_its_query_is_never_written(
    states: UploadStates, query: str
) -> None:
    registry = SpecRegistry(query)
    seen = watch(registry, states)
    assert upload(registry, states, []) == 0
    assert registry.blobs == {DIGEST: BLOB}
    assert len(seen) == 5 and seen == [None] * 5


@pytest.mark.parametrize(
    "location",
    [
        "https://user:secret@reg.example/v2/app/blobs/uploads/s0",
        "https://storage.example/v2/app/blobs/uploads/s0",
        "https://reg.example//storage.example/upload",
        "https://reg.example/v2/app/blobs/uploads/s0?Signature=abc",
    ],
)
def test_storable_refuses_other_origins_user_info_and_signatures(location: str) -> None:
    assert storable(location, "https://reg.example") is None


def test_storable_keeps_distributions_state_as_a_path() -> None:
    location = "https://reg.example/v2/app/blobs/uploads/u1?_state=abc%3D"
    assert storable(location, "https://reg.example") == "/v2/app/blobs/uploads/u1?_state=abc%3D"


def test_a_state_file_others_could_write_is_not_used(states: UploadStates) -> None:
    assert states.save(HOST, "app", DIGEST, "/v2/app/blobs/uploads/s1", 10, len(BLOB))
    os.chmod(states.path(HOST, "app", DIGEST), 0o666)
    assert states.load(HOST, "app", DIGEST) is None


def test_a_source_that_ignores_range_is_read_past_the_held_bytes() -> None:
    class WholeBody(Registry):
        def request(self, method: str, path: str, **options: Any) -> Any:
            assert options["headers"] == {"Range": "bytes=2000-"} and 206 in options["ok"]
            return Answer(200, {}, BLOB)  # the whole blob, Range ignored

    response = WholeBody(HOST).open_blob("app", DIGEST, 2000)
    assert response.read(10_000) == BLOB[2000:]


def test_a_partial_answer_from_the_wrong_byte_is_refused() -> None:
    class WrongRange(Registry):
        def request(self, method: str, path: str, **options: Any) -> Any:
            return Answer(206, {"Content-Range": "bytes 0-3499/3500"}, BLOB)

    with pytest.raises(RegistryError, match="wrong byte"):
        WrongRange(HOST).open_blob("app", DIGEST, 2000)


@pytest.mark.parametrize(
    ("header", "held"),
    [("0-999", 1000), ("bytes=0-4", 5), ("0-0", 0), ("", None), ("5-9", None)],
)
def test_held_bytes_reads_the_range_header(header: str, held: int | None) -> None:
    assert held_bytes(header) == held
