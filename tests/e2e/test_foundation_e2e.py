"""The installed ecrctl as a subprocess against a moto server over HTTP (AWS_ENDPOINT_URL)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from typing import Any

import pytest

from ecrctl.sandbox.images import seed_repository
from tests import fakehttp
from tests.conftest import ecrctl_command
from tests.fakehttp import Reply

pytestmark = pytest.mark.e2e
fake_server = fakehttp.fake_server
AMZ_JSON = "application/x-amz-json-1.1"


def default_signals() -> None:
    """For a child: SIGINT at its default, whatever this process inherited (a background job
    of a non-interactive shell ignores SIGINT, and its children would too)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_repository_lifecycle(run_ecrctl: Any, server_ecr: Any) -> None:
    created = run_ecrctl("repo", "create", "team/app", "--scan-on-push")
    assert created.exit_code == 0, created.stderr
    assert created.stdout == "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app\n"
    seed_repository(server_ecr, "team/app", ["1.0.10", "1.0.9", "v2"])
    assert run_ecrctl("repo", "list").stdout == "team/app\n"
    shown = json.loads(run_ecrctl("-o", "json", "repo", "show", "team/app").stdout)
    assert shown["imageCount"] == 3 and shown["scanOnPush"] is True
    assert run_ecrctl("tags", "team/app").stdout == "1.0.9\n1.0.10\nv2\n"
    removed = run_ecrctl("repo", "remove", "team/app", "--force", "--yes")
    assert removed.exit_code == 0
    assert server_ecr.describe_repositories()["repositories"] == []


def test_alias_pipeline_with_pipefail(run_ecrctl: Any, server_ecr: Any) -> None:
    server_ecr.create_repository(repositoryName="app")
    seed_repository(server_ecr, "app", [f"1.0.{n}" for n in range(40)])
    result = run_ecrctl(shell="ecrctl tags app | head -1")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "1.0.0\n", "")
    result = run_ecrctl(shell="ecrctl tags app --sort version | tail -1")
    assert result.stdout == "1.0.39\n"


