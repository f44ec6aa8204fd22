"""ecrctl copy into and within an ECR registry: the real registry of the docker e2e harness (TLS,
htpasswd Basic auth with the token moto's GetAuthorizationToken issues) under the ECR host name,
moto for the ECR API (--create, the login), a plain local registry as the source, and skopeo
as the independent reader. Runs in CI (.ci/run starts the harness); skips elsewhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tests import oci_registries
from tests.e2e.docker_env import HOST, PASSWORD, DockerEnv
from tests.oci_registries import push_image

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
registries = oci_registries.registries


def inside(docker_env: DockerEnv, argv: list[str], env: dict[str, str]) -> Any:
    return subprocess.run(
        docker_env.inside(argv), env=env, capture_output=True, text=True, timeout=180, check=False
    )


@pytest.fixture
def ecr_env(docker_env: DockerEnv, server_env: dict[str, str]) -> dict[str, str]:
    """moto for the ECR API; the harness's test CA as the one trusted for TLS."""
    return {**server_env, "SSL_CERT_FILE": str(docker_env.root / "tls" / "ca.crt")}


@pytest.fixture
def name() -> str:
    """A repository path of this test's own: the harness's registry lives for the CI run."""
    return f"e2e/copy-{os.urandom(4).hex()}"


def copy(docker_env: DockerEnv, env: dict[str, str], *args: str) -> tuple[int, Any, str]:
    done = inside(docker_env, [sys.executable, "-m", "ecrctl", "copy", *args, "-o", "json"], env)
    assert PASSWORD not in done.stdout + done.stderr  # the registry token is never printed
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else None, done.stderr


def skopeo_digest(docker_env: DockerEnv, env: dict[str, str], ref: str) -> str:
    docker_env.require("skopeo")
    raw = subprocess.run(
        docker_env.inside(
            ["skopeo", "inspect", "--raw", "--creds", f"AWS:{PASSWORD}", f"docker://{ref}"]
        ),
        env=env,
        capture_output=True,
        timeout=120,
        check=True,
    ).stdout
    return oci_registries.digest_of(raw)


def test_copy_into_ecr_then_mount_within_it_then_rerun(
    docker_env: DockerEnv, ecr_env: dict[str, str], registries: Any, server_ecr: Any, name: str
) -> None:
    one, _ = registries
    digest, _ = push_image(one.host, "ecrcopy/src", "1", [os.urandom(300_000), os.urandom(5_000)])

    code, doc, err = copy(
        docker_env, ecr_env, f"{one.host}/ecrcopy/src:1", f"{HOST}/{name}/app", "--create"
    )
    assert code == 0, err
    assert doc["verifiedDigest"] == digest and doc["destination"] == f"{HOST}/{name}/app:1"
    assert {b["status"] for b in doc["blobs"]} == {"copied"}
    assert server_ecr.describe_repositories(repositoryNames=[f"{name}/app"])["repositories"]
    assert skopeo_digest(docker_env, ecr_env, f"{HOST}/{name}/app:1") == digest

    # Within the one registry: mounted (moto has no BLOB_MOUNTING setting: unknown, so tried).
    code, doc, err = copy(
        docker_env, ecr_env, f"{HOST}/{name}/app:1", f"{HOST}/{name}/mounted", "--create"
    )
    assert code == 0, err
    assert {b["status"] for b in doc["blobs"]} == {"mounted"} and doc["bytesMoved"] == 0
    assert skopeo_digest(docker_env, ecr_env, f"{HOST}/{name}/mounted:1") == digest

    code, doc, err = copy(docker_env, ecr_env, f"{HOST}/{name}/app:1", f"{HOST}/{name}/mounted")
    assert code == 0, err
    assert doc["status"] == "unchanged" and doc["bytesMoved"] == 0


def test_immutable_ecr_destination_refuses_another_digest(
    docker_env: DockerEnv, ecr_env: dict[str, str], registries: Any, server_ecr: Any, name: str
) -> None:
    one, _ = registries
    first, _ = push_image(one.host, "ecrcopy/imm", "1", [os.urandom(1000)])
    second, _ = push_image(one.host, "ecrcopy/imm", "2", [os.urandom(1000)])
    server_ecr.create_repository(repositoryName=f"{name}/locked", imageTagMutability="IMMUTABLE")
    code, _, err = copy(
        docker_env, ecr_env, f"{one.host}/ecrcopy/imm:1", f"{HOST}/{name}/locked:live"
    )
    assert code == 0, err
    code, _, err = copy(
        docker_env, ecr_env, f"{one.host}/ecrcopy/imm:2", f"{HOST}/{name}/locked:live"
    )
    assert code == 1
    assert "immutable" in err and f"already names {first}" in err and "Traceback" not in err
    assert skopeo_digest(docker_env, ecr_env, f"{HOST}/{name}/locked:live") == first
    assert second != first
