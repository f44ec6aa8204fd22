"""The ``ecrctl demo`` step for login: real ``ecrctl login`` runs against the emulator, writing
a throw-away docker config (never the person's own ``~/.docker/config.json``)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from typing import Any

_COMMANDS: list[tuple[str, ...]] = [
    ("login",),
    ("login", "--helper", "111122223333.dkr.ecr.us-east-1.amazonaws.com"),
    ("login", "status"),
    ("logout",),
]


def login_demo(ecr: Any) -> str:
    """Log in without docker, add a helper login, list both, log out; return the transcript."""
    workdir = tempfile.mkdtemp(prefix="ecrctl-demo-docker-")
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": str(ecr.meta.endpoint_url),
        "AWS_REGION": str(ecr.meta.region_name),
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        "DOCKER_CONFIG": os.path.join(workdir, "docker"),
        "XDG_CACHE_HOME": os.path.join(workdir, "cache"),
        "XDG_CONFIG_HOME": os.path.join(workdir, "config"),
        "ECRCTL_OUTPUT": "table",
        "COLUMNS": os.environ.get("COLUMNS", "120"),
    }
    env.pop("AWS_PROFILE", None)
    lines = [f"(DOCKER_CONFIG={env['DOCKER_CONFIG']}: a temporary docker config)"]
    try:
        for argv in _COMMANDS:
            lines.append("$ ecrctl " + shlex.join(argv))
            done = subprocess.run(
                [sys.executable, "-m", "ecrctl", *argv],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            lines += done.stdout.rstrip("\n").splitlines()
            lines += [f"  (stderr) {line}" for line in done.stderr.splitlines()]
            if done.returncode != 0:
                lines.append(f"  !! exit {done.returncode}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return "\n".join(lines)
