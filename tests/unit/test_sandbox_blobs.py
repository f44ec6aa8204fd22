"""The sandbox registry's blob store and seeded images, without a server."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from ecrctl.sandbox.blobstore import BlobStore, DigestInvalid, RangeInvalid, UploadUnknown
from ecrctl.sandbox.images import sha256_digest
from ecrctl.sandbox.realimages import SeedImages, layer, stored_gzip


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 200_000])
def test_stored_gzip_is_a_gzip_every_reader_takes(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    assert gzip.decompress(stored_gzip(data)) == data


def test_a_seeded_layer_is_a_tar_of_its_files() -> None:
    data, diff_id = layer({"app/VERSION": b"1.4.2\n"})
    raw = gzip.decompress(data)
    assert diff_id == sha256_digest(raw)
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        assert tar.getnames() == ["app", "app/VERSION"]
        member = tar.extractfile("app/VERSION")
        assert member is not None and member.read() == b"1.4.2\n"


def test_seeded_images_are_the_same_bytes_on_every_run(tmp_path: Path) -> None:
    """README's examples name seeded digests: a seeded image never changes."""
    first = SeedImages().image("team/app", "team/app:1.4.2")
    store = BlobStore(tmp_path)
    second = SeedImages(store).image("team/app", "team/app:1.4.2")
    assert first == second
    assert first.digest == "sha256:93e015015ba45234e62c1f2dccf5403e3028ea73c091e94b8575b8333ca93c93"
    doc = json.loads(second.manifest)
    for descriptor in [doc["config"], *doc["layers"]]:
        assert store.size("team/app", descriptor["digest"]) == descriptor["size"]
        assert store.size("team/web", descriptor["digest"]) is None  # per repository


def test_an_upload_belongs_to_its_repository_and_keeps_chunks_in_order(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    upload = store.start("team/app")
    assert store.append("team/app", upload, io.BytesIO(b"hello "), 6, start=0) == 6
    with pytest.raises(RangeInvalid) as caught:
        store.append("team/app", upload, io.BytesIO(b"world"), 5, start=7)
    assert caught.value.size == 6
    with pytest.raises(UploadUnknown):
        store.append("team/web", upload, io.BytesIO(b"world"), 5)
    with pytest.raises(UploadUnknown):
        store.upload_size("team/app", "../../etc")
    store.append("team/app", upload, io.BytesIO(b"world"), None)
    digest = sha256_digest(b"hello world")
    assert store.finish("team/app", upload, digest) == 11
    assert b"".join(store.read(digest)) == b"hello world"
    assert b"".join(store.read(digest, 6, 9)) == b"wor"


def test_a_wrong_digest_stores_nothing_and_ends_the_upload(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    upload = store.start("team/app")
    store.append("team/app", upload, io.BytesIO(b"bytes"), 5)
    claimed = sha256_digest(b"other")
    with pytest.raises(DigestInvalid):
        store.finish("team/app", upload, claimed)
    assert store.size("team/app", claimed) is None
    with pytest.raises(UploadUnknown):
        store.upload_size("team/app", upload)
    with pytest.raises(DigestInvalid):
        store.size("team/app", "sha256:../../x")
