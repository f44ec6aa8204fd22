"""docker pulls from the sandbox: the CI harness's real engine (tests/e2e/docker_env.py; it runs
in a mount namespace of its own but shares the machine's network, so it reaches the sandbox on
127.0.0.1, a registry docker takes over plain HTTP as it does every 127.0.0.0/8 one) logs in with
`ecrctl login` and pulls the seeded images. What it then holds is what `ecrctl digest` and
`ecrctl inspect` say: the manifest digest it pulled by, the image id (the config's digest) and
the layers' diff ids. Runs in CI (.ci/run starts the harness); skips elsewhere without dockerd."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.docker_env import DockerEnv
from tests.sandbox_process import Sandbox, running_sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.docker]


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with running_sandbox(tmp_path / "home", "--seed") as running:
        yield running


@pytest.fixture
def docker(docker_env: DockerEnv, sandbox: Sandbox) -> Iterator[Any]:
    """The docker CLI on the harness's engine, with the sandbox's DOCKER_CONFIG; the images it
    pulled from the sandbox are removed afterwards."""
    docker_env.require("dockerd")
    assert docker_env.docker_host
    env = {**sandbox.env, "DOCKER_HOST": docker_env.docker_host}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker", *args], env=env, capture_output=True, text=True, timeout=180, check=False
        )

    yield run
    listed = run("image", "ls", "--quiet", "--no-trunc", f"{sandbox.host}/*/*")
    ids = sorted(set(listed.stdout.split()))
    if ids:
        run("image", "rm", "--force", *ids)


def image(docker: Any, ref: str) -> dict[str, Any]:
    shown = docker("image", "inspect", ref)
    assert shown.returncode == 0, shown.stderr
    found: dict[str, Any] = json.loads(shown.stdout)[0]
    return found


def inspected(sandbox: Sandbox, ref: str, *options: str) -> dict[str, Any]:
    done = sandbox.ecrctl("-o", "json", "inspect", ref, *options, check=True)
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc


def test_docker_pulls_seeded_images_after_ecrctl_login(sandbox: Sandbox, docker: Any) -> None:
    ref = f"{sandbox.host}/team/app:1.4.2"
    # Anonymous: the sandbox wants the token, as ECR does.
    refused = docker("pull", ref)
    assert refused.returncode != 0
    assert "no basic auth credentials" in refused.stderr or "401" in refused.stderr

    login = sandbox.ecrctl("login")
    assert login.returncode == 0, login.stderr
    assert "Login Succeeded" in login.stderr
    pulled = docker("pull", ref)
    assert pulled.returncode == 0, pulled.stderr
    digest = sandbox.ecrctl("digest", "team/app:1.4.2", check=True).stdout.strip()
    assert f"Digest: {digest}" in pulled.stdout

    got = image(docker, ref)
    doc = inspected(sandbox, "team/app:1.4.2")
    config = json.loads(sandbox.ecrctl("inspect", "team/app:1.4.2", "--config", check=True).stdout)
    assert doc["digest"] == digest
    assert got["Id"] == doc["config"]["digest"]  # docker's image id: the config's digest
    assert got["RepoDigests"] == [f"{sandbox.host}/team/app@{digest}"]
    assert got["RootFS"]["Layers"] == config["rootfs"]["diff_ids"]  # the layers, unpacked
    assert (got["Os"], got["Architecture"]) == ("linux", "amd64")
    assert got["Config"]["Entrypoint"] == doc["config"]["entrypoint"] == ["/app/run"]
    assert got["Config"]["Labels"]["org.opencontainers.image.version"] == "1.4.2"


def test_docker_pulls_the_seeded_index_for_its_own_platform(sandbox: Sandbox, docker: Any) -> None:
    assert sandbox.ecrctl("login").returncode == 0
    arch = docker("version", "--format", "{{.Server.Arch}}").stdout.strip()
    if arch not in {"amd64", "arm64"}:
        pytest.skip(f"team/app:1.5.0 has linux/amd64 and linux/arm64 images; docker runs {arch}")
    ref = f"{sandbox.host}/team/app:1.5.0"
    pulled = docker("pull", ref)
    assert pulled.returncode == 0, pulled.stderr
    index = sandbox.ecrctl("digest", "team/app:1.5.0", check=True).stdout.strip()
    assert f"Digest: {index}" in pulled.stdout  # pulled by the index's digest

    got = image(docker, ref)
    child = inspected(sandbox, "team/app:1.5.0", "--platform", f"linux/{arch}")
    platforms = {p["platform"]: p["digest"] for p in inspected(sandbox, ref)["platforms"]}
    assert platforms[f"linux/{arch}"] == child["digest"]
    assert child["config"]["architecture"] == got["Architecture"] == arch
    assert got["Id"] == child["config"]["digest"]
    assert got["RepoDigests"] == [f"{sandbox.host}/team/app@{index}"]
