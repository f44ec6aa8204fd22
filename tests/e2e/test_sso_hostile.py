"""``ecrctl sso login`` against an IAM Identity Center stand-in that answers what no real one
would (a hostile or broken endpoint named by AWS_ENDPOINT_URL_SSO_OIDC): what it says reaches
the terminal escaped, and an answer lacking what the sign-in needs is one line (exit 1), never
``unexpected error``. The installed ``ecrctl``; tests/sso_standin.py."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Outcome, ecrctl_command
from tests.e2e.test_sso_e2e import CONFIG
from tests.sso_standin import IdentityCenter

pytestmark = pytest.mark.e2e
ESCAPES = "\x1b]0;owned\x07\x1b[2J\r"


class Hostile(IdentityCenter):
    """``drop``: {operation: field} left out of that operation's answer; ``poison``: the
    device authorization's user code and URL carry terminal escape sequences."""

    def __init__(self) -> None:
        super().__init__()
        self.drop: dict[str, str] = {}
        self.poison = False
        self.page: str | None = None  # verificationUriComplete, as the service sends it

    def register(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        status, answer = super().register(body)
        answer.pop(self.drop.get("RegisterClient", ""), None)
        return status, answer

    def authorize(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        status, answer = super().authorize(body)
        answer.pop(self.drop.get("StartDeviceAuthorization", ""), None)
        if self.poison and status == 200:
            answer["userCode"] += ESCAPES
            answer["verificationUri"] += ESCAPES
        if self.page is not None and status == 200:
            answer["verificationUriComplete"] = self.page
        return status, answer

    def role_credentials(self, query: dict[str, list[str]], token: str | None) -> Any:
        answer = super().role_credentials(query, token)
        if answer[0] == 200 and "GetRoleCredentials" in self.drop:
            answer[1]["roleCredentials"].pop(self.drop["GetRoleCredentials"], None)
        return answer

    def token(self, body: dict[str, Any]) -> Any:
        answer = super().token(body)
        if answer[0] == 200:
            answer[1].pop(self.drop.get("CreateToken", ""), None)
        return answer


@pytest.fixture
def center() -> Iterator[Hostile]:
    with Hostile() as running:
        yield running


def login(center: Hostile, home: Path, *command: str) -> Outcome:
    (home / "aws-config").write_text(CONFIG)
    dropped = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"}
    env = {k: v for k, v in os.environ.items() if k not in dropped} | center.environment()
    done = subprocess.run(
        [*ecrctl_command(), "--profile", "dev", *(command or ("sso", "login", "--no-browser"))],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


def test_the_code_and_page_reach_the_terminal_escaped(center: Hostile, isolated_env: Path) -> None:
    center.poison = True
    done = login(center, isolated_env)
    assert done.exit_code == 0, done.stderr
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr
    assert "\\x1b]0;owned\\x07" in done.stderr  # shown, escaped


@pytest.mark.parametrize(
    ("operation", "field"),
    [
        ("RegisterClient", "clientSecretExpiresAt"),
        ("RegisterClient", "clientId"),
        ("StartDeviceAuthorization", "deviceCode"),
        ("StartDeviceAuthorization", "verificationUri"),
        ("CreateToken", "accessToken"),
        ("CreateToken", "expiresIn"),
    ],
)
def test_an_answer_lacking_what_the_sign_in_needs_is_one_line(
    center: Hostile, isolated_env: Path, operation: str, field: str
) -> None:
    center.drop = {operation: field}
    done = login(center, isolated_env)
    assert done.exit_code == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert "unexpected error" not in done.stderr and "Traceback" not in done.stderr
    assert lines[-1].startswith("ecrctl: ") and field in lines[-1], done.stderr


@pytest.mark.parametrize("field", ["accessKeyId", "expiration"])
def test_a_portal_answer_lacking_the_credentials_is_one_line(
    center: Hostile, isolated_env: Path, field: str
) -> None:
    """botocore takes the role's credentials from the portal's GetRoleCredentials: one that
    lacks a field is exit 1 naming the portal, for the sign-in and every command after it."""
    assert login(center, isolated_env).exit_code == 0
    center.drop = {"GetRoleCredentials": field}
    done = login(center, isolated_env, "repo", "list")
    assert (done.exit_code, done.stdout) == (1, ""), done.stderr
    assert done.stderr == (
        f"ecrctl: IAM Identity Center {center.server.host}: GetRoleCredentials answered "
        f"without a valid {field}\n"
    )


def test_a_verification_page_that_is_no_web_page_is_refused(
    center: Hostile, isolated_env: Path
) -> None:
    """The page is opened in the person's browser: only an http(s) URL is."""
    center.page = "file:///etc/passwd"
    done = login(center, isolated_env)
    assert (done.exit_code, done.stdout) == (1, ""), done.stderr
    assert done.stderr == (
        f"ecrctl: IAM Identity Center {center.server.host}: a verification page that is not a "
        "URL: file:///etc/passwd\n"
    )
