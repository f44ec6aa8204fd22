"""The sandbox holds images: ``ecrctl sandbox --seed`` (the installed command, a process of its
own) serves the OCI distribution API on its port, checked with skopeo as the independent reader
and the aws CLI as the independent view of the ECR API: what is pushed through one is what the
other shows, byte for byte."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecrctl.sandbox.realimages import layer
from tests import oci_registries
from tests.oci_registries import missing_tools, push_image, skopeo_digest
from tests.sandbox_process import Sandbox, running_sandbox

pytestmark = pytest.mark.e2e
registries = oci_registries.registries  # the session fixture: two docker-registry instances

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    reason = missing_tools()
    if reason:
        pytest.skip(reason)
    home = tmp_path_factory.mktemp("home")
    data = tmp_path_factory.mktemp("data")
    with running_sandbox(home, "--seed", "--data", str(data)) as running:
        yield running


def ecr_images(sandbox: Sandbox, repository: str) -> dict[str, list[str]]:
    """digest -> tags, as the ECR API (aws ecr describe-images) lists them."""
    found = sandbox.aws("ecr", "describe-images", "--repository-name", repository)
    return {i["imageDigest"]: i.get("imageTags", []) for i in found["imageDetails"]}


def ecr_manifest(sandbox: Sandbox, repository: str, tag: str) -> tuple[bytes, str]:
    """The manifest bytes and digest that aws ecr batch-get-image returns for a tag."""
    got = sandbox.aws(
        "ecr",
        "batch-get-image",
        "--repository-name",
        repository,
        "--image-ids",
        f"imageTag={tag}",
        "--accepted-media-types",
        OCI_MANIFEST,
        DOCKER_MANIFEST,
        "application/vnd.oci.image.index.v1+json",
    )["images"][0]
    return got["imageManifest"].encode(), got["imageId"]["imageDigest"]


def oci_layout(path: Path, files: dict[str, bytes]) -> str:
    """An OCI image layout with one image (a real gzipped tar layer of ``files``), tag ``x``."""
    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def blob(data: bytes, media_type: str) -> dict[str, Any]:
        (blobs / digest_of(data)[7:]).write_bytes(data)
        return {"mediaType": media_type, "digest": digest_of(data), "size": len(data)}

    gz, diff_id = layer(files)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": blob(json.dumps(config).encode(), "application/vnd.oci.image.config.v1+json"),
        "layers": [blob(gz, "application/vnd.oci.image.layer.v1.tar+gzip")],
    }
    top = blob(json.dumps(manifest, indent=2).encode(), OCI_MANIFEST)
    index = {
        "schemaVersion": 2,
        "manifests": [{**top, "annotations": {"org.opencontainers.image.ref.name": "x"}}],
    }
    (path / "index.json").write_text(json.dumps(index))
    (path / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return str(top["digest"])


def test_uri_and_login_name_the_sandbox_host_that_skopeo_uses_as_is(sandbox: Sandbox) -> None:
    uri = sandbox.ecrctl("uri", "team/app:1.4.2")
    assert (uri.returncode, uri.stdout) == (0, f"{sandbox.host}/team/app:1.4.2\n"), uri.stderr
    assert sandbox.ecrctl("uri").stdout == f"{sandbox.host}\n"
    described = sandbox.aws("ecr", "describe-repositories", "--repository-names", "team/app")
    assert described["repositories"][0]["repositoryUri"] == f"{sandbox.host}/team/app"
    token = sandbox.aws("ecr", "get-authorization-token")["authorizationData"][0]
    assert token["proxyEndpoint"] == f"http://{sandbox.host}"

    login = sandbox.ecrctl("login")
    assert login.returncode == 0, login.stderr
    authfile = Path(sandbox.env["DOCKER_CONFIG"]) / "config.json"
    assert sandbox.host in json.loads(authfile.read_text())["auths"]
    inspected = sandbox.skopeo(
        "inspect",
        "--authfile",
        str(authfile),
        "--tls-verify=false",
        f"docker://{uri.stdout.strip()}",
    )
    assert inspected.returncode == 0, inspected.stderr
    doc = json.loads(inspected.stdout)
    _data, digest = ecr_manifest(sandbox, "team/app", "1.4.2")
    assert doc["Digest"] == digest  # the registry and the ECR API agree
    assert (doc["Os"], doc["Architecture"]) == ("linux", "amd64")
    assert doc["Labels"]["org.opencontainers.image.version"] == "1.4.2"
    assert "APP_VERSION=1.4.2" in doc["Env"] and len(doc["Layers"]) == 2


def test_anonymous_and_wrong_passwords_get_401_with_a_basic_challenge(sandbox: Sandbox) -> None:
    for headers in ({}, {"Authorization": "Basic QVdTOndyb25n"}):  # AWS:wrong
        answer = sandbox.request("GET", "/v2/team/app/manifests/1.4.2", headers=headers)
        assert answer.status == 401
        assert answer.headers["WWW-Authenticate"] == f'Basic realm="{sandbox.host}"'
        assert json.loads(answer.data)["errors"][0]["code"] == "UNAUTHORIZED"
    assert sandbox.request("GET", "/v2/", headers=sandbox.auth()).status == 200
    pulled = sandbox.skopeo(
        "inspect",
        "--raw",
        "--no-creds",
        "--tls-verify=false",
        f"docker://{sandbox.host}/team/app:1.4.2",
    )
    assert pulled.returncode != 0 and "authentication required" in pulled.stderr
    authfile = Path(sandbox.env["HOME"]) / "skopeo-auth.json"
    for password, ok in (("wrong", False), (sandbox.password(), True)):
        login = subprocess.run(
            ["skopeo", "login", "--tls-verify=false", "--authfile", str(authfile), "-u", "AWS",
             "--password-stdin", sandbox.host],
            input=password, env=sandbox.env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert (login.returncode == 0) is ok, login.stderr


def test_seeded_index_is_two_real_platform_images_that_skopeo_copies(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    creds = f"AWS:{sandbox.password()}"
    ref = f"docker://{sandbox.host}/team/app:1.5.0"
    raw = sandbox.skopeo("inspect", "--raw", "--creds", creds, "--tls-verify=false", ref)
    assert raw.returncode == 0, raw.stderr
    index_bytes, index_digest = ecr_manifest(sandbox, "team/app", "1.5.0")
    assert raw.stdout.encode() == index_bytes and digest_of(index_bytes) == index_digest
    platforms = {
        m["platform"]["architecture"]: m["digest"] for m in json.loads(index_bytes)["manifests"]
    }
    assert set(platforms) == {"amd64", "arm64"}
    arm = sandbox.skopeo(
        "inspect", "--override-arch", "arm64", "--creds", creds, "--tls-verify=false", ref
    )
    assert json.loads(arm.stdout)["Architecture"] == "arm64", arm.stderr
    copied = sandbox.skopeo(
        "copy",
        "--all",
        "--src-creds",
        creds,
        "--src-tls-verify=false",
        ref,
        f"oci:{tmp_path}/out:x",
    )
    assert copied.returncode == 0, copied.stderr
    layout = json.loads((tmp_path / "out" / "index.json").read_text())
    assert layout["manifests"][0]["digest"] == index_digest
    for child in platforms.values():  # every blob of both children arrived, digests checked
        assert (tmp_path / "out" / "blobs" / "sha256" / child[7:]).exists()


def test_skopeo_push_then_the_ecr_api_shows_the_exact_bytes(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    digest = oci_layout(tmp_path / "layout", {"data/random": os.urandom(3000)})
    assert sandbox.ecrctl("repo", "create", "pushed/app").returncode == 0
    password = sandbox.ecrctl("login", "--print-password", check=True).stdout.strip()
    pushed = sandbox.skopeo(
        "copy",
        "--dest-creds",
        f"AWS:{password}",
        "--dest-tls-verify=false",
        f"oci:{tmp_path}/layout:x",
        f"docker://{sandbox.host}/pushed/app:v1",
    )
    assert pushed.returncode == 0, pushed.stderr
    tags = sandbox.ecrctl("tags", "pushed/app")
    assert tags.stdout == "v1\n", tags.stderr
    data, ecr_digest = ecr_manifest(sandbox, "pushed/app", "v1")
    assert data == (tmp_path / "layout" / "blobs" / "sha256" / digest[7:]).read_bytes()
    assert ecr_digest == digest == digest_of(data)
    assert ecr_images(sandbox, "pushed/app") == {digest: ["v1"]}
    images = json.loads(sandbox.ecrctl("-o", "json", "images", "pushed/app").stdout)
    assert [i["digest"] for i in images] == [digest]


def test_an_image_put_through_put_image_is_served(sandbox: Sandbox, tmp_path: Path) -> None:
    """The same config and layers as the seeded 1.4.2, in other manifest text: a new digest."""
    seeded, _ = ecr_manifest(sandbox, "team/app", "1.4.2")
    text = json.dumps(json.loads(seeded), indent=1)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(text)
    sandbox.aws(
        "ecr",
        "put-image",
        "--repository-name",
        "team/app",
        "--image-tag",
        "put-by-api",
        "--image-manifest",
        f"file://{manifest}",
    )
    digest = digest_of(text.encode())
    assert digest in ecr_images(sandbox, "team/app")  # ECR's digest: sha256 of the bytes
    creds = f"AWS:{sandbox.password()}"
    for ref in (":put-by-api", f"@{digest}"):
        raw = sandbox.skopeo(
            "inspect", "--raw", "--creds", creds, "--tls-verify=false",
            f"docker://{sandbox.host}/team/app{ref}",
        )  # fmt: skip
        assert raw.returncode == 0, raw.stderr
        assert raw.stdout == text
    copied = sandbox.skopeo(
        "copy", "--src-creds", creds, "--src-tls-verify=false",
        f"docker://{sandbox.host}/team/app:put-by-api", f"oci:{tmp_path}/out:x",
    )  # fmt: skip
    assert copied.returncode == 0, copied.stderr


def test_ecrctl_copy_from_a_registry_into_the_sandbox_and_back_out(
    sandbox: Sandbox, registries: Any
) -> None:
    one, two = registries
    # 9 MB: ecrctl copy sends it in 8 MiB PATCH chunks with Content-Range.
    digest, _ = push_image(one.host, "reg/src", "1.0", [os.urandom(9_000_000), os.urandom(1000)])
    into = sandbox.ecrctl("copy", f"{one.host}/reg/src:1.0", "reg/app", "--create", "-o", "json")
    assert into.returncode == 0, into.stderr
    doc = json.loads(into.stdout)
    assert doc["digest"] == doc["verifiedDigest"] == digest
    assert f"created repository reg/app in {sandbox.host}" in into.stderr
    assert ecr_manifest(sandbox, "reg/app", "1.0")[1] == digest
    creds = f"AWS:{sandbox.password()}"
    raw = sandbox.skopeo(
        "inspect",
        "--raw",
        "--creds",
        creds,
        "--tls-verify=false",
        f"docker://{sandbox.host}/reg/app:1.0",
    )
    assert digest_of(raw.stdout.encode()) == digest, raw.stderr

    out = sandbox.ecrctl("copy", f"{sandbox.host}/reg/app:1.0", f"{two.host}/from/sandbox")
    assert out.returncode == 0, out.stderr
    assert skopeo_digest(two.host, "from/sandbox", "1.0") == digest


def test_ecrctl_copy_within_the_sandbox_mounts_every_blob(sandbox: Sandbox) -> None:
    done = sandbox.ecrctl("copy", "team/app:1.5.0", "team/mirror:1.5.0", "--create", "-o", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert {b["status"] for b in doc["blobs"]} == {"mounted"} and doc["bytesMoved"] == 0
    assert len(doc["manifests"]) == 3  # the index and its two children
    assert ecr_manifest(sandbox, "team/mirror", "1.5.0") == ecr_manifest(
        sandbox, "team/app", "1.5.0"
    )
    again = sandbox.ecrctl("copy", "team/app:1.5.0", "team/mirror:1.5.0")
    assert again.returncode == 0 and again.stderr.startswith("unchanged: "), again.stderr


def test_a_missing_destination_repository_is_not_found_with_the_fix(sandbox: Sandbox) -> None:
    done = sandbox.ecrctl("copy", "team/app:1.4.2", "nowhere/app:1")
    assert done.returncode == 3
    assert done.stderr == (
        f"ecrctl: destination repository nowhere/app does not exist in {sandbox.host}; pass "
        "--create to create it with the source repository's settings\n"
    )


def test_data_dir_keeps_blobs_across_runs_but_not_repositories(tmp_path: Path) -> None:
    reason = missing_tools()
    if reason:
        pytest.skip(reason)
    data = tmp_path / "data"
    blob = os.urandom(5000)
    digest = digest_of(blob)
    with running_sandbox(tmp_path / "home", "--data", str(data)) as first:
        assert first.ecrctl("repo", "create", "kept").returncode == 0
        put = first.request(
            "POST", f"/v2/kept/blobs/uploads/?digest={digest}", body=blob, headers=first.auth()
        )
        assert put.status == 201, put.data
    with running_sandbox(tmp_path / "home", "--data", str(data)) as second:
        assert second.ecrctl("repo", "list").stdout == ""  # manifests and repositories: memory
        path = f"/v2/kept/blobs/{digest}"
        assert second.request("HEAD", path, headers=second.auth()).status == 404  # NAME_UNKNOWN
        assert second.ecrctl("repo", "create", "kept").returncode == 0
        got = second.request("GET", path, headers=second.auth())
        assert (got.status, got.data) == (200, blob)


def test_digest_and_inspect_of_a_missing_repository_say_it_is_the_repository(
    sandbox: Sandbox,
) -> None:
    # The registry's 404 names the repository (NAME_UNKNOWN), as ECR's does: say so, as `tags`
    # does, rather than "nowhere/app:1 not found" (a tag it lacks is the other 404).
    assert sandbox.ecrctl("login").returncode == 0  # for the fast path's docker credentials
    for image in ("nowhere/app:1", f"{sandbox.host}/nowhere/app:1"):  # the app; the fast path
        for command in ("digest", "inspect"):
            done = sandbox.ecrctl(command, image)
            assert (done.returncode, done.stdout) == (3, ""), done.stderr
            assert done.stderr == (
                f"ecrctl: repository nowhere/app not found (on image {sandbox.host})\n"
            )
    done = sandbox.ecrctl("digest", f"{sandbox.host}/team/app:nope")
    assert done.returncode == 3
    assert (
        done.stderr == f"ecrctl: {sandbox.host}/team/app:nope not found (on image {sandbox.host})\n"
    )
