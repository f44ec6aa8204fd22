"""The docker config is trusted as the token cache is: the installed ecrctl against the moto server.

The config names credential helpers that ecrctl runs and holds passwords, so a directory or a
file another user owns or may write is refused (exit 4, one line saying what to fix), a link is
followed only when it and what it leads to are the user's own (a dotfile manager's link keeps
working), and a FIFO is refused at once instead of hanging ``login`` under the lock. The tests
run as root, which bypasses permission checks: ownership is tested by giving a path to another
uid (os.chown / os.lchown), the mode checks with chmod.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ecrctl_command

pytestmark = pytest.mark.e2e

ACCOUNT = "123456789012"
HOST = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
PASSWORD = "123456789012-auth-token"
OTHER_UID = 65534  # nobody
PLANTED = json.dumps({"credsStore": "planted", "auths": {HOST: {"auth": "cGxhbnRlZA=="}}})


@pytest.fixture
def planted_helper(tmp_path: Path, server_env: dict[str, str]) -> Path:
    """docker-credential-planted on PATH: it leaves a mark if ecrctl ever runs it."""
    bin_dir = tmp_path / "planted-bin"
    bin_dir.mkdir()
    mark = tmp_path / "planted-helper-ran"
    helper = bin_dir / "docker-credential-planted"
    helper.write_text(f"#!/bin/sh\ntouch {mark}\necho '{{}}'\n")
    helper.chmod(0o755)
    server_env["PATH"] = f"{bin_dir}{os.pathsep}{server_env['PATH']}"
    return mark


def refused(done: Any, *needles: str) -> str:
    """Exit 4 with one line that names the problem; nothing on stdout."""
    assert done.exit_code == 4, (done.stdout, done.stderr)
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    errors = [line for line in lines if line.startswith("ecrctl: ")]
    assert len(errors) == 1 and errors[0] == lines[-1], done.stderr
    assert errors[0].startswith("ecrctl: cannot use the docker config: "), errors[0]
    for needle in needles:
        assert needle in errors[0], errors[0]
    assert "Traceback" not in done.stderr and "unexpected" not in done.stderr
    return errors[0]


COMMANDS = {"login": ("login",), "logout": ("logout", ACCOUNT), "status": ("login", "status")}


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_docker_config_directory_of_another_user_is_refused(
    run_ecrctl: Any, isolated_env: Path, planted_helper: Path, command: tuple[str, ...]
) -> None:
    directory = isolated_env / ".docker"
    directory.mkdir()
    (directory / "config.json").write_text(PLANTED)
    os.chown(directory, OTHER_UID, OTHER_UID)
    line = refused(run_ecrctl(*command), f"{directory} is owned by uid {OTHER_UID}", "chown")
    assert PASSWORD not in line
    assert (directory / "config.json").read_text() == PLANTED  # neither read nor rewritten
    assert not planted_helper.exists()  # the helper it names never ran


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o1777], ids=oct)
def test_a_docker_config_directory_others_may_write_is_refused(
    run_ecrctl: Any, isolated_env: Path, planted_helper: Path, mode: int
) -> None:
    directory = isolated_env / ".docker"
    directory.mkdir()
    (directory / "config.json").write_text(PLANTED)
    directory.chmod(mode)
    refused(
        run_ecrctl("login"),
        f"{directory} is writable by other users (mode {mode & 0o777:04o})",
        f"chmod go-w {directory}",
    )
    assert not planted_helper.exists()
    directory.chmod(0o755)  # what the message says to do: then it works
    (directory / "config.json").write_text("{}")
    done = run_ecrctl("login")
    assert done.exit_code == 0, done.stderr
    assert HOST in json.loads((directory / "config.json").read_text())["auths"]


@pytest.mark.parametrize("linked", ["file", "directory"])
def test_a_dotfile_managers_links_in_your_home_keep_working(
    run_ecrctl: Any, isolated_env: Path, linked: str
) -> None:
    """GNU stow and chezmoi link ~/.docker/config.json, or fold ~/.docker into one link."""
    dotfiles = isolated_env / "dotfiles" / "docker"
    dotfiles.mkdir(parents=True)
    real = dotfiles / "config.json"
    real.write_text(json.dumps({"psFormat": "table {{.Names}}"}))
    if linked == "file":
        (isolated_env / ".docker").mkdir()
        link = isolated_env / ".docker" / "config.json"
        link.symlink_to(Path("..") / "dotfiles" / "docker" / "config.json")  # relative, as stow
    else:
        link = isolated_env / ".docker"
        link.symlink_to(dotfiles)
    done = run_ecrctl("login")
    assert done.exit_code == 0, done.stderr
    assert "Login Succeeded" in done.stderr
    assert link.is_symlink()  # updated where it points, not replaced by a file
    data = json.loads(real.read_text())
    assert data["psFormat"] == "table {{.Names}}" and HOST in data["auths"]
    status = run_ecrctl("-o", "text", "login", "status")
    assert status.exit_code == 0 and HOST in status.stdout, status.stderr
    out = run_ecrctl("logout", ACCOUNT)
    assert out.exit_code == 0, out.stderr
    assert link.is_symlink() and HOST not in json.loads(real.read_text()).get("auths", {})


def _link_to(isolated_env: Path, target: Path) -> Path:
    (isolated_env / ".docker").mkdir(exist_ok=True)
    link = isolated_env / ".docker" / "config.json"
    link.symlink_to(target)
    return link


def _foreign_link(home: Path) -> tuple[Path, str]:
    real = home / "mine" / "config.json"
    real.parent.mkdir()
    real.write_text(PLANTED)
    link = _link_to(home, real)
    os.lchown(link, OTHER_UID, OTHER_UID)
    return real, f"{link} is a symbolic link owned by uid {OTHER_UID}"


def _foreign_directory_link(home: Path) -> tuple[Path, str]:
    real = home / "mine" / "config.json"
    real.parent.mkdir()
    real.write_text(PLANTED)
    link = home / ".docker"
    link.symlink_to(real.parent)
    os.lchown(link, OTHER_UID, OTHER_UID)
    return real, f"{link} is a symbolic link owned by uid {OTHER_UID}"


def _foreign_target(home: Path) -> tuple[Path, str]:
    real = home / "theirs" / "config.json"
    real.parent.mkdir()
    real.write_text(PLANTED)
    os.chown(real, OTHER_UID, OTHER_UID)
    _link_to(home, real)
    return real, f"{real} is owned by uid {OTHER_UID}"


def _target_others_may_write(home: Path) -> tuple[Path, str]:
    real = home / "mine" / "config.json"
    real.parent.mkdir()
    real.write_text(PLANTED)
    real.chmod(0o666)
    _link_to(home, real)
    return real, f"{real} is writable by other users (mode 0666)"


def _target_in_a_shared_directory(home: Path) -> tuple[Path, str]:
    shared = home / "shared"
    shared.mkdir()
    real = shared / "config.json"
    real.write_text(PLANTED)
    shared.chmod(0o1777)  # as /tmp: anyone may put a file here
    _link_to(home, real)
    return real, f"{shared} is writable by other users (mode 0777)"


LINKS: dict[str, Callable[[Path], tuple[Path, str]]] = {
    "link-of-another-user": _foreign_link,
    "directory-link-of-another-user": _foreign_directory_link,
    "target-of-another-user": _foreign_target,
    "target-others-may-write": _target_others_may_write,
    "target-in-a-shared-directory": _target_in_a_shared_directory,
}


@pytest.mark.parametrize("plant", LINKS.values(), ids=LINKS.keys())
def test_a_link_is_followed_only_when_it_and_its_target_are_yours(
    run_ecrctl: Any,
    isolated_env: Path,
    planted_helper: Path,
    plant: Callable[[Path], tuple[Path, str]],
) -> None:
    real, problem = plant(isolated_env)
    refused(run_ecrctl("login"), problem)
    assert real.read_text() == PLANTED
    assert not planted_helper.exists()


@pytest.mark.parametrize("kind", ["fifo", "directory"])
@pytest.mark.parametrize("command", [("login",), ("logout", ACCOUNT)], ids=["login", "logout"])
def test_a_config_that_is_not_a_regular_file_is_refused_at_once(
    run_ecrctl: Any, isolated_env: Path, kind: str, command: tuple[str, ...]
) -> None:
    config = isolated_env / ".docker" / "config.json"
    config.parent.mkdir()
    if kind == "fifo":
        os.mkfifo(config)  # no writer ever opens it: a blocking read would wait for ever
    else:
        config.mkdir()
    done = run_ecrctl(*command, timeout=60)  # a hang fails here (TimeoutExpired), not later
    refused(done, f"{config} is not a regular file", "remove it")
    # The lock was let go: once the FIFO is gone, the next login goes through.
    config.unlink() if kind == "fifo" else config.rmdir()
    again = run_ecrctl("login", timeout=60)
    assert again.exit_code == 0, again.stderr


# A login SIGKILLed between writing its token's temporary file and renaming it: the
# installed ecrctl, stopped by a sitecustomize hook right after the temporary is synced.
STOP_AFTER_TOKEN_WRITE = textwrap.dedent(
    """
    import os, sys

    _fsync = os.fsync

    def fsync(fd):
        _fsync(fd)
        if "/ecrctl/tokens/.tmp-" in os.readlink(f"/proc/self/fd/{fd}"):
            sys.stderr.write("test-hook: token temporary written\\n")
            sys.stderr.flush()
            os.read(0, 1)  # wait here to be killed

    os.fsync = fsync
    """
)


def test_logout_removes_what_a_killed_login_left_in_the_token_cache(
    run_ecrctl: Any, server_env: dict[str, str], isolated_env: Path, tmp_path: Path
) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(STOP_AFTER_TOKEN_WRITE)
    login = subprocess.Popen(
        [*ecrctl_command(), "login"],
        env={**server_env, "PYTHONPATH": str(hook)},
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert login.stderr is not None
    try:
        assert login.stderr.readline() == "test-hook: token temporary written\n"
    finally:
        login.send_signal(signal.SIGKILL)
        login.communicate(timeout=60)
    assert login.returncode == -signal.SIGKILL
    tokens = isolated_env / ".cache" / "ecrctl" / "tokens"
    (left,) = [p for p in tokens.iterdir() if PASSWORD in p.read_text()]
    assert left.name.startswith(f".tmp-{login.pid}-") and left.name.endswith(".tmp")

    done = run_ecrctl("logout", ACCOUNT)
    assert done.exit_code == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "Logout Succeeded"
    assert [p.name for p in tokens.iterdir()] == []  # the token is nowhere on disk
