"""ecrctl copy against two real registries (Debian's docker-registry, plain HTTP on 127.0.0.1),
checked with skopeo as the independent reader: the digest ecrctl reports is the digest skopeo
reads back from the destination."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests import oci_registries
from tests.oci_registries import (
    manifest_exists,
    push_image,
    push_index,
    skopeo_digest,
)

registries = oci_registries.registries  # the session fixture: two registries
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("registries")]


def layers(*sizes: int) -> list[bytes]:
    return [os.urandom(size) for size in sizes]


def copy_json(cli: Any, *args: str, env: dict[str, str] | None = None) -> tuple[int, Any, str]:
    out = cli("copy", *args, "-o", "json", env=env)
    return out.exit_code, json.loads(out.stdout) if out.stdout.strip() else None, out.stderr


def test_copy_by_tag_across_registries_keeps_the_digest(cli: Any, registries: Any) -> None:
    one, two = registries
    digest, _ = push_image(one.host, "tagsrc/app", "1.0", layers(50_000, 20_000))
    code, doc, err = copy_json(cli, f"{one.host}/tagsrc/app:1.0", f"{two.host}/team/app")
    assert code == 0, err
    assert doc["digest"] == digest == doc["verifiedDigest"]
    assert doc["destination"] == f"{two.host}/team/app:1.0"  # a repository keeps the tag
    assert skopeo_digest(two.host, "team/app", "1.0") == digest
    assert {b["status"] for b in doc["blobs"]} == {"copied"}
    assert doc["bytesMoved"] == sum(b["size"] for b in doc["blobs"])
    assert digest in err and "token" not in err.lower()


def test_copy_by_digest_to_a_new_tag(cli: Any, registries: Any) -> None:
    one, two = registries
    digest, _ = push_image(one.host, "digsrc", None, layers(10_000))
    code, doc, err = copy_json(cli, f"{one.host}/digsrc@{digest}", f"{two.host}/dig:v2")
    assert code == 0, err
    assert skopeo_digest(two.host, "dig", "v2") == digest == doc["digest"]


def test_index_with_two_platforms_children_first(cli: Any, registries: Any) -> None:
    one, two = registries
    amd, amd_desc = push_image(one.host, "multi", None, layers(30_000), arch="amd64")
    arm, arm_desc = push_image(one.host, "multi", None, layers(30_000), arch="arm64")
    index = push_index(one.host, "multi", "2", [amd_desc, arm_desc])
    code, doc, err = copy_json(cli, f"{one.host}/multi:2", f"{two.host}/multi")
    assert code == 0, err
    assert [m["digest"] for m in doc["manifests"]] == [amd, arm, index]  # index last
    assert [m.get("platform") for m in doc["manifests"][:2]] == ["linux/amd64", "linux/arm64"]
    assert skopeo_digest(two.host, "multi", "2") == index
    assert skopeo_digest(two.host, "multi", arm) == arm


def test_platform_copies_one_child_with_its_own_digest(cli: Any, registries: Any) -> None:
    one, two = registries
    _, amd_desc = push_image(one.host, "plat", None, layers(1000), arch="amd64")
    arm, arm_desc = push_image(one.host, "plat", None, layers(1000), arch="arm64")
    push_index(one.host, "plat", "3", [amd_desc, arm_desc])
    out = cli("copy", f"{one.host}/plat:3", f"{two.host}/plat:3-arm", "--platform", "linux/arm64")
    assert out.exit_code == 0, out.stderr
    assert "platform's digest" in out.stderr
    assert skopeo_digest(two.host, "plat", "3-arm") == arm


def test_mount_within_one_registry_moves_no_layer_bytes(cli: Any, registries: Any) -> None:
    one, _ = registries
    digest, _ = push_image(one.host, "mnt/src", "1", layers(200_000, 100_000))
    code, doc, err = copy_json(cli, f"{one.host}/mnt/src:1", f"{one.host}/mnt/dst:1")
    assert code == 0, err
    assert doc["bytesMoved"] == 0
    assert {b["status"] for b in doc["blobs"]} == {"mounted"}
    assert skopeo_digest(one.host, "mnt/dst", "1") == digest


def test_rerun_is_unchanged_and_moves_nothing(cli: Any, registries: Any) -> None:
    one, two = registries
    push_image(one.host, "again", "1", layers(40_000))
    assert cli("copy", f"{one.host}/again:1", f"{two.host}/again").exit_code == 0
    code, doc, err = copy_json(cli, f"{one.host}/again:1", f"{two.host}/again")
    assert code == 0, err
    assert doc["status"] == "unchanged" and doc["bytesMoved"] == 0
    assert {b["status"] for b in doc["blobs"]} == {"present"}


def test_dry_run_says_what_would_move_and_changes_nothing(cli: Any, registries: Any) -> None:
    one, two = registries
    push_image(one.host, "dry", "1", layers(12_345))
    code, doc, err = copy_json(cli, f"{one.host}/dry:1", f"{two.host}/dry", "--dry-run")
    assert code == 0, err
    assert doc["dryRun"] is True and doc["status"] == "dry-run"
    assert doc["bytesToMove"] == sum(b["size"] for b in doc["blobs"]) > 12_345
    assert {b["status"] for b in doc["blobs"]} == {"copy"}
    assert not manifest_exists(two.host, "dry", "1")
    # Within one registry a dry run says the blobs are mountable.
    code, doc, _ = copy_json(cli, f"{one.host}/dry:1", f"{one.host}/dry2", "--dry-run")
    assert {b["status"] for b in doc["blobs"]} == {"mount"} and doc["bytesToMove"] == 0


def test_no_clobber_refuses_another_digest_and_changes_nothing(cli: Any, registries: Any) -> None:
    one, two = registries
    first, _ = push_image(one.host, "clob", "1", layers(1000))
    second, _ = push_image(one.host, "clob", "2", layers(2000))
    assert cli("copy", f"{one.host}/clob:1", f"{two.host}/clob:live").exit_code == 0
    same = cli("copy", f"{one.host}/clob:1", f"{two.host}/clob:live", "--no-clobber")
    assert same.exit_code == 0 and "unchanged" in same.stderr
    other = cli("copy", f"{one.host}/clob:2", f"{two.host}/clob:live", "--no-clobber")
    assert other.exit_code == 1
    assert f"already names {first}" in other.stderr and "nothing changed" in other.stderr
    assert skopeo_digest(two.host, "clob", "live") == first
    assert not manifest_exists(two.host, "clob", second)  # not even the manifest by digest


def test_missing_source_exits_3(cli: Any, registries: Any) -> None:
    one, two = registries
    out = cli("copy", f"{one.host}/nothing/here:1", f"{two.host}/x")
    assert out.exit_code == 3
    assert out.stderr.startswith("ecrctl: ") and "not found" in out.stderr


def test_referrers_come_along(cli: Any, registries: Any) -> None:
    """distribution 2.8 has no referrers API: the sha256-<hex> tag schema is used and copied."""
    one, two = registries
    digest, desc = push_image(one.host, "signed", "1", layers(500))
    subject = {k: desc[k] for k in ("mediaType", "digest", "size")}
    sig, sig_desc = push_image(
        one.host, "signed", None, layers(100), subject=subject, artifact="application/x.sig"
    )
    fallback = "sha256-" + digest.split(":", 1)[1]
    push_index(one.host, "signed", fallback, [sig_desc])
    code, doc, err = copy_json(
        cli, f"{one.host}/signed:1", f"{two.host}/signed", "--with-referrers"
    )
    assert code == 0, err
    roles = {m["digest"]: m["role"] for m in doc["manifests"]}
    assert roles[sig] == "referrer" and roles[digest] == "image"
    assert skopeo_digest(two.host, "signed", sig) == sig
    assert skopeo_digest(two.host, "signed", fallback) == skopeo_digest(
        one.host, "signed", fallback
    )
    assert skopeo_digest(two.host, "signed", "1") == digest


class CuttingProxy:
    """A TCP proxy to a registry that cuts every connection once ``limit`` bytes came back
    through it (one time only: after that it forwards everything)."""

    def __init__(self, target: str, limit: int) -> None:
        self.target = target.rsplit(":", 1)
        self.limit, self.seen, self.tripped = limit, 0, False
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.host = f"127.0.0.1:{self.server.getsockname()[1]}"
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection((self.target[0], int(self.target[1])))
            with self.lock:
                self.open += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, counted: bool) -> None:
        try:
            while data := source.recv(65536):
                if counted:
                    with self.lock:
                        self.seen += len(data)
                        cut = not self.tripped and self.seen > self.limit
                        if cut:
                            self.tripped = True
                    if cut:
                        self._cut_all()
                        return
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def _cut_all(self) -> None:
        with self.lock:
            for sock in self.open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.server.close()
        self._cut_all()


@pytest.fixture
def proxy_to(registries: Any) -> Iterator[Any]:
    made: list[CuttingProxy] = []

    def make(limit: int) -> CuttingProxy:
        made.append(CuttingProxy(registries[0].host, limit))
        return made[-1]

    yield make
    for proxy in made:
        proxy.close()


def test_interrupted_copy_leaves_no_tag_and_a_rerun_moves_only_the_rest(
    cli: Any, registries: Any, proxy_to: Any
) -> None:
    one, two = registries
    mb = 1_000_000
    digest, _ = push_image(one.host, "cut", "1", layers(3 * mb, 2 * mb, 1 * mb))
    proxy = proxy_to(int(5.5 * mb))  # 3 MB and 2 MB arrive; the 1 MB layer is cut mid-blob
    env = {"ECRCTL_CONCURRENCY": "1"}  # one blob at a time, largest first
    first = cli("copy", f"{proxy.host}/cut:1", f"{two.host}/cut", "-o", "json", env=env)
    assert first.exit_code == 1, first.stderr
    assert proxy.tripped
    assert "interrupted" in first.stderr and "not copied: sha256:" in first.stderr
    assert "tag 1 not written" in first.stderr and "Traceback" not in first.stderr
    assert not manifest_exists(two.host, "cut", "1")
    code, doc, err = copy_json(cli, f"{proxy.host}/cut:1", f"{two.host}/cut", env=env)
    assert code == 0, err
    statuses = {b["size"]: b["status"] for b in doc["blobs"]}
    assert statuses[3 * mb] == statuses[2 * mb] == "present"
    assert statuses[1 * mb] == "copied"
    assert doc["bytesMoved"] < 1.1 * mb
    assert skopeo_digest(two.host, "cut", "1") == digest == doc["verifiedDigest"]


def test_chunked_upload_keeps_the_digest(registries: Any) -> None:
    from ecrctl.core.copy.copy import Copier
    from ecrctl.core.distribution.client import Registry
    from ecrctl.core.names import parse_reference

    one, two = registries
    digest, _ = push_image(one.host, "chunky", "1", layers(2_500_000))
    copier = Copier(
        Registry(one.host, scheme="http"), Registry(two.host, scheme="http"), chunk_size=1_000_000
    )
    plan = copier.plan(
        parse_reference(f"{one.host}/chunky:1"), parse_reference(f"{two.host}/chunky:1")
    )
    result = copier.execute(plan)
    assert result.verified == digest == skopeo_digest(two.host, "chunky", "1")


def test_rerun_of_a_complete_copy_reads_one_manifest_per_side_and_no_blob(
    registries: Any,
) -> None:
    """The re-run of a finished copy is the common case in CI: the destination tag already
    names the digest, so it needs one manifest GET on the source, one HEAD on the destination."""
    from ecrctl.core.copy.copy import Copier
    from ecrctl.core.distribution.client import Registry
    from ecrctl.core.names import parse_reference

    class Recording(Registry):
        def __init__(self, host: str) -> None:
            super().__init__(host, scheme="http")
            self.calls: list[tuple[str, str]] = []

        def request(self, method: str, path: str, **kwargs: Any) -> Any:
            self.calls.append((method, path.split("?")[0]))
            return super().request(method, path, **kwargs)

    one, two = registries
    digest, _ = push_image(one.host, "quick", "1", layers(3000, 2000))
    src, dst = parse_reference(f"{one.host}/quick:1"), parse_reference(f"{two.host}/quick:1")
    first = Copier(Registry(one.host, scheme="http"), Registry(two.host, scheme="http"))
    assert first.execute(first.plan(src, dst)).status == "copied"
    source, destination = Recording(one.host), Recording(two.host)
    again = Copier(source, destination)
    result = again.execute(again.plan(src, dst))
    assert (result.status, result.bytes_moved, result.verified) == ("unchanged", 0, digest)
    assert {b.status for b in result.plan.blobs.values()} == {"present"}
    assert source.calls == [("GET", "/v2/quick/manifests/1")]
    assert destination.calls == [("HEAD", "/v2/quick/manifests/1")]
