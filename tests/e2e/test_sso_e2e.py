"""``ecrctl sso login|logout`` through the installed ``ecrctl``, against a local IAM Identity
Center (tests/sso_standin.py, reached through AWS_ENDPOINT_URL_SSO_OIDC / _SSO) and moto's STS
and ECR over HTTP: the aws CLI v2's token file, the aws CLI and botocore using it, sso-session
refresh, logout, expiry, and nothing waiting for a person off a terminal.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Outcome, ecrctl_command, run_on_a_terminal
from tests.sso_standin import IdentityCenter

pytestmark = pytest.mark.e2e

START_URL = "https://corp.awsapps.com/start"
DEV, STAGE, PROD = "642976147714", "222222222222", "333333333333"
DEV_HOST = f"{DEV}.dkr.ecr.eu-west-1.amazonaws.com"
CONFIG = f"""\
[profile dev]
sso_start_url = {START_URL}
sso_region = eu-west-1
sso_account_id = {DEV}
sso_role_name = Developer
region = eu-west-1

[profile stage]
sso_session = corp
sso_account_id = {STAGE}
sso_role_name = Deployer
region = eu-west-1

[profile prod]
sso_session = corp
sso_account_id = {PROD}
sso_role_name = ReadOnly
region = eu-west-1

[sso-session corp]
sso_start_url = {START_URL}
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
"""
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


@pytest.fixture
def center(moto_server: str, server_env: dict[str, str]) -> Iterator[IdentityCenter]:
    with IdentityCenter(sts_endpoint=moto_server) as running:
        yield running


@pytest.fixture
def env(server_env: dict[str, str], center: IdentityCenter, isolated_env: Path) -> dict[str, str]:
    """SSO profiles only: no access keys, no region but the profiles', no browser."""
    (isolated_env / "aws-config").write_text(CONFIG)
    dropped = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"}
    dropped |= {"DISPLAY", "WAYLAND_DISPLAY", "BROWSER"}
    environment = {k: v for k, v in server_env.items() if k not in dropped}
    return environment | center.environment()


@pytest.fixture
def cache_dir(isolated_env: Path) -> Path:
    return isolated_env / ".aws" / "sso" / "cache"


