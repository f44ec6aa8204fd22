"""A docker archive ecrctl wrote is one ``docker load`` takes: the real docker engine of the e2e
harness (tests/e2e/docker_env.py) loads it, and the image it then holds has the source's config
(docker's image id is the config's digest). Runs in CI (.ci/run starts the harness)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import oci_registries
from tests.conftest import ecrctl_command
from tests.e2e.docker_env import HOST, PASSWORD, DockerEnv
from tests.e2e.test_copy_docker import copy, ecr_env, inside, name
from tests.oci_images import push_real_image

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
registries = oci_registries.registries
__all__ = ["ecr_env", "name"]  # fixtures shared with test_copy_docker.py


def test_docker_load_takes_an_archive_ecrctl_wrote(
    docker_env: DockerEnv, registries: Any, tmp_path: Path
) -> None:
    docker_env.require("dockerd")
    assert docker_env.docker_host
    one, two = registries
    push_real_image(one.host, "load/app", "1", [3000, 5000])
    config = subprocess.run(
        ["skopeo", "inspect", "--config", "--raw", "--tls-verify=false",
         f"docker://{one.host}/load/app:1"],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    archive = tmp_path / "app.tar"
    name = f"ecrctl-load-test/app:{os.urandom(3).hex()}"
    done = subprocess.run(
        [*ecrctl_command(), "copy", f"{one.host}/load/app:1", f"docker-archive:{archive}:{name}"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    env = {**os.environ, "DOCKER_HOST": docker_env.docker_host}

    def docker(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            docker_env.inside(["docker", *args]),
            env=env, capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip

    loaded = docker("load", "-i", str(archive))
    assert loaded.returncode == 0, loaded.stderr
    assert name in loaded.stdout
    try:
        shown = docker("image", "inspect", name)
        assert shown.returncode == 0, shown.stderr
        image = json.loads(shown.stdout)[0]
        source = json.loads(config)
        assert image["Config"]["Env"] == source["config"]["Env"]
        assert image["Architecture"] == "amd64" and len(image["RootFS"]["Layers"]) == 2
        assert image["RootFS"]["Layers"] == source["rootfs"]["diff_ids"]
        # and what docker save writes, ecrctl reads (docker 25+: an OCI layout in the tar)
        saved = tmp_path / "saved.tar"
        assert docker("save", "-o", str(saved), name).returncode == 0
        back = subprocess.run(
            [*ecrctl_command(), "-o", "json", "copy", f"docker-archive:{saved}", f"{two.host}/saved"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert back.returncode == 0, back.stderr
        doc = json.loads(back.stdout)
        assert doc["destination"] == f"{two.host}/saved:{name.split(':')[1]}"
        theirs = subprocess.run(
            ["skopeo", "inspect", "--tls-verify=false", f"docker://{doc['destination']}"],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout  # fmt: skip
        assert json.loads(theirs)["Digest"] == doc["digest"]
    finally:
        docker("image", "rm", "-f", name)


def test_digest_and_inspect_of_an_ecr_image(
    docker_env: DockerEnv, ecr_env: dict[str, str], registries: Any, name: str
) -> None:
    """ECR: the login token through the profile (moto), as copy gets it for its sides."""
    one, _ = registries
    digest, _ = push_real_image(one.host, "ecrinsp/src", "latest", [2000])
    code, _, err = copy(
        docker_env, ecr_env, f"{one.host}/ecrinsp/src", f"{HOST}/{name}/app", "--create"
    )
    assert code == 0, err
    for image in (f"{HOST}/{name}/app", f"{name}/app:latest"):  # a pasted URI; a bare name
        done = inside(docker_env, [sys.executable, "-m", "ecrctl", "digest", image], ecr_env)
        assert (done.returncode, done.stdout) == (0, digest + "\n"), done.stderr
    done = inside(
        docker_env,
        [sys.executable, "-m", "ecrctl", "-o", "json", "inspect", f"{name}/app"],
        ecr_env,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["digest"] == digest and doc["reference"] == f"{HOST}/{name}/app:latest"
    assert doc["config"]["entrypoint"] == ["/bin/app"]
    assert PASSWORD not in done.stdout + done.stderr
