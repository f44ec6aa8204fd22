"""docker-credential-ecrctl speaks the docker-credential-helpers protocol exactly.

Each expectation is the protocol's own source (docker/docker-credential-helpers,
credentials/credentials.go ``Serve``/``Get``/``Store``/``Erase`` and credentials/error.go):
errors are one line on stdout with exit 1, and docker, podman and skopeo compare the messages
byte for byte. The installed command is run as a subprocess against the moto server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

pytestmark = pytest.mark.e2e

HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
PASSWORD = "123456789012-auth-token"
NOT_FOUND = "credentials not found in native keychain\n"
NO_SERVER_URL = "no credentials server URL\n"


def helper(
    env: dict[str, str], *args: str, stdin: str | IO[bytes] = ""
) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("docker-credential-ecrctl")
    command = [exe] if exe else [sys.executable, "-m", "ecrctl.credhelper"]
    if isinstance(stdin, str):
        return subprocess.run(
            [*command, *args],
            input=stdin,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    return subprocess.run(
        [*command, *args],
        stdin=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def without_credentials(env: dict[str, str], isolated_env: Path) -> dict[str, str]:
    bare = {k: v for k, v in env.items() if k not in {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}}
    bare["AWS_EC2_METADATA_DISABLED"] = "true"
    bare.pop("AWS_ENDPOINT_URL", None)  # nothing to ask: no credentials at all
    return bare


@pytest.mark.parametrize("action", ["get", "erase"])
@pytest.mark.parametrize("stdin", ["", "\n", "  \r\n\t"])
def test_get_and_erase_without_a_server_url(
    server_env: dict[str, str], action: str, stdin: str
) -> None:
    done = helper(server_env, action, stdin=stdin)
    assert (done.returncode, done.stdout, done.stderr) == (1, NO_SERVER_URL, "")


@pytest.mark.parametrize(
    ("stdin", "stdout"),
    [
        ("", None),
        ("garbage", None),
        ("[1, 2]", None),
        (json.dumps({"ServerURL": "", "Username": "AWS", "Secret": "s"}), NO_SERVER_URL),
        (json.dumps({"Username": "AWS", "Secret": "s"}), NO_SERVER_URL),
        (json.dumps({"ServerURL": HOST, "Secret": "s"}), "no credentials username\n"),
    ],
)
def test_store_with_garbage_or_no_server_url_fails(
    server_env: dict[str, str], stdin: str, stdout: str | None
) -> None:
    done = helper(server_env, "store", stdin=stdin)
    assert done.returncode == 1
    assert len(done.stdout.splitlines()) == 1
    if stdout is not None:
        assert done.stdout == stdout
    assert "Traceback" not in done.stderr


def test_store_of_valid_credentials_succeeds_and_keeps_nothing(
    server_env: dict[str, str], isolated_env: Path
) -> None:
    creds = {"ServerURL": HOST, "Username": "AWS", "Secret": "typed-by-hand"}
    done = helper(server_env, "store", stdin=json.dumps(creds))
    assert (done.returncode, done.stdout) == (0, "")
    cache = isolated_env / ".cache"
    assert not cache.exists() or "typed-by-hand" not in str(
        [p.read_text() for p in cache.rglob("*") if p.is_file()]
    )


def test_an_unknown_action_and_a_wrong_argument_count(server_env: dict[str, str]) -> None:
    unknown = helper(server_env, "frobnicate")
    assert (unknown.returncode, unknown.stdout) == (1, "Unknown credential action `frobnicate`\n")
    usage = "Usage: docker-credential-ecrctl <store|get|erase|list|version>\n"
    for args in ((), ("get", "extra")):
        done = helper(server_env, *args)
        assert (done.returncode, done.stdout) == (1, usage)
    asked = helper(server_env, "--help")
    assert (asked.returncode, asked.stdout) == (0, usage)
    version = helper(server_env, "version")
    assert version.returncode == 0
    assert version.stdout.startswith("docker-credential-ecrctl (ecrctl) ")


def test_public_ecr_without_aws_credentials_is_not_found(
    server_env: dict[str, str], isolated_env: Path
) -> None:
    """So podman and skopeo fall back to an anonymous pull of a public image."""
    env = without_credentials(server_env, isolated_env)
    for url in ("public.ecr.aws", "https://public.ecr.aws", "public.ecr.aws:443"):
        done = helper(env, "get", stdin=url)
        assert (done.returncode, done.stdout) == (1, NOT_FOUND), done.stderr
        assert "no AWS credentials" in done.stderr  # the person still learns why


def test_host_443_is_the_same_registry_as_host(
    server_env: dict[str, str], isolated_env: Path
) -> None:
    first = helper(server_env, "get", stdin=f"{HOST}:443")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {
        "ServerURL": f"{HOST}:443",
        "Username": "AWS",
        "Secret": PASSWORD,
    }
    tokens = isolated_env / ".cache" / "ecrctl" / "tokens"
    (entry,) = tokens.glob("*.json")
    assert json.loads(entry.read_text())["registry"] == HOST
    # Served from that one entry: AWS is unreachable (a dead proxy, same identity) and
    # nothing new is cached.
    offline = {**server_env, "HTTP_PROXY": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9"}
    offline.update({"NO_PROXY": "", "no_proxy": ""})
    for url in (HOST, f"https://{HOST}:443/v2/", HOST.upper()):
        done = helper(offline, "get", stdin=url)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["Secret"] == PASSWORD
    assert list(tokens.glob("*.json")) == [entry]
    erased = helper(server_env, "erase", stdin=f"{HOST}:443")
    assert erased.returncode == 0 and list(tokens.glob("*.json")) == []


def test_an_endless_stdin_is_refused_not_read_whole(server_env: dict[str, str]) -> None:
    for action in ("get", "store", "erase"):
        with open(os.devnull.replace("null", "zero"), "rb") as zeros:
            done = helper(server_env, action, stdin=zeros)
        assert done.returncode == 1
        assert done.stdout == "more than 65,536 characters on stdin; expected a server URL\n"


def test_a_planted_cache_does_not_hand_docker_an_attackers_secret(
    server_env: dict[str, str], isolated_env: Path
) -> None:
    first = helper(server_env, "get", stdin=HOST)
    assert first.returncode == 0, first.stderr
    tokens = isolated_env / ".cache" / "ecrctl" / "tokens"
    (entry,) = tokens.glob("*.json")
    planted = json.loads(entry.read_text())
    planted["secret"] = "attacker-secret"
    entry.write_text(json.dumps(planted))
    tokens.chmod(0o777)  # anyone could have written it
    done = helper(server_env, "get", stdin=HOST)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Secret"] == PASSWORD  # asked ECR instead
    assert done.stderr.count("warning: not using the token cache") == 1
    assert "writable by other users" in done.stderr


NOT_UTF8 = {
    "bytes-ff-fe": b"\xff\xfe\n",
    "an-ecr-host-with-a-bad-byte": HOST[:12].encode() + b"\xff" + HOST[12:].encode(),
    "latin-1": "münchen.example.com".encode("latin-1"),
}
# Python decodes stdin with surrogateescape in the C locale and strictly in a UTF-8 one.
DECODING = {
    "surrogateescape": {"LC_ALL": "C.UTF-8"},
    "strict": {"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8:strict"},
}


def helper_bytes(env: dict[str, str], action: str, stdin: bytes) -> tuple[int, str, str]:
    exe = shutil.which("docker-credential-ecrctl")
    command = [exe] if exe else [sys.executable, "-m", "ecrctl.credhelper"]
    done = subprocess.run(
        [*command, action], input=stdin, env=env, capture_output=True, timeout=60, check=False
    )
    return done.returncode, done.stdout.decode(), done.stderr.decode()


@pytest.mark.parametrize("decoding", DECODING.values(), ids=DECODING.keys())
@pytest.mark.parametrize("stdin", NOT_UTF8.values(), ids=NOT_UTF8.keys())
def test_a_server_url_that_is_not_utf8_has_no_credentials_here(
    server_env: dict[str, str], isolated_env: Path, stdin: bytes, decoding: dict[str, str]
) -> None:
    """As docker-credential-helpers answers for a server it does not know (Get and Erase hand
    the bytes to the store, which finds nothing): the protocol's message, exit 1."""
    assert helper(server_env, "get", stdin=HOST).returncode == 0  # a token cache in place
    env = {**server_env, **decoding}
    for action in ("get", "erase"):
        assert helper_bytes(env, action, stdin) == (1, NOT_FOUND, "")
    again = helper(server_env, "get", stdin=HOST)  # nothing of HOST's was erased
    assert again.returncode == 0 and json.loads(again.stdout)["Secret"] == PASSWORD


@pytest.mark.parametrize("decoding", DECODING.values(), ids=DECODING.keys())
def test_store_of_bytes_that_are_not_utf8_fails_in_one_line(
    server_env: dict[str, str], decoding: dict[str, str]
) -> None:
    creds = b'{"ServerURL": "' + HOST.encode() + b'\xff", "Username": "AWS", "Secret": "s"}'
    code, out, err = helper_bytes({**server_env, **decoding}, "store", creds)
    assert (code, out) == (1, "invalid credentials on stdin: not UTF-8 text\n")
    assert err == "docker-credential-ecrctl: invalid credentials on stdin: not UTF-8 text\n"
