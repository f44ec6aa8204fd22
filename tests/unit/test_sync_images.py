"""One image of a sync, between two in-memory registries that keep the distribution spec's
rules (a manifest is accepted only when its blobs are there; a mount needs the blob in the
repository it names): what each decision costs in requests, who sends a layer two images share,
who waits, and what happens when that upload fails. Threads are ordered by events, never sleeps.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Callable
from typing import Any

from ecrctl.core.distribution.blobput import BlobPut
from ecrctl.core.distribution.client import (
    Manifest,
    Missing,
    RegistryError,
    Unreachable,
    checked_manifest,
)
from ecrctl.core.names import OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, Reference
from ecrctl.core.sync.blobcache import BlobCache
from ecrctl.core.sync.image import PENDING, ImageOptions, ImageSync
from ecrctl.core.sync.plan import Item
from ecrctl.core.sync.ratelimit import PullGuard


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Body(io.BytesIO):
    def read(self, size: int | None = -1, decode_content: bool = False) -> bytes:  # type: ignore[override]
        return super().read(size)

    def release_conn(self) -> None:
        pass


class MemoryRegistry:
    def __init__(self, host: str) -> None:
        self.host = self.label = host
        self.base = f"http://{host}"
        self.manifests: dict[str, dict[str, Manifest]] = {}
        self.blobs: dict[str, dict[str, bytes]] = {}
        self.calls: list[tuple[str, str, str]] = []
        self.gates: dict[str, tuple[threading.Event, threading.Event, bool]] = {}
        self.on_manifest: Callable[[Any], None] | None = None
        self.lock = threading.Lock()

    def _call(self, method: str, repository: str, ref: str) -> None:
        with self.lock:
            self.calls.append((method, repository, ref))

    def grant(self, repository: str, *actions: str) -> None:
        pass

    def push(self, repository: str, tag: str, layers: list[bytes], name: str = "") -> str:
        config = json.dumps({"architecture": "amd64", "os": "linux", "n": name or repository})
        config = config.encode()
        store = self.blobs.setdefault(repository, {})
        for blob in [config, *layers]:
            store[digest(blob)] = blob
        doc = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": digest(config), "size": len(config)},
            "layers": [
                {"mediaType": OCI_LAYER, "digest": digest(b), "size": len(b)} for b in layers
            ],
        }
        data = json.dumps(doc).encode()
        manifest = checked_manifest(data, OCI_MANIFEST, digest(data), self.host, "manifest")
        held = self.manifests.setdefault(repository, {})
        held[tag] = held[manifest.digest] = manifest
        return manifest.digest

    def head_manifest(self, repository: str, reference: str) -> str | None:
        self._call("HEAD", repository, reference)
        found = self.manifests.get(repository, {}).get(reference)
        return found.digest if found else None

    def get_manifest(self, repository: str, reference: str) -> Manifest:
        self._call("GET", repository, reference)
        found = self.manifests.get(repository, {}).get(reference)
        if found is None:
            raise Missing(f"{reference} not found", status=404)
        return found

    def put_manifest(self, repository: str, reference: str, manifest: Manifest) -> str:
        self._call("PUT", repository, reference)
        blobs = self.blobs.get(repository, {})
        doc = manifest.doc
        for blob in [doc["config"], *doc["layers"]]:
            if blob["digest"] not in blobs:
                raise RegistryError("MANIFEST_BLOB_UNKNOWN", status=400)
        held = self.manifests.setdefault(repository, {})
        held[reference] = held[manifest.digest] = manifest
        return manifest.digest

    def referrers(self, repository: str, subject: str) -> tuple[list[Any], None]:
        return [], None

    def head_blob(self, repository: str, blob: str) -> bool:
        self._call("HEAD blob", repository, blob)
        return blob in self.blobs.get(repository, {})

    def open_blob(self, repository: str, blob: str, offset: int = 0) -> Body:
        self._call("GET blob", repository, blob)
        return Body(self.blobs[repository][blob][offset:])

    def mount_blob(self, repository: str, blob: str, source: str) -> bool:
        self._call("MOUNT", repository, blob)
        if blob not in self.blobs.get(source, {}):
            return False
        self.blobs.setdefault(repository, {})[blob] = self.blobs[source][blob]
        return True

    def upload_blob(self, put: BlobPut) -> int:
        repository, blob = put.repository, put.digest
        self._call("UPLOAD", repository, blob)
        data = put.open_source(0).read()
        gate = self.gates.pop(blob, None)  # the first upload of that blob only
        if gate is not None:
            started, release, fail = gate
            started.set()
            release.wait()
            if fail:
                raise Unreachable("the connection broke off mid-blob")
        assert digest(data) == blob
        self.blobs.setdefault(repository, {})[blob] = data
        put.progress(len(data))
        return 0


class WatchedCache(BlobCache):
    """Says when an image found a blob another image is sending (it will wait for it)."""

    def __init__(self) -> None:
        super().__init__(mountable=True)
        self.awaiting = threading.Event()

    def claim(self, repository: str, digests: Any) -> Any:
        mine, waits = super().claim(repository, digests)
        if waits:
            self.awaiting.set()
        return mine, waits


def syncer(source: MemoryRegistry, destination: MemoryRegistry, **options: Any) -> ImageSync:
    return ImageSync(
        source,  # type: ignore[arg-type]
        destination,  # type: ignore[arg-type]
        cache=options.pop("cache", BlobCache(mountable=True)),
        guard=options.pop("guard", PullGuard(reserve=0)),
        options=ImageOptions(blob_workers=2, **options),
    )


def item(src_repo: str, tag: str, dst_repo: str) -> Item:
    return Item(Reference(src_repo, tag, host="src"), Reference(dst_repo, tag, host="dst"))


def test_an_image_already_there_costs_one_head_on_each_side() -> None:
    src, dst = MemoryRegistry("src"), MemoryRegistry("dst")
    layers = [b"base" * 100, b"own"]
    src.push("ns/app", "1.0", layers, name="app")
    dst.push("mirror/app", "1.0", layers, name="app")
    row = syncer(src, dst).run(item("ns/app", "1.0", "mirror/app"))
    assert (row.status, row.digest) == ("up-to-date", src.manifests["ns/app"]["1.0"].digest)
    assert src.calls == [("HEAD", "ns/app", "1.0")]
    assert dst.calls == [("HEAD", "mirror/app", "1.0")]


def test_tags_of_one_image_pull_it_once() -> None:
    src, dst = MemoryRegistry("src"), MemoryRegistry("dst")
    same = src.push("ns/app", "1.0", [b"layer"])
    src.manifests["ns/app"]["latest"] = src.manifests["ns/app"]["1.0"]
    images = syncer(src, dst)
    rows = [images.run(item("ns/app", tag, "mirror/app")) for tag in ("1.0", "latest")]
    assert [(r.status, r.digest) for r in rows] == [("copied", same), ("copied", same)]
    assert [c for c in src.calls if c[0] == "GET"] == [("GET", "ns/app", "1.0")]
    assert dst.manifests["mirror/app"]["latest"].digest == same
    # The tag is asked for when deciding and read back at the end; the manifest is put once,
    # by its tag (no put by digest first: the same bytes twice).
    assert dst.calls.count(("HEAD", "mirror/app", "1.0")) == 2
    assert [c for c in dst.calls if c[0] == "PUT"] == [
        ("PUT", "mirror/app", "1.0"),
        ("PUT", "mirror/app", "latest"),
    ]


def _two_images_sharing_a_base(fail: bool) -> tuple[MemoryRegistry, MemoryRegistry, Any, Any]:
    src, dst = MemoryRegistry("src"), MemoryRegistry("dst")
    base = b"base layer" * 1000
    src.push("ns/a", "1", [base, b"own a"])
    src.push("ns/b", "1", [base, b"own b"])
    started, release = threading.Event(), threading.Event()
    dst.gates[digest(base)] = (started, release, fail)
    cache = WatchedCache()
    images = syncer(src, dst, cache=cache)
    first = images.decide(item("ns/a", "1", "a"))
    second = images.decide(item("ns/b", "1", "b"))
    assert first.status == second.status == PENDING
    results: dict[str, Any] = {}
    one = threading.Thread(
        target=lambda: results.update(a=images.transfer(item("ns/a", "1", "a"), first))
    )
    one.start()
    started.wait(timeout=30)  # a is sending the base layer (and holds it until released)
    two = threading.Thread(
        target=lambda: results.update(b=images.transfer(item("ns/b", "1", "b"), second))
    )
    two.start()
    cache.awaiting.wait(timeout=30)  # b found the base layer being sent by a
    return dst, results, (one, two), (release, digest(base))


def test_a_shared_layer_is_sent_once_and_mounted_by_the_image_that_waited() -> None:
    dst, results, threads, (release, base) = _two_images_sharing_a_base(fail=False)
    # b sends its own layer meanwhile, but puts no manifest before the base layer is there.
    assert "1" not in dst.manifests.get("b", {})
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert results["a"].status == results["b"].status == "copied"
    assert [c for c in dst.calls if c[0] == "UPLOAD" and c[2] == base] == [("UPLOAD", "a", base)]
    assert ("MOUNT", "b", base) in dst.calls
    assert (results["b"].mounted, results["b"].sent_late) == (1, 0)
    assert results["b"].moved < len(b"base layer" * 1000)


def test_when_the_sender_fails_the_image_that_waited_sends_the_layer_itself() -> None:
    dst, results, threads, (release, base) = _two_images_sharing_a_base(fail=True)
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert results["a"].status == "failed" and "broke off" in results["a"].error
    assert results["b"].status == "copied" and results["b"].sent_late == 1
    assert [c[1] for c in dst.calls if c[0] == "UPLOAD" and c[2] == base] == ["a", "b"]
    assert dst.manifests["b"]["1"].digest == results["b"].digest


def test_no_pull_starts_when_the_pull_limit_is_near() -> None:
    src, dst = MemoryRegistry("src"), MemoryRegistry("dst")
    src.push("ns/app", "1.0", [b"layer"])
    guard = PullGuard(reserve=2)
    guard.observe({"ratelimit-remaining": "2;w=21600"})
    row = syncer(src, dst, guard=guard).run(item("ns/app", "1.0", "mirror/app"))
    assert (row.status, row.deferred) == ("failed", True)
    assert not [c for c in src.calls if c[0] == "GET"]  # only the HEAD, which is free


def test_a_429_on_a_pull_stops_the_next_ones() -> None:
    src, dst = MemoryRegistry("src"), MemoryRegistry("dst")
    src.push("ns/app", "1.0", [b"layer"])
    guard = PullGuard(reserve=0)

    def refused(repository: str, reference: str) -> Manifest:
        raise RegistryError("HTTP 429 TOOMANYREQUESTS", status=429, code="TOOMANYREQUESTS")

    src.get_manifest = refused  # type: ignore[method-assign]
    row = syncer(src, dst, guard=guard).run(item("ns/app", "1.0", "mirror/app"))
    assert (row.status, row.deferred, guard.near) == ("failed", True, True)
