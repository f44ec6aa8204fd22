"""A damaged token file in ~/.aws/sso/cache (a crash mid-write of another tool, a hand edit):
botocore reads it, and ecrctl says what to type (exit 4), never ``unexpected error``; a new
sign-in replaces it. The installed ``ecrctl``, tests/sso_standin.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e import test_sso_e2e as sso
from tests.e2e.test_sso_e2e import DEV, STAGE, START_URL, run, sha1, sign_in

center, env, cache_dir = sso.center, sso.env, sso.cache_dir  # its fixtures

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("profile", ["dev", "stage"])  # legacy; sso-session
@pytest.mark.parametrize("text", ["{not json", '{"accessToken": "a", "expiresAt": "soon"}'])
def test_a_damaged_token_file_is_exit_4_with_the_hint(
    env: dict[str, str], cache_dir: Path, profile: str, text: str
) -> None:
    sign_in(env, profile)
    path = cache_dir / f"{sha1(START_URL if profile == 'dev' else 'corp')}.json"
    path.write_text(text)
    os.chmod(path, 0o600)
    done = run(env, "--profile", profile, "whoami")
    assert (done.exit_code, done.stdout) == (4, ""), done.stderr
    assert done.stderr == (
        f"ecrctl: the cached SSO sign-in is unreadable; run: ecrctl sso login --profile {profile}\n"
    )
    sign_in(env, profile)
    assert run(env, "--profile", profile, "whoami").exit_code == 0


@pytest.mark.parametrize("profile", ["dev", "stage"])
def test_the_registry_host_needs_no_readable_sign_in(
    env: dict[str, str], cache_dir: Path, profile: str
) -> None:
    """`uri` is built from sso_account_id and the region when no credentials can be had, a
    damaged token file included."""
    sign_in(env, profile)
    path = cache_dir / f"{sha1(START_URL if profile == 'dev' else 'corp')}.json"
    path.write_text("{not json")
    os.chmod(path, 0o600)
    account = {"dev": DEV, "stage": STAGE}[profile]
    done = run(env, "--profile", profile, "uri", "team/app:1.0")
    assert (done.exit_code, done.stderr) == (0, ""), done.stderr
    assert done.stdout == f"{account}.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.0\n"