def test_a_pasted_uri_sets_region_and_registry(run_ecrctl: Any, server_ecr: Any) -> None:
    server_ecr.create_repository(repositoryName="app")
    seed_repository(server_ecr, "app", ["v1"])
    uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app"
    env = {"AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "eu-central-1"}
    result = run_ecrctl("tags", uri, env=env)
    assert (result.exit_code, result.stdout) == (0, "v1\n"), result.stderr


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("repo", "create", "UPPER"), 2, "invalid repository name 'UPPER'"),
        (("repo", "create", "a"), 2, "2 to 256"),
        (("tags", "app:bad tag"), 2, "invalid tag"),
        (("tags", "nope"), 3, "repository nope not found"),
        (("repo", "show", "nope"), 3, "repository nope not found"),
        (("-o", "yaml", "repo", "list"), 2, "invalid --output"),
        (("--registry-id", "abc", "repo", "list"), 2, "12-digit"),
        (("--query", "[?", "repo", "list"), 2, "invalid --query"),
        (("repo", "remove", "app"), 2, "pass --yes"),
        (("uri", "docker.io/library/nginx"), 2, "not an ECR registry host"),
        (("tags", "app", "--limit", "-1"), 2, ""),
        (("no-such-command",), 2, "No such command"),
    ],
)
def test_bad_input_is_one_line_and_a_documented_code(
    run_ecrctl: Any, server_ecr: Any, args: tuple[str, ...], code: int, fragment: str
) -> None:
    server_ecr.create_repository(repositoryName="app")
    result = run_ecrctl(*args)
    assert result.exit_code == code, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_unreachable_endpoint_is_exit_1_not_a_traceback(run_ecrctl: Any) -> None:
    result = run_ecrctl("repo", "list", env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert result.exit_code == 1
    assert result.stderr.startswith("ecrctl: cannot reach AWS")
    assert result.stderr.count("\n") == 1


def test_throttled_after_retries_is_exit_1(run_ecrctl: Any, fake_server: Any) -> None:
    """A server that always answers ThrottlingException: botocore retries, then one line."""
    body = b'{"__type":"ThrottlingException","message":"Rate exceeded"}'
    server = fake_server(lambda request: Reply(400, {"Content-Type": AMZ_JSON}, body))
    result = run_ecrctl(
        "repo", "list", env={"AWS_ENDPOINT_URL": server.url, "AWS_MAX_ATTEMPTS": "3"}
    )
    calls = [request.headers.get("X-Amz-Target") for request in server.seen("POST")]
    assert result.exit_code == 1
    assert "throttled" in result.stderr and "DescribeRepositories" in result.stderr
    assert len(calls) == 3  # botocore's standard retries, bounded by AWS_MAX_ATTEMPTS


def test_access_denied_names_the_action(run_ecrctl: Any, fake_server: Any) -> None:
    denied = {
        "__type": "AccessDeniedException",
        "message": (
            "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "
            "ecr:DescribeRepositories on resource: *"
        ),
    }
    server = fake_server(lambda request: Reply(400, {}, json.dumps(denied).encode()))
    result = run_ecrctl("repo", "list", env={"AWS_ENDPOINT_URL": server.url})
    assert result.exit_code == 4
    assert "ecr:DescribeRepositories" in result.stderr


def test_sandbox_refuses_a_port_in_use(server_env: dict[str, str], moto_server: str) -> None:
    port = moto_server.rsplit(":", 1)[1]
    done = subprocess.run(
        [*ecrctl_command(), "sandbox", "--port", port],
        env=server_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == f"ecrctl: port {port} on 127.0.0.1 is in use; pass another --port\n"


def test_sandbox_serves_until_interrupted(server_env: dict[str, str]) -> None:
    from ecrctl.sandbox.emulator import free_port

    port = free_port()
    proc = subprocess.Popen(
        [*ecrctl_command(), "sandbox", "--port", str(port)],
        env=server_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_signals,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(5)]
        assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}\n" in lines
        env = {**server_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
        created = subprocess.run(
            [*ecrctl_command(), "repo", "create", "sandboxed"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert created.returncode == 0, created.stderr
        listed = subprocess.run(
            [*ecrctl_command(), "repo", "list"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert listed.stdout == "sandboxed\n"
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "sandbox: stopped" in err


def test_interrupt_of_a_running_command_is_130(server_env: dict[str, str]) -> None:
    """SIGINT while waiting on a server that never answers: exit 130, one line."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    env = {**server_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{listener.getsockname()[1]}"}
    proc = subprocess.Popen(
        [*ecrctl_command(), "repo", "list"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_signals,
    )
    try:
        conn, _ = listener.accept()  # the request arrived: ecrctl is waiting for an answer
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        conn.close()
    finally:
        listener.close()
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert out == ""


def test_demo_runs_every_step() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    done = subprocess.run(
        [*ecrctl_command(), "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "$ ecrctl repo create demo/app" in done.stdout
    assert "!! exit" not in done.stdout
    assert "every step behaved as expected" in done.stderr
    # It ends by pointing to the seeded sandbox, for exploring further.
    assert "run `ecrctl sandbox --seed`" in done.stderr.splitlines()[-1]
    _assert_round_trip(done.stdout)


def _demo_steps(stdout: str) -> dict[str, str]:
    """The demo's output, step by step: each step's first line (`$ ecrctl ...`, or the title of
    a step that is no command line) -> what it printed."""
    steps: dict[str, str] = {}
    for chunk in re.split(r"^# \d+\. ", stdout, flags=re.MULTILINE)[1:]:
        title, _, body = chunk.partition("\n")
        first, _, rest = body.partition("\n")
        if first.startswith("$ ecrctl "):
            steps[first.removeprefix("$ ecrctl ")] = rest
        else:
            steps[title] = body
    return steps


def _assert_round_trip(stdout: str) -> None:
    """An OCI layout built without a daemon goes into the sandbox, is inspected, promoted to
    another repository by mounts alone, and pulled out into a layout with the same digest."""
    steps = _demo_steps(stdout)
    built = next(body for title, body in steps.items() if "daemonless build" in title)
    digest = re.search(r"oci:build:2\.0\.0 names (sha256:[0-9a-f]{64})", built)
    assert digest, built
    index = digest.group(1)
    pushed = steps["copy oci:build:2.0.0 demo/app:2.0.0"]
    assert pushed.splitlines()[0].endswith(f"/demo/app:2.0.0 @ {index}"), pushed
    assert "(3 manifest(s); blobs: 5 copied;" in pushed
    shown = steps["inspect demo/app:2.0.0"].splitlines()
    assert shown[1] == index
    assert [line.split()[:2] for line in shown if line.startswith("platform")] == [
        ["platform", "linux/amd64"],
        ["platform", "linux/arm64"],
    ]
    promoted = steps["copy demo/app:2.0.0 demo/release:2.0.0 --create"]
    assert "(3 manifest(s); blobs: 5 mounted; 0 B moved)" in promoted, promoted
    blob_rows = [line for line in promoted.splitlines() if line.startswith("blob ")]
    assert len(blob_rows) == 5 and all(" mounted " in row for row in blob_rows), promoted
    pulled = steps["copy demo/release:2.0.0 oci:pulled:2.0.0"]
    assert f"oci:pulled:2.0.0 now names {index}" in pulled, pulled
    assert steps["digest oci:pulled:2.0.0"].strip() == index


def test_repo_remove_dry_run_piped_says_what_would_go(run_ecrctl: Any, server_ecr: Any) -> None:
    server_ecr.create_repository(repositoryName="team/app")
    seed_repository(server_ecr, "team/app", ["1", "2", "3"])
    details = server_ecr.describe_images(repositoryName="team/app")["imageDetails"]
    size = sum(d["imageSizeInBytes"] for d in details)
    done = run_ecrctl("repo", "remove", "team/app", "--force", "--dry-run")
    assert (done.exit_code, done.stderr) == (0, "dry run: nothing changed\n")
    assert done.stdout == f"team/app\t3\t{size}\twould remove\n"
    assert server_ecr.describe_repositories()["repositories"]
