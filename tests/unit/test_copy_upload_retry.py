"""A blob upload restarts as a whole after a transient failure (upload.BlobUpload under the
retry policy): its PATCHes and closing PUT are never repeated blindly. Upload sessions in memory
as the distribution spec describes them (tests/unit/test_copy_resume.py's SpecRegistry), sleep
injected."""

from __future__ import annotations

from typing import Any

import pytest

from ecrctl.core.distribution.client import Missing, RegistryError, Unreachable
from ecrctl.core.distribution.retry import RetryPolicy
from ecrctl.core.distribution.upload import BlobUpload
from tests.unit.test_copy_resume import BLOB, DIGEST, Answer, SpecRegistry, opened_at


class Flaky(SpecRegistry):
    """Fails the listed requests: after acting on them (``lost``), or before with an HTTP
    status (``503``, ``400``); HEAD of a blob says whether it landed."""

    def __init__(self, faults: dict[tuple[str, int], str]) -> None:
        super().__init__()
        self.faults = faults  # (method, nth request of that method): lost | 503 | 400
        self.counts: dict[str, int] = {}
        self.slept: list[float] = []
        self.said: list[str] = []
        self.retry = RetryPolicy(
            3, log=self.said.append, sleep=self.slept.append, jitter=lambda: 0.0
        )

    def request(self, method: str, path: str, **options: Any) -> Any:
        if method == "HEAD":
            self.calls.append((method, path, {}))
            if path.endswith(DIGEST) and DIGEST in self.blobs:
                return Answer(200, {})
            raise Missing("reg.example: HEAD: HTTP 404 BLOB_UNKNOWN", status=404)
        self.counts[method] = self.counts.get(method, 0) + 1
        fault = self.faults.get((method, self.counts[method]))
        if fault in ("503", "400"):
            code = "UNAVAILABLE" if fault == "503" else "DIGEST_INVALID"
            raise RegistryError(f"reg.example: HTTP {fault} {code}", status=int(fault))
        answer = super().request(method, path, **options)
        if fault == "lost":
            raise Unreachable("reg.example: connection failed (reset by peer)")
        return answer


def upload(registry: Flaky, offsets: list[int]) -> int:
    return BlobUpload(registry, "app", DIGEST, len(BLOB)).run(
        opened_at(offsets), lambda n: None, chunk_size=1000
    )


def test_a_lost_patch_answer_goes_on_from_the_registrys_range() -> None:
    registry = Flaky({("PATCH", 2): "lost"})  # the second chunk lands; its answer does not
    offsets: list[int] = []
    assert upload(registry, offsets) == 0
    assert registry.blobs == {DIGEST: BLOB}
    assert offsets == [0, 2000]  # asked the session (GET: Range 0-1999), sent only the rest
    assert registry.patched() == ["0-999", "1000-1999", "2000-2999", "3000-3499"]
    assert len(registry.said) == 1 and registry.said[0].startswith(
        f"debug: retry 1 of 2 in 0.0 s: upload of {DIGEST[:19]}: reg.example: connection failed"
    )


def test_a_lost_answer_to_the_closing_put_finds_the_blob_landed() -> None:
    registry = Flaky({("PUT", 1): "lost"})
    upload(registry, [])
    assert registry.blobs == {DIGEST: BLOB}
    assert [m for m, _, _ in registry.calls].count("PUT") == 1  # never repeated blindly
    assert ("HEAD", f"/v2/app/blobs/{DIGEST}", {}) in registry.calls


def test_a_failed_start_opens_another_session() -> None:
    registry = Flaky({("POST", 1): "503"})
    upload(registry, [])
    assert registry.blobs == {DIGEST: BLOB} and registry.counts["POST"] == 2


def test_each_step_has_the_attempts_and_then_the_error_stands() -> None:
    registry = Flaky({("PATCH", n): "503" for n in range(1, 10)})
    with pytest.raises(RegistryError, match="HTTP 503"):
        upload(registry, [])
    assert registry.counts["PATCH"] == 3 and len(registry.slept) == 2
    assert registry.blobs == {}


def test_a_refusal_is_not_retried() -> None:
    registry = Flaky({("PUT", 1): "400"})
    with pytest.raises(RegistryError, match="DIGEST_INVALID"):
        upload(registry, [])
    assert registry.slept == [] and registry.counts["PUT"] == 1
