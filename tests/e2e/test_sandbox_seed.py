"""The embedded sandbox: sample data, what it answers beyond moto, and how it stops."""

from __future__ import annotations

import hashlib
import json
import signal
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ecrctl.sandbox.emulator import Emulator, free_port
from ecrctl.sandbox.seed import APP, SCANNED_TAG
from tests import fakehttp
from tests.conftest import ecrctl_command, seeded_emulator
from tests.fakehttp import Reply

pytestmark = pytest.mark.e2e
fake_server = fakehttp.fake_server

OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def default_signals() -> None:
    """For a child: SIGINT and SIGTERM at their defaults, whatever this process inherited."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def as_background_job() -> None:
    """For a child: SIGINT ignored, as a non-interactive shell's `cmd &` leaves it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.fixture
def seeded(isolated_env: Path) -> Iterator[Emulator]:
    with seeded_emulator() as emulator:
        yield emulator


@pytest.fixture
def on_sandbox(
    seeded: Emulator, isolated_env: Path
) -> Callable[..., subprocess.CompletedProcess[str]]:
    import os

    env = {**os.environ, **seeded.environment(), "AWS_MAX_ATTEMPTS": "1"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*ecrctl_command(), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


def test_seed_holds_version_tags_untagged_images_and_a_multi_arch_index(
    seeded: Emulator, on_sandbox: Any
) -> None:
    listed = on_sandbox("repo", "list")
    assert listed.stdout.split() == ["team/app", "team/web", "tools/ci"]
    tags = on_sandbox("tags", APP).stdout.split()
    assert tags[:3] == ["1.0.9", "1.0.10", "1.4.2"]  # natural version order
    assert {"v1.2", "v1.3", "latest", "pr-1234", "pr-1235", "1.5.0"} <= set(tags)
    untagged = on_sandbox("tags", APP, "--untagged").stdout.split()
    assert len(untagged) == 3  # one lone image, two platform manifests of the index
    matched = json.loads(on_sandbox("-o", "json", "tags", APP, "--match", "v1.*").stdout)
    assert sorted(t["tag"] for t in matched) == ["v1.2", "v1.3"]

    ecr = seeded.client("ecr")
    got = ecr.batch_get_image(
        repositoryName=APP,
        imageIds=[{"imageTag": "1.5.0"}],
        acceptedMediaTypes=[OCI_INDEX],
    )["images"][0]
    index = json.loads(got["imageManifest"])
    assert got["imageManifestMediaType"] == OCI_INDEX
    # The digest is the sha256 of the manifest bytes, as in ECR.
    assert got["imageId"]["imageDigest"] == (
        "sha256:" + hashlib.sha256(got["imageManifest"].encode()).hexdigest()
    )
    platforms = {
        f"{m['platform']['os']}/{m['platform']['architecture']}" for m in index["manifests"]
    }
    assert platforms == {"linux/amd64", "linux/arm64"}
    assert {m["digest"] for m in index["manifests"]} < set(untagged)


def test_seed_has_findings_of_several_severities(on_sandbox: Any) -> None:
    done = on_sandbox("-o", "json", "scan", APP, SCANNED_TAG)
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)["severityCounts"]
    severe = {k for k, v in counts.items() if v}
    assert {"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"} <= severe
    gate = on_sandbox("scan", APP, SCANNED_TAG, "--fail-on", "CRITICAL")
    assert gate.returncode == 5


def test_login_public_works_against_the_sandbox(on_sandbox: Any, isolated_env: Path) -> None:
    done = on_sandbox("login", "--public")
    assert done.returncode == 0, done.stderr
    assert "<" not in done.stderr
    config = json.loads((isolated_env / ".docker" / "config.json").read_text())
    assert "public.ecr.aws" in config["auths"]


def test_other_ecr_public_calls_get_an_aws_error_not_a_page(seeded: Emulator) -> None:
    public = seeded.client("ecr-public")
    with pytest.raises(ClientError) as caught:
        public.describe_repositories()
    assert caught.value.response["Error"]["Code"] == "UnsupportedCommandException"


