"""Test-only: ``ecrctl sandbox`` run as a process (the installed command, stopped by PID with
SIGTERM), an environment aimed at it (or at an emulator in this process), and small clients of
its registry (raw HTTP, skopeo)."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import urllib3

from ecrctl.sandbox.emulator import Emulator, free_port
from tests.conftest import ecrctl_command

HTTP = urllib3.PoolManager()


@dataclass
class Sandbox:
    host: str  # 127.0.0.1:PORT: the registry, on the ECR endpoint's own port
    env: dict[str, str]
    process: subprocess.Popen[str]

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def ecrctl(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*ecrctl_command(), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert not check or done.returncode == 0, done.stderr
        return done

    def aws(self, *args: str) -> Any:
        """The aws CLI (the test extra's) on the sandbox; its JSON answer."""
        done = subprocess.run(
            [str(Path(sys.executable).parent / "aws"), *args, "--output", "json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def password(self) -> str:
        return self.ecrctl("login", "--print-password", check=True).stdout.strip()

    def auth(self) -> dict[str, str]:
        token = base64.b64encode(f"AWS:{self.password()}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        url = path if path.startswith("http") else f"{self.url}{path}"
        return HTTP.request(method, url, redirect=False, **kwargs)

    def skopeo(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["skopeo", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )


def sandbox_env(home: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "ECRCTL_", "DOCKER_", "XDG_", "REGISTRY_AUTH"))
    }
    home.mkdir(parents=True, exist_ok=True)
    return env | {
        "HOME": str(home),
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        "DOCKER_CONFIG": str(home / ".docker"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_RUNTIME_DIR": str(home / "run"),  # skopeo's own auth.json goes here, not /run
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }


def emulator_env(emulator: Emulator, home: Path, **more: str) -> dict[str, str]:
    """``sandbox_env`` aimed at an emulator running in this process (``seeded_emulator()``),
    ``more`` added (or changed) last."""
    port = urlsplit(emulator.endpoint).port or 80
    return sandbox_env(home, port) | emulator.environment() | more


@contextmanager
def running_sandbox(home: Path, *options: str) -> Iterator[Sandbox]:
    """``ecrctl sandbox OPTIONS`` until the block ends (SIGTERM, then its exit is checked)."""
    port = free_port()
    env = sandbox_env(home, port)
    process = subprocess.Popen(
        [*ecrctl_command(), "sandbox", "--port", str(port), *options],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        # The export lines come once the server is up and seeded.
        lines = [process.stdout.readline() for _ in range(5)]
        assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}\n" in lines, lines
        yield Sandbox(f"127.0.0.1:{port}", env, process)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    # moto prints a traceback of its own for a call it lacks (GetAccountSetting, which ecrctl
    # copy reads: the ECR client gets an error answer); there may be no other.
    assert err.count("Traceback") == err.count("NotImplementedError: The "), err
