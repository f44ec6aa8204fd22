"""Private files against a hostile disk: symlinks, another user's directories and files,
directories others may write, a writer killed mid-write, an unwritable cache.

The tests run as root, which bypasses permission checks: the owner checks are tested by
giving a directory or file to another uid with os.chown and asserting ecrctl refuses it.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.login.cache import CachedToken, TokenCache, cache_dir, resolve_identity
from ecrctl.core.login.dockerconfig import DockerConfig
from ecrctl.core.privatefile import (
    check_private_dir,
    ensure_private_dir,
    open_private_for_read,
    read_private,
)

HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
OTHER_UID = 54321
ATTACKER_SECRET = "attacker-secret"


def token(secret: str = "real-secret", expires: float = 4_000_000_000.0) -> CachedToken:
    return CachedToken(HOST, "x", "AWS", secret, expires - 12 * 3600, expires)


class Warnings(list[str]):
    def __call__(self, message: str) -> None:
        self.append(message)


def planted_cache(directory: Path) -> Path:
    """A cache entry an attacker wrote where ecrctl would look for it."""
    genuine = TokenCache(str(directory))
    path = Path(genuine.path_for(HOST, resolve_identity(None)))
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(token(ATTACKER_SECRET).to_file()))
    return path


def test_a_symlinked_cache_dir_is_not_used_with_one_warning(isolated_env: Path) -> None:
    elsewhere = isolated_env / "attacker" / "tokens"
    planted_cache(elsewhere)
    tokens = Path(cache_dir())
    tokens.parent.mkdir(parents=True)
    tokens.symlink_to(elsewhere)
    warned = Warnings()
    cache = TokenCache(warn=warned)
    identity = resolve_identity(None)
    assert cache.get(HOST, identity) is None  # the planted token is not handed out
    assert list(cache.entries()) == []
    assert cache.put(token(), identity) is None  # nothing written through the link
    assert len(warned) == 1 and "is a symbolic link" in warned[0]
    assert [json.loads(p.read_text())["secret"] for p in elsewhere.iterdir()] == [ATTACKER_SECRET]


@pytest.mark.parametrize("level", ["tokens", "ecrctl"])
def test_a_cache_dir_owned_by_another_user_is_not_used(isolated_env: Path, level: str) -> None:
    tokens = Path(cache_dir())
    planted_cache(tokens)
    os.chown(tokens if level == "tokens" else tokens.parent, OTHER_UID, OTHER_UID)
    warned = Warnings()
    cache = TokenCache(warn=warned)
    assert cache.get(HOST, resolve_identity(None)) is None
    assert cache.put(token(), resolve_identity(None)) is None
    assert cache.erase(HOST) == 0  # another user's files are left alone
    assert len(warned) == 1 and f"owned by uid {OTHER_UID}" in warned[0]


def test_a_world_writable_cache_dir_is_not_used(isolated_env: Path) -> None:
    tokens = Path(cache_dir())
    planted_cache(tokens)
    tokens.chmod(0o777)
    warned = Warnings()
    assert TokenCache(warn=warned).get(HOST, resolve_identity(None)) is None
    assert len(warned) == 1 and "writable by other users (mode 0777)" in warned[0]


def test_symlinked_or_foreign_cache_files_are_misses(isolated_env: Path) -> None:
    identity = resolve_identity(None)
    cache = TokenCache()
    path = Path(cache.put(token(), identity) or "")
    assert cache.get(HOST, identity) == token()
    # A symbolic link in place of the file, to a file holding another token.
    attacker = isolated_env / "attacker.json"
    attacker.write_text(json.dumps(token(ATTACKER_SECRET).to_file()))
    path.unlink()
    path.symlink_to(attacker)
    assert cache.get(HOST, identity) is None
    assert [t.secret for _, t in cache.entries()] == []
    # A regular file of another user's, or one others may write.
    path.unlink()
    path.write_text(json.dumps(token(ATTACKER_SECRET).to_file()))
    os.chown(path, OTHER_UID, OTHER_UID)
    assert cache.get(HOST, identity) is None
    os.chown(path, os.geteuid(), os.getegid())
    path.chmod(0o666)
    assert cache.get(HOST, identity) is None
    path.chmod(0o600)
    assert cache.get(HOST, identity) is not None  # the same file, trusted again


def test_a_new_cache_is_created_private(isolated_env: Path) -> None:
    path = Path(TokenCache().put(token(), resolve_identity(None)) or "")
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700  # ecrctl/ too
    assert check_private_dir(str(path.parent), levels=2) is None


def test_an_unwritable_cache_is_skipped_with_one_warning(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "/dev/null")
    warned = Warnings()
    cache = TokenCache(warn=warned)
    assert cache.get(HOST, resolve_identity(None)) is None
    assert cache.put(token(), resolve_identity(None)) is None
    assert cache.put(token(), resolve_identity("other")) is None
    assert len(warned) == 1 and "/dev/null" in warned[0]


def test_the_reusable_reader_checks_owner_mode_and_links(tmp_path: Path) -> None:
    """open_private_for_read / read_private: what the --help cache can use as well."""
    folder = tmp_path / "help"
    ensure_private_dir(str(folder), levels=1)
    good = folder / "root.txt"
    good.write_text("help text")
    good.chmod(0o600)
    handle = open_private_for_read(str(good), dir_levels=1)
    assert handle is not None
    with handle:
        assert handle.read() == b"help text"
    assert read_private(str(good), 4) is None  # larger than the limit
    link = folder / "link.txt"
    link.symlink_to(good)
    assert open_private_for_read(str(link)) is None
    os.chown(good, OTHER_UID, OTHER_UID)
    assert read_private(str(good), 100) is None
    os.chown(good, os.geteuid(), os.getegid())
    folder.chmod(0o777)
    assert read_private(str(good), 100, dir_levels=1) is None
    assert read_private(str(good), 100) == b"help text"  # the file alone is fine
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert open_private_for_read(str(fifo)) is None  # neither followed nor blocked on
    assert read_private(str(tmp_path / "absent"), 100) is None


def test_the_docker_config_lock_is_never_followed_through_a_symlink(isolated_env: Path) -> None:
    config = DockerConfig()
    config.path.parent.mkdir(parents=True)
    victim = isolated_env / "victim"
    victim.write_text("keep me")
    config.lock_path.symlink_to(victim)
    with pytest.raises(InvalidInput, match="is a symbolic link"):
        config.store(HOST, "AWS", "pw")
    assert victim.read_text() == "keep me"
    assert not config.path.exists()
    dangling = isolated_env / "created-by-ecrctl"
    config.lock_path.unlink()
    config.lock_path.symlink_to(dangling)
    with pytest.raises(InvalidInput, match="is a symbolic link"):
        config.store(HOST, "AWS", "pw")
    assert not dangling.exists()


KILLED_WRITER = textwrap.dedent(
    """
    import os, sys
    from ecrctl.core.login.dockerconfig import DockerConfig
    from ecrctl.core.login.cache import CachedToken, TokenCache, resolve_identity

    def stop(fd):  # the temporary is written and synced: say so, then wait to be killed
        sys.stdout.write("written\\n")
        sys.stdout.flush()
        sys.stdin.read()

    os.fsync = stop
    if sys.argv[1] == "cache":
        token = CachedToken(sys.argv[2], "x", "AWS", "stale-secret", 0.0, 4e9)
        TokenCache().put(token, resolve_identity(None))
    else:
        DockerConfig().store(sys.argv[2], "AWS", "stale-secret")
    """
)


def kill_mid_write(kind: str) -> None:
    """Start a writer, wait until its temporary holds the secret, SIGKILL it."""
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, kind, HOST],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    assert writer.stdout.readline() == "written\n"
    writer.send_signal(signal.SIGKILL)
    assert writer.wait() == -signal.SIGKILL


def files_holding(folder: Path, secret: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file() and secret in p.read_text())


def test_a_write_killed_midway_leaves_no_secret_after_the_next_write(isolated_env: Path) -> None:
    kill_mid_write("cache")
    tokens = Path(cache_dir())
    (stale,) = files_holding(tokens, "stale-secret")
    assert stale.startswith(".tmp-") and stale.endswith(".tmp")
    TokenCache().put(token(), resolve_identity("next-run"))
    assert files_holding(tokens, "stale-secret") == []
    assert all(not p.name.startswith(".tmp-") for p in tokens.iterdir())

    kill_mid_write("config")
    docker = isolated_env / ".docker"
    encoded = base64.b64encode(b"AWS:stale-secret").decode()  # as docker keeps it
    (stale,) = files_holding(docker, encoded)
    assert stale.startswith(".config-") and stale.endswith(".tmp")
    DockerConfig().store("111122223333.dkr.ecr.us-east-1.amazonaws.com", "AWS", "pw")
    assert sorted(p.name for p in docker.iterdir()) == ["config.json", "config.json.lock"]


def test_a_live_writers_temporary_is_left_alone(tmp_path: Path) -> None:
    """Concurrent logins: a temporary whose writer still runs is not removed under it."""
    from ecrctl.core.privatefile import remove_stale_temporaries

    live = tmp_path / f".tmp-{os.getppid()}-abc.tmp"
    live.write_text("in progress")
    mine = tmp_path / f".tmp-{os.getpid()}-abc.tmp"
    mine.write_text("in progress")
    assert remove_stale_temporaries(str(tmp_path), ".tmp-") == 0
    assert live.exists() and mine.exists()


def test_a_malformed_docker_config_is_exit_2_naming_file_and_line(
    cli: Any, ecr: Any, isolated_env: Path
) -> None:
    path = isolated_env / ".docker" / "config.json"
    path.parent.mkdir()
    path.write_text('{\n  "auths": {\n    "a": 1,\n  }\n}\n')
    done = cli("login")
    assert done.exit_code == 2, done.stderr
    # The trailing comma, on every Python (3.11 and 3.12 would name the brace after it).
    assert done.stderr.startswith(
        f"ecrctl: {path}: line 3, column 11: not valid JSON (Illegal trailing comma"
    )
    assert len(done.stderr.splitlines()) == 1
    path.write_text("[" * 100_000)
    deep = cli("login")
    assert deep.exit_code == 2 and "nested too deeply" in deep.stderr
    assert path.read_text() == "[" * 100_000  # nothing rewritten


@pytest.mark.parametrize("how", ["dev-null", "foreign-tokens-dir"])
def test_login_goes_on_when_the_cache_cannot_be_used(
    cli: Any, ecr: Any, isolated_env: Path, how: str
) -> None:
    env: dict[str, str] = {}
    if how == "dev-null":
        env["XDG_CACHE_HOME"] = "/dev/null"
    else:
        tokens = Path(cache_dir())
        tokens.mkdir(parents=True)
        os.chown(tokens, OTHER_UID, OTHER_UID)
    done = cli("login", env=env)
    assert done.exit_code == 0, done.stderr
    assert "Login Succeeded" in done.stderr
    warnings = [line for line in done.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "not using the token cache" in warnings[0]
    assert HOST in json.loads((isolated_env / ".docker" / "config.json").read_text())["auths"]
