"""OCI layouts and docker archives as a copy's ends: what is read is checked, what is written
lands whole or not at all, and bad input is one line naming the file (exit 2)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import tarfile
from pathlib import Path
from typing import Any

import pytest

from ecrctl.core.copy.ends import LocalEnd, local_end, open_destination, open_source
from ecrctl.core.distribution.archive import DockerArchive
from ecrctl.core.distribution.archive_writer import DockerArchiveWriter
from ecrctl.core.distribution.blobput import BlobPut
from ecrctl.core.distribution.client import Manifest, RegistryError
from ecrctl.core.distribution.layout import OciLayout
from ecrctl.core.distribution.localblobs import BlobReader
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.names import (
    DOCKER_LAYER,
    DOCKER_LAYER_TAR,
    OCI_INDEX,
    OCI_MANIFEST,
    OCI_REF_NAME,
    Reference,
)


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    """An empty directory of the test's own (tmp_path holds the isolated HOME)."""
    made = tmp_path / "work"
    made.mkdir()
    return made


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Source:
    """A registry response stand-in: read(n, decode_content), release_conn."""

    def __init__(self, data: bytes, fail_after: int | None = None) -> None:
        self.stream, self.fail_after, self.released = io.BytesIO(data), fail_after, False

    def read(self, amt: int | None = None, decode_content: bool = False) -> bytes:
        if self.fail_after is not None and self.stream.tell() >= self.fail_after:
            raise ConnectionResetError("peer went away")
        return self.stream.read(amt)

    def release_conn(self) -> None:
        self.released = True


def manifest_of(config: bytes, layers: list[bytes], media_type: str = OCI_MANIFEST) -> Manifest:
    doc = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(config),
                   "size": len(config)},
        "layers": [{"mediaType": DOCKER_LAYER, "digest": sha(x), "size": len(x)} for x in layers],
    }  # fmt: skip
    data = json.dumps(doc, indent=3).encode()
    return Manifest(data, media_type, sha(data))


def upload(store: Any, data: bytes, digest: str | None = None, **source: Any) -> int:
    return int(store.upload_blob(BlobPut(
        "", digest or sha(data), len(data), lambda offset: Source(data, **source), lambda n: None
    )))  # fmt: skip


# -- the ends as typed ----------------------------------------------------------------------
def test_local_ends_parse_as_skopeo_names_them() -> None:
    assert local_end("oci:out/app:1.0") == LocalEnd("oci", "out/app", "1.0")
    assert local_end("oci:out") == LocalEnd("oci", "out", None)
    assert local_end("docker-archive:a.tar:team/app:2") == LocalEnd(
        "docker-archive", "a.tar", "team/app:2"
    )
    assert local_end("docker.io/library/alpine:3") is None
    assert local_end("localhost:5000/x:1") is None
    with pytest.raises(InvalidInput, match="name the directory"):
        local_end("oci:")
    with pytest.raises(InvalidInput, match="invalid tag"):
        local_end("oci:dir:bad tag")


# -- OCI layout -----------------------------------------------------------------------------
def test_a_layout_written_then_read_keeps_bytes_and_tags(tmp: Path) -> None:
    config, layer = b'{"os":"linux"}', os.urandom(5000)
    manifest = manifest_of(config, [layer])
    layout = OciLayout(str(tmp / "l"), create=True, role="destination")
    assert not (tmp / "l").exists()  # nothing made before the first write (a dry run)
    for blob in (config, layer):
        assert upload(layout, blob) == 0
    layout.put_manifest("", manifest.digest, manifest)
    layout.put_manifest("", "v1", manifest)
    layout.put_manifest("", "v1", manifest)  # a tag moves, never doubles
    index = json.loads((tmp / "l" / "index.json").read_text())
    assert [e["annotations"][OCI_REF_NAME] for e in index["manifests"]] == ["v1"]
    assert index["mediaType"] == OCI_INDEX  # image-index: SHOULD be used (docker 25, crane)
    read = OciLayout(str(tmp / "l"))
    assert read.get_manifest("", "v1") == manifest
    assert read.head_manifest("", "v1") == manifest.digest
    assert read.head_manifest("", "v2") is None and read.head_blob("", sha(layer))
    assert read.default_reference() == ("v1", None)
    stream = read.open_blob("", sha(layer))
    assert stream.read(10**6) == layer
    stream.release_conn()
    with pytest.raises(InvalidInput, match=r"no image tagged v2 \(tags: v1\)"):
        read.get_manifest("", "v2")
    layout.put_manifest("", "v2", manifest)
    with pytest.raises(InvalidInput, match=r"holds 2 images.*tags: v1, v2"):
        read.default_reference()


