"""ecrctl login and docker-credential-ecrctl as installed commands, against the moto server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ecrctl.core.login.cache import CachedToken, TokenCache, resolve_identity

pytestmark = pytest.mark.e2e

HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
PASSWORD = "123456789012-auth-token"
HEAVY = ("boto3", "botocore", "typer", "rich", "docker")


def helper_command() -> list[str]:
    exe = shutil.which("docker-credential-ecrctl")
    return [exe] if exe else [sys.executable, "-m", "ecrctl.credhelper"]


def helper(action: str, stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*helper_command(), action],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_login_from_many_processes_at_once_keeps_every_registry(
    run_ecrctl: Any, server_env: dict[str, str], isolated_env: Path
) -> None:
    accounts = [f"{n:012d}" for n in range(100000000001, 100000000033)]  # 32 at once
    procs = [
        subprocess.Popen(
            ["ecrctl", "login", account],
            env=server_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for account in accounts
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * len(accounts), outs
    assert all("Login Succeeded" in err and out == "" for out, err in outs)
    config = json.loads((isolated_env / ".docker" / "config.json").read_text())
    assert sorted(config["auths"]) == sorted(
        f"{a}.dkr.ecr.us-east-1.amazonaws.com" for a in accounts
    )
    status = run_ecrctl("-o", "text", "login", "status")
    assert status.exit_code == 0 and len(status.stdout.splitlines()) == len(accounts)


def test_print_password_pipes_into_a_password_stdin_login(run_ecrctl: Any) -> None:
    done = run_ecrctl(shell="ecrctl login --print-password | wc -c")
    assert done.exit_code == 0, done.stderr
    assert int(done.stdout) == len(PASSWORD) + 1
    assert PASSWORD not in done.stderr


def test_helper_miss_then_hit_without_network_or_heavy_imports(
    server_env: dict[str, str], isolated_env: Path
) -> None:
    miss = helper("get", HOST + "\n", server_env)
    assert miss.returncode == 0, miss.stderr
    assert json.loads(miss.stdout) == {"ServerURL": HOST, "Username": "AWS", "Secret": PASSWORD}
    cache_files = list((isolated_env / ".cache" / "ecrctl" / "tokens").glob("*.json"))
    assert len(cache_files) == 1

    # The same identity, with the endpoint now unreachable: the answer comes from the cache,
    # and the process never imports boto3, typer or rich.
    probe = (
        "import io, json, sys\n"
        "from ecrctl import credhelper\n"
        "out = io.StringIO()\n"
        f"code = credhelper.run(['get'], io.StringIO({HOST!r}), out, sys.stderr)\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print(json.dumps({'code': code, 'answer': json.loads(out.getvalue()), 'heavy': heavy}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=server_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result == {
        "code": 0,
        "answer": {"ServerURL": HOST, "Username": "AWS", "Secret": PASSWORD},
        "heavy": [],
    }


def test_a_token_with_less_than_a_quarter_of_its_life_left_is_renewed(
    server_env: dict[str, str], isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", server_env["AWS_ENDPOINT_URL"])
    identity = resolve_identity(None)
    now = time.time()
    old = CachedToken(HOST, identity.label, "AWS", "old-secret", now - 10 * 3600, now + 2 * 3600)
    TokenCache().put(old, identity)
    done = helper("get", HOST, server_env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Secret"] == PASSWORD
    renewed = TokenCache().get(HOST, identity)
    assert renewed is not None and renewed.fresh() and renewed.issued_at >= now - 1

    # Still valid but due for renewal, and AWS unreachable: the cached token is used.
    TokenCache().put(old, identity)
    # A dead proxy in front of the endpoint: same identity, no AWS.
    dead = {**server_env, "HTTP_PROXY": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9"}
    dead.update({"NO_PROXY": "", "no_proxy": ""})
    stale = helper("get", HOST, dead)
    assert stale.returncode == 0
    assert "using the cached token" in stale.stderr


def test_helper_errors_are_one_line_and_non_ecr_hosts_are_not_found(
    server_env: dict[str, str],
) -> None:
    other = helper("get", "ghcr.io", server_env)
    assert other.returncode == 1
    assert other.stdout.strip() == "credentials not found in native keychain"

    env = {k: v for k, v in server_env.items() if not k.startswith("AWS_ACCESS_KEY")}
    env.pop("AWS_SECRET_ACCESS_KEY", None)
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    failed = helper("get", HOST, env)
    assert failed.returncode == 1
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and "no AWS credentials" in lines[0]
    assert "Traceback" not in failed.stderr

    unknown = helper("bogus", "", server_env)
    assert (unknown.returncode, unknown.stdout) == (1, "Unknown credential action `bogus`\n")


def test_helper_list_and_erase(server_env: dict[str, str]) -> None:
    assert helper("get", HOST, server_env).returncode == 0
    listed = helper("list", "", server_env)
    assert json.loads(listed.stdout) == {HOST: "AWS"}
    assert helper("erase", HOST, server_env).returncode == 0
    assert json.loads(helper("list", "", server_env).stdout) == {}
    stored = json.dumps({"ServerURL": HOST, "Username": "AWS", "Secret": "x"})
    assert helper("store", stored, server_env).returncode == 0
    assert os.environ.get("DOCKER_CONFIG")  # the isolated environment is in force


def test_helper_uses_the_profile_config_toml_names_for_the_registry(
    server_env: dict[str, str], isolated_env: Path
) -> None:
    (isolated_env / "aws-credentials").write_text(
        "[dev]\naws_access_key_id = dev-key\naws_secret_access_key = dev-secret\n"
    )
    (isolated_env / "aws-config").write_text("[profile dev]\nregion = eu-west-1\n")
    config = isolated_env / ".config" / "ecrctl" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[registries."{HOST}"]\nprofile = "dev"\n')
    env = {
        k: v
        for k, v in server_env.items()
        if k not in {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    }
    done = helper("get", HOST, env)  # no credentials but the dev profile's
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Secret"] == PASSWORD
    (entry,) = (isolated_env / ".cache" / "ecrctl" / "tokens").glob("*.json")
    assert json.loads(entry.read_text())["identity"].startswith("profile dev")
    other = "111122223333.dkr.ecr.us-east-1.amazonaws.com"  # not mapped: default chain, none
    unmapped = helper("get", other, {**env, "AWS_EC2_METADATA_DISABLED": "true"})
    assert unmapped.returncode == 1 and "no AWS credentials" in unmapped.stderr