def run(env: dict[str, str], *args: str, timeout: float = 60) -> Outcome:
    done = subprocess.run(
        [*ecrctl_command(), *args],
        env=env,
        stdin=subprocess.DEVNULL,  # off a terminal, as in CI
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


def credential_helper() -> list[str]:
    exe = shutil.which("docker-credential-ecrctl")
    return [exe] if exe else [sys.executable, "-m", "ecrctl.credhelper"]


def sign_in(env: dict[str, str], profile: str) -> Outcome:
    done = run(env, "--profile", profile, "sso", "login", "--no-browser", "-o", "json")
    assert done.exit_code == 0, done.stderr
    return done


def seed_repository(moto_server: str, account: str, name: str) -> None:
    import boto3

    sts = boto3.client("sts", region_name="eu-west-1", endpoint_url=moto_server)
    keys = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/seed", RoleSessionName="seed")
    found = keys["Credentials"]
    boto3.client(
        "ecr",
        region_name="eu-west-1",
        endpoint_url=moto_server,
        aws_access_key_id=found["AccessKeyId"],
        aws_secret_access_key=found["SecretAccessKey"],
        aws_session_token=found["SessionToken"],
    ).create_repository(repositoryName=name)


def test_sign_in_with_one_pending_poll_writes_the_aws_cli_token_file(
    env: dict[str, str], center: IdentityCenter, cache_dir: Path
) -> None:
    done = sign_in(env, "dev")
    assert center.operations() == [
        "RegisterClient",
        "StartDeviceAuthorization",
        "CreateToken",  # authorization_pending
        "CreateToken",
        "GetRoleCredentials",  # the account and role it reaches
    ]
    (user_code,) = [d["user"] for d in center.devices.values()]
    assert f"open  {center.url}/device\n" in done.stderr
    assert f"code  {user_code}\n" in done.stderr
    assert f"profile dev reaches account {DEV} as Developer until" in done.stderr.splitlines()[-1]
    result = json.loads(done.stdout)
    assert (result["account"], result["role"], result["startUrl"]) == (DEV, "Developer", START_URL)

    path = cache_dir / f"{sha1(START_URL)}.json"
    assert result["cacheFile"] == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    written = json.loads(path.read_text())
    assert set(written) == {
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
    }
    assert (written["startUrl"], written["region"]) == (START_URL, "eu-west-1")
    assert written["accessToken"] in center.tokens
    assert TIME.match(written["expiresAt"]) and TIME.match(written["registrationExpiresAt"])
    # the token and the client registration, and no temporary file
    assert len(list(cache_dir.iterdir())) == 2

    sign_in(env, "dev")  # the registration is reused: no second RegisterClient
    assert center.operations().count("RegisterClient") == 1


def test_the_signed_in_profile_serves_ecrctl_and_the_aws_cli(
    env: dict[str, str], center: IdentityCenter, moto_server: str
) -> None:
    seed_repository(moto_server, DEV, "team/app")
    sign_in(env, "dev")
    who = run(env, "--profile", "dev", "whoami", "-o", "json")
    assert who.exit_code == 0, who.stderr
    found = json.loads(who.stdout)
    assert (found["account"], found["credentials"]) == (DEV, "sso")
    assert found["registry"] == DEV_HOST
    listed = run(env, "--profile", "dev", "repo", "list", "-o", "text")
    assert listed.exit_code == 0, listed.stderr
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["team/app"]

    aws = shutil.which("aws")
    assert aws, "the aws CLI is part of the test extra (pip install -e '.[test]')"
    called = subprocess.run(
        [aws, "sts", "get-caller-identity", "--profile", "dev", "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert called.returncode == 0, called.stderr
    assert json.loads(called.stdout)["Account"] == DEV
    assert center.operations().count("StartDeviceAuthorization") == 1


def test_an_sso_session_serves_its_profiles_and_is_refreshed_without_a_sign_in(
    env: dict[str, str], center: IdentityCenter, cache_dir: Path
) -> None:
    sign_in(env, "stage")
    path = cache_dir / f"{sha1('corp')}.json"
    written = json.loads(path.read_text())
    assert set(written) >= {"clientId", "clientSecret", "registrationExpiresAt", "refreshToken"}

    both = run(env, "whoami", "--profiles", "stage,prod", "-o", "json")
    assert both.exit_code == 0, both.stderr
    assert {(r["profile"], r["account"]) for r in json.loads(both.stdout)} == {
        ("stage", STAGE),
        ("prod", PROD),
    }

    # the access token runs out; the refresh token gets a new one, as botocore does
    path.write_text(json.dumps({**written, "expiresAt": "2020-01-01T00:00:00Z"}))
    os.chmod(path, 0o600)
    who = run(env, "--profile", "prod", "whoami", "-o", "json")
    assert who.exit_code == 0, who.stderr
    assert json.loads(who.stdout)["account"] == PROD
    refreshed = json.loads(path.read_text())
    assert refreshed["accessToken"] != written["accessToken"]
    assert refreshed["accessToken"] in center.tokens
    assert refreshed["expiresAt"] > "2020-01-01T00:00:00Z"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ("CreateToken", {"grantType": "refresh_token"}) in center.calls
    assert center.operations().count("StartDeviceAuthorization") == 1


def test_logout_ends_the_session_and_commands_then_exit_4_with_the_hint(
    env: dict[str, str], center: IdentityCenter, cache_dir: Path
) -> None:
    sign_in(env, "dev")
    token = json.loads((cache_dir / f"{sha1(START_URL)}.json").read_text())["accessToken"]
    done = run(env, "--profile", "dev", "sso", "logout")
    assert done.exit_code == 0, done.stderr
    assert done.stderr == f"Signed out of {START_URL} (profile dev)\n"
    assert center.logged_out == [token]
    assert not (cache_dir / f"{sha1(START_URL)}.json").exists()

    after = run(env, "--profile", "dev", "repo", "list")
    assert after.exit_code == 4
    assert after.stdout == ""
    assert after.stderr == (
        "ecrctl: the SSO sign-in is expired or missing; run: ecrctl sso login --profile dev\n"
    )
    again = run(env, "--profile", "dev", "sso", "logout")
    assert again.exit_code == 0
    assert "Not signed in" in again.stderr


def test_an_expired_token_is_exit_4_and_its_logout_asks_no_portal(
    env: dict[str, str], center: IdentityCenter, cache_dir: Path
) -> None:
    sign_in(env, "dev")
    path = cache_dir / f"{sha1(START_URL)}.json"
    path.write_text(
        json.dumps({**json.loads(path.read_text()), "expiresAt": "2020-01-01T00:00:00Z"})
    )
    done = run(env, "--profile", "dev", "whoami")
    assert done.exit_code == 4
    assert done.stderr.endswith("; run: ecrctl sso login --profile dev\n")
    calls = len(center.calls)
    out = run(env, "--profile", "dev", "sso", "logout")
    assert out.exit_code == 0 and not path.exists()
    assert center.calls[calls:] == []  # no Logout with a dead token


def test_off_a_terminal_nothing_waits_for_a_person(
    env: dict[str, str], center: IdentityCenter, isolated_env: Path
) -> None:
    login = run(env, "--profile", "dev", "sso", "login", timeout=30)
    assert login.exit_code == 4
    assert login.stderr == (
        "ecrctl: no terminal to sign in on (a person approves the sign-in in a browser); "
        "run: ecrctl sso login --profile dev on a terminal, or add --no-browser to print the "
        "code and wait here\n"
    )
    assert center.calls == []

    # a pasted URI: config.toml's profile is the one the hint names
    config = isolated_env / ".config" / "ecrctl"
    config.mkdir(parents=True)
    (config / "config.toml").write_text(f'[registries."{DEV_HOST}"]\nprofile = "dev"\n')
    tags = run(env, "tags", f"{DEV_HOST}/team/app", timeout=30)
    assert tags.exit_code == 4
    assert tags.stderr.endswith("; run: ecrctl sso login --profile dev\n")

    helper = subprocess.run(
        [*credential_helper(), "get"],
        input=DEV_HOST,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert helper.returncode != 0
    assert "run: ecrctl sso login --profile dev" in helper.stderr
    assert center.calls == []


def test_profiles_sharing_a_session_get_one_line_naming_each(env: dict[str, str]) -> None:
    done = run(env, "repo", "list", "--profiles", "stage,prod")
    assert done.exit_code == 4
    assert done.stdout == ""
    assert done.stderr == (
        "ecrctl: profiles stage, prod: the SSO sign-in is expired or missing; "
        "run: ecrctl sso login --profile stage (one sign-in serves them all: they share "
        "sso-session corp)\n"
    )
    mixed = run(env, "repo", "list", "--profiles", "dev,stage", "--regions", "eu-west-1")
    assert mixed.exit_code == 4
    assert mixed.stderr.splitlines() == [
        "ecrctl: profile dev, region eu-west-1: the SSO sign-in is expired or missing; "
        "run: ecrctl sso login --profile dev",
        "ecrctl: profile stage, region eu-west-1: the SSO sign-in is expired or missing; "
        "run: ecrctl sso login --profile stage",
    ]


def test_the_registry_host_needs_no_session(env: dict[str, str], center: IdentityCenter) -> None:
    host = run(env, "--profile", "dev", "uri")
    assert (host.exit_code, host.stdout, host.stderr) == (0, f"{DEV_HOST}\n", "")
    image = run(env, "--profile", "dev", "uri", "team/app:1.0")
    assert (image.exit_code, image.stdout) == (0, f"{DEV_HOST}/team/app:1.0\n")
    assert center.calls == []


def test_debug_never_shows_a_token_or_secret(
    env: dict[str, str], center: IdentityCenter, cache_dir: Path
) -> None:
    done = run(env, "--debug", "--profile", "stage", "sso", "login", "--no-browser")
    assert done.exit_code == 0, done.stderr
    assert "sso-oidc.CreateToken" in done.stderr and "sso.GetRoleCredentials" in done.stderr
    written = json.loads((cache_dir / f"{sha1('corp')}.json").read_text())
    secrets = [written[k] for k in ("accessToken", "clientSecret", "refreshToken")]
    secrets += list(center.devices)  # the device codes
    assert not [s for s in secrets if s in done.stderr]


def test_on_a_terminal_the_browser_opens_the_page_with_the_code(
    env: dict[str, str], center: IdentityCenter, tmp_path: Path
) -> None:
    """BROWSER is Python's webbrowser's own setting: here a "browser" that loads the page,
    which approves the code as a person would."""
    center.approve_on_visit = True
    visited = tmp_path / "visited"
    browser = tmp_path / "browser"
    browser.write_text(
        f"#!{sys.executable}\n"
        "import sys, urllib.request\n"
        f"open({str(visited)!r}, 'w').write(sys.argv[1])\n"
        "urllib.request.urlopen(sys.argv[1]).read()\n"
    )
    browser.chmod(0o755)
    code, out, err = run_on_a_terminal(
        [*ecrctl_command(), "--profile", "dev", "sso", "login"], env | {"BROWSER": str(browser)}
    )
    assert code == 0, err
    assert out == ""
    (user_code,) = [d["user"] for d in center.devices.values()]
    assert visited.read_text() == f"{center.url}/device?user_code={user_code}"
    assert "Opened the page, code filled in, in your browser" in err
    assert f"profile dev reaches account {DEV} as Developer" in err


def test_a_role_the_portal_refuses_is_exit_4(
    env: dict[str, str], center: IdentityCenter, isolated_env: Path
) -> None:
    config = CONFIG.replace("sso_role_name = Developer", "sso_role_name = NotAssigned")
    (isolated_env / "aws-config").write_text(config)
    done = run(env, "--profile", "dev", "sso", "login", "--no-browser")
    assert done.exit_code == 4
    assert done.stderr.splitlines()[-1] == (
        f"ecrctl: signed in to {START_URL}, but it does not reach role NotAssigned in account "
        f"{DEV} (No access): check sso_account_id and sso_role_name of profile dev"
    )