def test_a_blob_that_arrives_wrong_or_cut_leaves_nothing_behind(tmp: Path) -> None:
    layout = OciLayout(str(tmp), create=True)
    data = os.urandom(3 * 2**20)
    with pytest.raises(RegistryError, match="arrived as"):
        upload(layout, data, digest=sha(b"something else"))
    with pytest.raises(ConnectionResetError):
        upload(layout, data, fail_after=2**20)
    assert os.listdir(tmp / "blobs" / "sha256") == []  # no half blob, no temporary file


def test_a_blob_read_from_a_layout_is_checked_against_its_digest(tmp: Path) -> None:
    data = os.urandom(100_000)
    path = tmp / "blob"
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    reader = BlobReader(open(path, "rb"), sha(data), len(data), "oci:x")  # noqa: SIM115
    with pytest.raises(InvalidInput, match="does not match its digest"):
        while reader.read(4096):
            pass
    reader.release_conn()
    path.write_bytes(data)
    resumed = BlobReader(open(path, "rb"), sha(data), len(data), "oci:x", skipped=50_000)  # noqa: SIM115
    assert resumed.read(10**6) == data[50_000:]  # the skipped part still counts in the hash
    resumed.release_conn()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "not an OCI image layout (no oci-layout file)"),
        ({"oci-layout": "{}"}, "no index.json"),
        ({"oci-layout": "{}", "index.json": "{nope"}, "index.json: not valid JSON"),
        ({"oci-layout": "{}", "index.json": '{"manifests": 3}'}, "not an image index"),
    ],
)
def test_a_bad_layout_is_refused_naming_what_is_wrong(
    tmp: Path, files: dict[str, str], message: str
) -> None:
    for name, text in files.items():
        (tmp / name).write_text(text)
    with pytest.raises(InvalidInput, match=re.escape(message)):
        open_source(LocalEnd("oci", str(tmp), "1"))


# -- docker archives ------------------------------------------------------------------------
def add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def legacy_archive(path: Path, layers: list[bytes]) -> bytes:
    """docker save's old layout: <id>/layer.tar, the second image's layer a symlink."""
    config = b'{"os":"linux","architecture":"arm64","rootfs":{"type":"layers"}}'
    with tarfile.open(path, "w") as tar:
        add(tar, "cfg.json", config)
        for i, layer in enumerate(layers):
            add(tar, f"l{i}/layer.tar", layer)
        link = tarfile.TarInfo("again/layer.tar")
        link.type, link.linkname = tarfile.SYMTYPE, "../l0/layer.tar"
        tar.addfile(link)
        entries = [
            {"Config": "cfg.json", "RepoTags": ["team/app:1"],
             "Layers": [f"l{i}/layer.tar" for i in range(len(layers))]},
            {"Config": "cfg.json", "RepoTags": ["alpine:3"], "Layers": ["again/layer.tar"]},
        ]  # fmt: skip
        add(tar, "manifest.json", json.dumps(entries).encode())
    return config


def test_an_archive_is_read_as_a_docker_manifest_of_its_files(tmp: Path) -> None:
    plain, zipped = b"a tar, say" * 100, gzip.compress(b"x" * 1000)
    config = legacy_archive(tmp / "a.tar", [plain, zipped])
    store, ref = open_source(LocalEnd("docker-archive", str(tmp / "a.tar"), "team/app:1"))
    assert (ref.repository, ref.tag) == ("team/app", "1")
    manifest = store.get_manifest("", ref.identifier)
    layers = manifest.doc["layers"]
    assert [(x["mediaType"], x["digest"]) for x in layers] == [
        (DOCKER_LAYER_TAR, sha(plain)),
        (DOCKER_LAYER, sha(zipped)),
    ]
    assert manifest.doc["config"]["digest"] == sha(config)
    assert store.open_blob("", sha(zipped)).read(10**6) == zipped
    # docker.io/library/alpine:3 and alpine:3 are one name; the symlink is followed
    archive = DockerArchive(str(tmp / "a.tar"))
    assert archive.select("docker.io/library/alpine:3").doc["layers"][0]["digest"] == sha(plain)
    with pytest.raises(InvalidInput, match=r"holds 2 images.*team/app:1, alpine:3"):
        archive.select(None)
    with pytest.raises(InvalidInput, match="no image tagged other:1"):
        archive.select("other:1")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x1f\x8b" + b"0" * 600, "a compressed archive: gunzip it first"),
        (b"not a tar" * 100, "not a tar archive"),
    ],
)
def test_a_bad_archive_is_refused(tmp: Path, content: bytes, message: str) -> None:
    (tmp / "x.tar").write_bytes(content)
    with pytest.raises(InvalidInput, match=message):
        DockerArchive(str(tmp / "x.tar"))
    with pytest.raises(InvalidInput, match="no such file"):
        DockerArchive(str(tmp / "missing.tar"))


