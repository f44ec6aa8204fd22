"""Secret hygiene: no registry token or webhook password in output, debug logs or open files.

Runs the installed commands against the moto server through login (config, helper, print,
status, logout), the docker credential helper, and events setup/status/teardown, each with and
without --debug, then searches every byte they wrote: stdout (except ``login --print-password``
and the helper's ``get``, whose protocol answer is the secret), stderr, and every file under the
test's HOME that another user could read.
"""

from __future__ import annotations

import base64
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
TOKEN_PASSWORD = "123456789012-auth-token"  # what moto's GetAuthorizationToken hands out
WEBHOOK_PASSWORD = "Wh-9f3Qz7-never-print-me"


def secrets() -> list[str]:
    token = base64.b64encode(f"AWS:{TOKEN_PASSWORD}".encode()).decode()
    return [
        TOKEN_PASSWORD,
        token,
        WEBHOOK_PASSWORD,
        base64.b64encode(WEBHOOK_PASSWORD.encode()).decode(),
    ]


def leaked(text: str) -> list[str]:
    return [s for s in secrets() if s in text]


def helper(action: str, stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("docker-credential-ecrctl")
    command = [exe] if exe else [sys.executable, "-m", "ecrctl.credhelper"]
    return subprocess.run(
        [*command, action], input=stdin, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_limits_secrets_never_reach_output_logs_or_open_files(
    run_ecrctl: Any, server_env: dict[str, str], isolated_env: Path, debug: bool
) -> None:
    flag = ["--debug"] if debug else []
    quiet_runs = [
        run_ecrctl(*flag, "login"),
        run_ecrctl(*flag, "login", "123456789012"),
        run_ecrctl(*flag, "-o", "json", "login", "status"),
        run_ecrctl(*flag, "login", "--helper"),
        run_ecrctl(*flag, "-o", "json", "login", "status"),
        run_ecrctl(
            *flag, "-o", "json", "events", "setup", "--webhook-url", "https://hooks.example.com/x",
            "--username", "bot", "--name", "hook", "--password-stdin",
            input=WEBHOOK_PASSWORD + "\n",
        ),
        run_ecrctl(
            *flag, "events", "setup", "--webhook-url", "https://hooks.example.com/x",
            "--username", "bot", "--name", "hook",
            env={"ECRCTL_WEBHOOK_PASSWORD": WEBHOOK_PASSWORD},
        ),
        run_ecrctl(*flag, "-o", "json", "events", "status", "--name", "hook"),
        run_ecrctl(*flag, "-o", "json", "events", "teardown", "--name", "hook", "--yes"),
    ]  # fmt: skip
    for done in quiet_runs:
        assert done.exit_code == 0, done.stderr
        assert leaked(done.stdout) == [], done.stdout
        assert leaked(done.stderr) == [], done.stderr
    if debug:
        assert "debug: -> ecr.GetAuthorizationToken" in quiet_runs[0].stderr
        assert "debug: -> events.CreateConnection" in quiet_runs[5].stderr

    printed = run_ecrctl(*flag, "login", "--print-password")
    assert printed.exit_code == 0, printed.stderr
    assert printed.stdout == TOKEN_PASSWORD + "\n"  # the one place a password is the output
    assert leaked(printed.stderr) == []

    env = server_env  # the helper has no debug mode: docker runs it with a clean stderr
    got = helper("get", HOST + "\n", env)
    assert got.returncode == 0, got.stderr
    assert TOKEN_PASSWORD in got.stdout  # the credential-helper protocol's answer
    assert leaked(got.stderr) == []
    listed = helper("list", "", env)
    assert leaked(listed.stdout + listed.stderr) == []

    assert private_holders(isolated_env), "the docker config and token cache hold the token"
    logout = run_ecrctl(*flag, "logout", HOST)
    assert logout.exit_code == 0 and leaked(logout.stdout + logout.stderr) == []
    private_holders(isolated_env)


def private_holders(home: Path) -> list[Path]:
    """Files under ``home`` that hold a secret; each must be private to its owner."""
    holders = []
    for path in home.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        if leaked(path.read_bytes().decode(errors="replace")):
            holders.append(path)
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode & 0o077 == 0, f"{path} holds a secret with mode {oct(mode)}"
            parent = stat.S_IMODE(path.parent.stat().st_mode)
            assert parent & 0o022 == 0, f"{path.parent} is writable by others ({oct(parent)})"
    return holders
