"""ecrctl login, docker-credential-ecrctl and ecrctl push/pull with the real docker CLI and engine,
a real registry (htpasswd Basic auth, TLS) that accepts the emulator's token, and skopeo."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.docker_env import HOST, DockerEnv

pytestmark = [pytest.mark.e2e, pytest.mark.docker]


def run(
    argv: list[str], env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def engine_env(docker_env: DockerEnv, server_env: dict[str, str]) -> dict[str, str]:
    docker_env.require("dockerd")
    assert docker_env.docker_host
    return {**server_env, "DOCKER_HOST": docker_env.docker_host}


def tiny_tar(content: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = len(content)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


@pytest.fixture
def local_image(engine_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """A one-file image made with `docker import` (no network); removed afterwards."""
    name = f"ecrctl-e2e/tiny:{tmp_path.name[-12:].lower().replace('_', '-')}"
    archive = tmp_path / "tiny.tar"
    archive.write_bytes(tiny_tar(f"hello from {tmp_path.name}\n".encode()))
    done = run(["docker", "import", str(archive), name], engine_env)
    assert done.returncode == 0, done.stderr
    yield name
    run(["docker", "rmi", "-f", name], engine_env)


def test_after_ecrctl_login_the_docker_cli_pushes_and_pulls(
    run_ecrctl: Any, engine_env: dict[str, str], local_image: str, isolated_env: Path
) -> None:
    remote = f"{HOST}/e2e/docker-cli:1"
    assert run(["docker", "tag", local_image, remote], engine_env).returncode == 0
    # Without a login the registry refuses: it really wants the token.
    refused = run(["docker", "push", remote], engine_env)
    assert refused.returncode != 0
    assert "basic auth" in refused.stderr.lower() or "unauthorized" in refused.stderr.lower()

    login = run_ecrctl("login")
    assert login.exit_code == 0 and "Login Succeeded" in login.stderr
    pushed = run(["docker", "push", remote], engine_env)
    assert pushed.returncode == 0, pushed.stderr
    assert "digest: sha256:" in pushed.stdout
    assert run(["docker", "rmi", remote], engine_env).returncode == 0
    pulled = run(["docker", "pull", remote], engine_env)
    assert pulled.returncode == 0, pulled.stderr
    assert run(["docker", "image", "inspect", remote], engine_env).returncode == 0

    out = run_ecrctl("logout", env=engine_env)
    assert out.exit_code == 0
    run(["docker", "rmi", remote], engine_env)
    again = run(["docker", "pull", remote], engine_env)
    assert again.returncode != 0  # logged out: no credentials for the registry


def test_ecrctl_push_and_pull_through_the_engine(
    run_ecrctl: Any, engine_env: dict[str, str], local_image: str, server_ecr: Any
) -> None:
    pushed = run_ecrctl(
        "-o", "json", "push", local_image, "e2e/ecrctl:v1", "--create", env=engine_env, timeout=180
    )
    assert pushed.exit_code == 0, pushed.stderr
    doc = json.loads(pushed.stdout)
    assert doc["uri"] == f"{HOST}/e2e/ecrctl:v1"
    assert doc["digest"].startswith("sha256:")
    assert "created repository e2e/ecrctl" in pushed.stderr
    assert ": Pushed" in pushed.stderr  # per-layer progress, on stderr
    assert server_ecr.describe_repositories(repositoryNames=["e2e/ecrctl"])["repositories"]
    # Nothing was written to the docker config: the token went to the engine directly.
    assert not Path(engine_env["DOCKER_CONFIG"], "config.json").exists()

    assert run(["docker", "rmi", doc["uri"]], engine_env).returncode == 0
    pulled = run_ecrctl("-o", "json", "pull", "e2e/ecrctl:v1", env=engine_env, timeout=180)
    assert pulled.exit_code == 0, pulled.stderr
    assert json.loads(pulled.stdout)["digest"] == doc["digest"]
    inspect = run(
        ["docker", "image", "inspect", "--format", "{{json .RepoDigests}}", doc["uri"]], engine_env
    )
    assert inspect.returncode == 0 and doc["digest"] in inspect.stdout

    missing = run_ecrctl("pull", "e2e/ecrctl:nope", env=engine_env)
    assert missing.exit_code in {1, 3}
    assert len(missing.stderr.strip().splitlines()) >= 1 and "Traceback" not in missing.stderr


def oci_layout(path: Path) -> None:
    """A one-layer OCI image layout at ``path`` (tag v1), built by hand: no network."""
    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def blob(data: bytes) -> tuple[str, int]:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return f"sha256:{digest}", len(data)

    raw_layer = tiny_tar(b"hello from skopeo\n")
    layer, layer_size = blob(gzip.compress(raw_layer, mtime=0))
    diff_id = "sha256:" + hashlib.sha256(raw_layer).hexdigest()
    config, config_size = blob(
        json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "config": {},
                "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            }
        ).encode()
    )
    manifest, manifest_size = blob(
        json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": config,
                    "size": config_size,
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": layer,
                        "size": layer_size,
                    }
                ],
            }
        ).encode()
    )
    (path / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (path / "index.json").write_text(
        json.dumps(
            {
                "schemaVersion": 2,
                "manifests": [
                    {
                        "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": manifest,
                        "size": manifest_size,
                        "annotations": {"org.opencontainers.image.ref.name": "v1"},
                    }
                ],
            }
        )
    )


def test_after_login_helper_skopeo_copies_with_docker_credential_ecrctl_alone(
    run_ecrctl: Any,
    docker_env: DockerEnv,
    server_env: dict[str, str],
    isolated_env: Path,
    tmp_path: Path,
) -> None:
    docker_env.require("skopeo")
    layout = tmp_path / "layout"
    oci_layout(layout)
    runtime = tmp_path / "runtime"  # no containers auth.json anywhere: only the docker config
    runtime.mkdir(mode=0o700)
    env = {**server_env, "XDG_RUNTIME_DIR": str(runtime)}
    env.pop("REGISTRY_AUTH_FILE", None)
    copy = docker_env.inside(
        [
            "skopeo",
            "--debug",
            "copy",
            "--retry-times",
            "0",
            f"oci:{layout}:v1",
            f"docker://{HOST}/e2e/skopeo:v1",
        ]
    )

    refused = run(copy, env)
    assert refused.returncode != 0
    assert "unauthorized" in refused.stderr.lower() or "authentication" in refused.stderr.lower()

    login = run_ecrctl("login", "--helper")
    assert login.exit_code == 0, login.stderr
    config = json.loads((isolated_env / ".docker" / "config.json").read_text())
    assert config == {"credHelpers": {HOST: "ecrctl"}}  # no password anywhere in the file
    # Forget the token login fetched: skopeo's helper call must get one itself.
    cache = isolated_env / ".cache" / "ecrctl" / "tokens"
    for entry in cache.glob("*.json"):
        entry.unlink()

    copied = run(copy, env)
    assert copied.returncode == 0, copied.stderr[-3000:]
    # Only docker-credential-ecrctl, called by skopeo, writes the token cache.
    assert len(list(cache.glob("*.json"))) == 1
    inspected = run(docker_env.inside(["skopeo", "inspect", f"docker://{HOST}/e2e/skopeo:v1"]), env)
    assert inspected.returncode == 0, inspected.stderr
    assert json.loads(inspected.stdout)["Layers"]
    assert os.environ["DOCKER_CONFIG"] == str(isolated_env / ".docker")