def test_an_archive_without_manifest_json_is_refused(tmp: Path) -> None:
    with tarfile.open(tmp / "x.tar", "w") as tar:
        add(tar, "other", b"1")
    with pytest.raises(InvalidInput, match=r"manifest.json: manifest.json is not in the archive"):
        DockerArchive(str(tmp / "x.tar"))


def test_an_archive_is_written_whole_and_renamed_into_place_last(tmp: Path) -> None:
    config, layer = b'{"os":"linux"}', gzip.compress(os.urandom(4000))
    manifest = manifest_of(config, [layer])
    store, ref = open_destination(LocalEnd("docker-archive", str(tmp / "o.tar"), None),
                                  Reference("team/app", "7", host="127.0.0.1:5000"))  # fmt: skip
    assert ref.tag == "127.0.0.1:5000/team/app:7"  # docker save's RepoTags for that image
    for blob in (layer, config):
        upload(store, blob)
    store.put_manifest("", manifest.digest, manifest)
    assert not (tmp / "o.tar").exists()
    store.put_manifest("", str(ref.tag), manifest)
    assert store.head_manifest("", str(ref.tag)) == manifest.digest
    assert os.listdir(tmp) == ["o.tar"]
    with tarfile.open(tmp / "o.tar") as tar:
        entry = json.load(tar.extractfile("manifest.json"))[0]  # type: ignore[arg-type]
        assert entry["RepoTags"] == [ref.tag]
        assert tar.extractfile(entry["Layers"][0]).read() == layer  # type: ignore[union-attr]
        index = json.load(tar.extractfile("index.json"))  # type: ignore[arg-type]
    assert index["manifests"][0]["digest"] == manifest.digest
    again = DockerArchive(str(tmp / "o.tar"))
    assert again.select(None).doc["layers"][0]["digest"] == sha(layer)


def test_an_archive_abandoned_or_fed_a_wrong_blob_leaves_no_file(tmp: Path) -> None:
    writer = DockerArchiveWriter(str(tmp / "o.tar"))
    upload(writer, b"one blob")
    writer.abandon()
    assert os.listdir(tmp) == []
    writer = DockerArchiveWriter(str(tmp / "o.tar"))
    with pytest.raises(RegistryError, match="another digest"):
        upload(writer, b"these bytes", digest=sha(b"other bytes"))
    assert os.listdir(tmp) == []
    writer = DockerArchiveWriter(str(tmp / "o.tar"))
    index = Manifest(b'{"mediaType":"%s"}' % OCI_INDEX.encode(), OCI_INDEX, sha(b"i"))
    with pytest.raises(InvalidInput, match="one platform's image"):
        writer.put_manifest("", "app:1", index)
    assert os.listdir(tmp) == []


@pytest.mark.parametrize(
    ("source", "repo_tag", "full_name"),
    [
        (Reference("team/app", "7"), "team/app:7", "docker.io/team/app:7"),
        (Reference("alpine", "3"), "alpine:3", "docker.io/library/alpine:3"),
        (
            Reference("team/app", "7", host="127.0.0.1:5000"),
            "127.0.0.1:5000/team/app:7",
            "127.0.0.1:5000/team/app:7",
        ),
    ],
)
def test_an_archives_index_json_is_annotated_as_docker_25_writes_it(
    tmp: Path, source: Reference, repo_tag: str, full_name: str
) -> None:
    # docker 25's `docker save`: the containerd name fully qualified, the OCI ref.name the tag
    # alone (podman and containerd read these; manifest.json's RepoTags stay familiar names).
    config, layer = b'{"os":"linux"}', gzip.compress(os.urandom(100))
    manifest = manifest_of(config, [layer])
    store, ref = open_destination(LocalEnd("docker-archive", str(tmp / "o.tar"), None), source)
    for blob in (layer, config):
        upload(store, blob)
    store.put_manifest("", str(ref.tag), manifest)
    with tarfile.open(tmp / "o.tar") as tar:
        entry = json.load(tar.extractfile("manifest.json"))[0]  # type: ignore[arg-type]
        index = json.load(tar.extractfile("index.json"))  # type: ignore[arg-type]
    assert entry["RepoTags"] == [repo_tag]
    assert index["manifests"][0]["annotations"] == {
        "io.containerd.image.name": full_name,
        "org.opencontainers.image.ref.name": full_name.rsplit(":", 1)[1],
    }
    assert DockerArchive(str(tmp / "o.tar")).select(repo_tag).digest  # still found by its name