def test_remote_lifecycle_preview_agrees_with_the_local_one(on_sandbox: Any) -> None:
    remote = on_sandbox("-o", "text", "lifecycle", "preview", APP, "--remote")
    local = on_sandbox("-o", "text", "lifecycle", "preview", APP)
    assert remote.returncode == 0, remote.stderr
    assert remote.stdout == local.stdout
    rows = [line.split("\t") for line in remote.stdout.splitlines()]
    # The lone untagged image (45 days old) and the older pull-request image.
    assert sorted((r[1][:3], r[2], r[3]) for r in rows) == [
        ("-", "1", "expire"),
        ("pr-", "2", "expire"),
    ]


def test_lifecycle_preview_api_pages_and_errors_like_ecr(seeded: Emulator) -> None:
    ecr = seeded.client("ecr")
    with pytest.raises(ecr.exceptions.LifecyclePolicyPreviewNotFoundException):
        ecr.get_lifecycle_policy_preview(repositoryName=APP)
    policy = {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": 1,
                },
                "action": {"type": "expire"},
            }
        ]
    }
    started = ecr.start_lifecycle_policy_preview(
        repositoryName=APP, lifecyclePolicyText=json.dumps(policy)
    )
    assert started["status"] == "IN_PROGRESS"
    first = ecr.get_lifecycle_policy_preview(repositoryName=APP, maxResults=5)
    assert first["status"] == "COMPLETE" and len(first["previewResults"]) == 5
    second = ecr.get_lifecycle_policy_preview(
        repositoryName=APP, maxResults=100, nextToken=first["nextToken"]
    )
    total = first["summary"]["expiringImageTotalCount"]
    assert len(first["previewResults"]) + len(second["previewResults"]) == total
    assert "nextToken" not in second
    with pytest.raises(ecr.exceptions.RepositoryNotFoundException):
        ecr.start_lifecycle_policy_preview(repositoryName="nope")
    with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException):
        ecr.start_lifecycle_policy_preview(repositoryName="team/web")


def test_an_html_500_is_one_line_with_status_and_operation(
    server_env: dict[str, str], fake_server: Any
) -> None:
    page = b"<!doctype html>\n<html><title>500 Internal Server Error</title></html>\n"
    server = fake_server(lambda request: Reply(500, {"Content-Type": "text/html"}, page))
    done = subprocess.run(
        [*ecrctl_command(), "repo", "list"],
        env={**server_env, "AWS_ENDPOINT_URL": server.url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "<" not in done.stderr
    assert done.stderr.startswith("ecrctl: DescribeRepositories failed: HTTP 500 ")


def _start_sandbox(port: int, env: dict[str, str], preexec: Any) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [*ecrctl_command(), "sandbox", "--seed", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec,
    )
    assert proc.stdout is not None
    # The export lines come after the server is up and the data is loaded.
    lines = [proc.stdout.readline() for _ in range(5)]
    assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}\n" in lines
    return proc


def _port_is_free(port: int) -> bool:
    """Nothing listens there any more (a connection is refused). Binding would be the wrong
    check: the sandbox's own seeding leaves its side of those connections in TIME_WAIT."""
    with socket.socket() as sock:
        sock.settimeout(10)
        try:
            sock.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            return True
    return False


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_sandbox_stops_cleanly_on_sigint_and_sigterm(
    server_env: dict[str, str], stop: signal.Signals
) -> None:
    port = free_port()
    proc = _start_sandbox(port, server_env, default_signals)
    try:
        env = {**server_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
        listed = subprocess.run(
            [*ecrctl_command(), "tags", APP, "--limit", "1"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert listed.stdout == "1.0.9\n", listed.stderr
    finally:
        proc.send_signal(stop)
        _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert err.endswith("sandbox: stopped\n")
    assert "Traceback" not in err
    assert _port_is_free(port)


def test_sandbox_in_a_background_job_still_stops_on_sigterm(server_env: dict[str, str]) -> None:
    port = free_port()
    proc = _start_sandbox(port, server_env, as_background_job)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    assert (proc.returncode, "Traceback" in err) == (0, False)
    assert err.endswith("sandbox: stopped\n")
    assert _port_is_free(port)
