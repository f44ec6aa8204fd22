"""Shared fixtures: an isolated environment, moto in-process, a moto server over HTTP, the CLI."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ecrctl.sandbox.emulator import SANDBOX_REGION, Emulator, free_port, running_emulator

ACCOUNT = "123456789012"
REGION = SANDBOX_REGION


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No test sees the developer's AWS profile, docker config, cache or terminal width."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "ECRCTL_", "DOCKER_")) or name in {
            "NO_COLOR",
            "XDG_CACHE_HOME",
            "XDG_CONFIG_HOME",
        }:
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials"))
    monkeypatch.setenv("DOCKER_CONFIG", str(home / ".docker"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("TERM", "dumb")
    return home


@pytest.fixture
def ecr() -> Iterator[Any]:
    """An ECR client on moto in-process; the CLI run in the same test shares its state."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield boto3.client("ecr", region_name=REGION)


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli() -> Any:
    """Run the Typer app in-process (CliRunner): exit code, stdout and stderr apart."""
    from typer.testing import CliRunner

    from ecrctl.cli.app import app

    runner = CliRunner()

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Outcome:
        result = runner.invoke(app, list(args), input=input, env=env, prog_name="ecrctl")
        return Outcome(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A real moto server over HTTP on 127.0.0.1, for end-to-end runs of the ecrctl command."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def reset_moto(endpoint: str) -> None:
    """Empty the moto behind ``endpoint`` (its state is per process: what ran before in this
    one is gone)."""
    import urllib.request

    reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=30).read()


@contextmanager
def seeded_emulator(*, blobs: bool = False) -> Iterator[Emulator]:
    """The sandbox's emulator in this process, moto reset first, seeded as ``ecrctl sandbox
    --seed`` seeds it (with ``blobs``, the images' blobs too: its ``/v2/`` serves them)."""
    from ecrctl.sandbox.seed import seed_sandbox

    with running_emulator() as emulator:
        reset_moto(emulator.endpoint)
        seed_sandbox(emulator.client("ecr"), emulator.blobs if blobs else None)
        yield emulator


def put_buildx_image(ecr: Any, repo: str, index_type: str, child_type: str) -> dict[str, str]:
    """What ``docker buildx`` pushes to ``repo`` (created here): an index of ``index_type``
    tagged ``latest`` over two untagged platform manifests (linux/amd64, linux/arm64), and one
    untagged stray manifest no index references. Their digests by name: index, amd64, arm64,
    stray."""
    from ecrctl.sandbox.images import put_synthetic, synthetic_index, synthetic_manifest

    ecr.create_repository(repositoryName=repo)
    amd64 = synthetic_manifest("amd64", media_type=child_type)
    arm64 = synthetic_manifest("arm64", media_type=child_type)
    stray = synthetic_manifest("stray", media_type=child_type)
    for child in (amd64, arm64, stray):
        put_synthetic(ecr, repo, child)
    index = synthetic_index([(amd64, "linux/amd64"), (arm64, "linux/arm64")], media_type=index_type)
    put_synthetic(ecr, repo, index, "latest")
    return {
        "index": index.digest,
        "amd64": amd64.digest,
        "arm64": arm64.digest,
        "stray": stray.digest,
    }


@pytest.fixture
def server_env(moto_server: str, isolated_env: Path) -> dict[str, str]:
    """Environment for a subprocess aimed at a freshly reset moto server."""
    reset_moto(moto_server)
    env = {k: v for k, v in os.environ.items()}
    env["AWS_ENDPOINT_URL"] = moto_server
    return env


@pytest.fixture
def server_ecr(moto_server: str, server_env: dict[str, str]) -> Any:
    """A boto3 ECR client on the moto server (to seed and to check what ecrctl did)."""
    import boto3

    return boto3.client("ecr", region_name=REGION, endpoint_url=moto_server)


def ecrctl_command() -> list[str]:
    exe = shutil.which("ecrctl")
    return [exe] if exe else [sys.executable, "-m", "ecrctl"]


def drain_terminal(leader: int) -> bytes:
    """What a finished process left on its pseudo-terminal (the leader side), read without
    waiting: the terminal is closed once its reader has all of it."""
    shown = b""
    while select.select([leader], [], [], 0)[0]:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    return shown


def run_on_a_terminal(
    argv: list[str],
    env: dict[str, str],
    *,
    cwd: Path | None = None,
    stdin: bytes | None = None,
    typed: bytes = b"",
    timeout: float = 60,
) -> tuple[int, str, str]:
    """Run ``argv`` with stderr (and stdin, unless ``stdin`` bytes are piped in) on a
    pseudo-terminal, stdout piped: exit code, stdout, what the terminal showed (its CRLFs
    read as newlines). ``typed`` is written to the terminal first (``b"y\n"`` to answer a
    prompt)."""
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.PIPE if stdin is not None else follower,
            stdout=subprocess.PIPE,
            stderr=follower,
            start_new_session=True,
        )
        if typed:
            os.write(leader, typed)
        out, _ = proc.communicate(input=stdin, timeout=timeout)
        os.close(follower)
        follower = -1
        err = drain_terminal(leader)
        return proc.returncode, out.decode(), err.decode(errors="replace").replace("\r\n", "\n")
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)


@pytest.fixture
def run_ecrctl(server_env: dict[str, str]) -> Any:
    """Run the installed ecrctl as a subprocess against the moto server."""

    def run(
        *args: str,
        input: str | None = None,
        env: dict[str, str] | None = None,
        shell: str | None = None,
        timeout: float = 60,
    ) -> Outcome:
        if shell is not None:  # a pipeline, as people type it
            argv = ["bash", "-o", "pipefail", "-c", shell]
        else:
            argv = [*ecrctl_command(), *args]
        done = subprocess.run(
            argv,
            env={**server_env, **(env or {})},
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Outcome(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def stubber_region() -> str:
    """The region of the ``stubbed`` client (a test module overrides this fixture to change it)."""
    return "us-east-1"


@pytest.fixture
def stubbed(stubber_region: str) -> Iterator[tuple[Any, Any]]:
    """An ECR client under botocore's Stubber, and the stubber; every queued answer must be used.

    For what moto gets wrong (ARCHITECTURE.md, "Testing"): ECR's paging, errors and the calls made, exactly."""
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("ecr", region_name=stubber_region)
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


from tests.proxy_fixtures import ecr_proxy  # noqa: E402, F401  (the faithful ECR proxy)
