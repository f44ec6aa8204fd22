"""A docker archive ecrctl wrote is one ``docker load`` takes: the real docker engine of the e2e
harness (tests/e2e/docker_env.py) loads it, and the image it then holds has the source's config
(docker's image id is the config's digest). Runs in CI (.ci/run starts the harness)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests import oci_registries
from tests.conftest import ecrctl_command
from tests.e2e.docker_env import DockerEnv
from tests.oci_images import push_real_image

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
registries = oci_registries.registries


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
