"""One stream owner, seen from outside: the installed ecrctl on a terminal draws its table in
colour unless --no-color, NO_COLOR or TERM=dumb says not to; the token cache's warnings, which
core hands to a callback, reach stderr from `ecrctl login`, `login status`, `logout` and
docker-credential-ecrctl."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ecrctl_command

pytestmark = pytest.mark.e2e

ESCAPE = "\x1b["
HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
CACHE_WARNING = "ecrctl: warning: not using the token cache: "


def on_a_terminal(argv: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run the installed ecrctl with stdout on a pseudo-terminal (stderr a pipe): exit code,
    what the terminal showed, stderr."""
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(
            [*ecrctl_command(), *argv],
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=subprocess.PIPE,
            env=env,
        )
    finally:
        os.close(follower)  # the child holds its own copy; EOF comes when it exits
    shown = bytearray()
    try:
        while chunk := os.read(leader, 65536):
            shown += chunk
    except OSError:  # EIO: the terminal's last writer is gone
        pass
    finally:
        os.close(leader)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, shown.decode(errors="replace"), err.decode(errors="replace")


@pytest.fixture
def terminal_env(server_env: dict[str, str], server_ecr: Any) -> dict[str, str]:
    server_ecr.create_repository(repositoryName="team/app")
    env = {k: v for k, v in server_env.items() if k not in {"NO_COLOR", "TERM"}}
    return {**env, "COLUMNS": "120"}


def test_a_table_on_a_terminal_is_in_colour(terminal_env: dict[str, str]) -> None:
    code, shown, err = on_a_terminal(["repo", "list"], {**terminal_env, "TERM": "xterm-256color"})
    assert code == 0, err
    assert "team/app" in shown and ESCAPE in shown  # the bold header


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["repo", "list"], {"TERM": "dumb"}),
        (["repo", "list"], {"TERM": "DUMB"}),
        (["repo", "list"], {"TERM": "xterm-256color", "NO_COLOR": "1"}),
        (["repo", "list", "--no-color"], {"TERM": "xterm-256color"}),
        (["--no-color", "repo", "list"], {"TERM": "xterm-256color"}),
    ],
    ids=["TERM=dumb", "TERM=DUMB", "NO_COLOR", "--no-color after", "--no-color before"],
)
def test_a_table_on_a_terminal_has_no_escape_codes_when_colour_is_off(
    terminal_env: dict[str, str], argv: list[str], env: dict[str, str]
) -> None:
    code, shown, err = on_a_terminal(argv, {**terminal_env, **env})
    assert code == 0, err
    assert "team/app" in shown and "mutability" in shown  # the table, header included
    assert ESCAPE not in shown, repr(shown)


@pytest.fixture
def unsafe_cache(isolated_env: Path) -> Path:
    """A token directory anyone may write to: ecrctl must not trust it, and must say so."""
    tokens = isolated_env / ".cache" / "ecrctl" / "tokens"
    tokens.mkdir(parents=True, mode=0o700)
    tokens.parent.chmod(0o700)
    tokens.chmod(0o777)
    return tokens


def test_login_says_the_cache_warning_on_stderr_once(
    run_ecrctl: Any, unsafe_cache: Path, isolated_env: Path
) -> None:
    done = run_ecrctl("login")
    assert done.exit_code == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr.count(CACHE_WARNING) == 1, done.stderr
    assert "writable by other users" in done.stderr
    assert "Login Succeeded" in done.stderr
    assert list(unsafe_cache.iterdir()) == []  # nothing written where others could read it
    assert HOST in (isolated_env / ".docker" / "config.json").read_text()


def test_login_status_and_logout_say_it_too(run_ecrctl: Any, unsafe_cache: Path) -> None:
    assert run_ecrctl("login").exit_code == 0
    status = run_ecrctl("-o", "text", "login", "status")
    assert status.exit_code == 0, status.stderr
    assert status.stderr.count(CACHE_WARNING) == 1 and HOST in status.stdout
    logout = run_ecrctl("logout")
    assert logout.exit_code == 0, logout.stderr
    assert logout.stderr.count(CACHE_WARNING) == 1 and "Logout Succeeded" in logout.stderr


def test_the_credential_helper_writes_the_warning_to_its_stderr_only(
    server_env: dict[str, str], unsafe_cache: Path
) -> None:
    exe = shutil.which("docker-credential-ecrctl")
    argv = [exe] if exe else [sys.executable, "-m", "ecrctl.credhelper"]
    done = subprocess.run(
        [*argv, "get"],
        input=HOST,
        env=server_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('{"ServerURL": ') and "warning" not in done.stdout
    assert done.stderr.count("docker-credential-ecrctl: warning: not using the token cache") == 1
