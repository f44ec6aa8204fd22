"""--accounts / --role-name / --regions given wrong, through the installed ecrctl: one stderr
line that says what is wrong, the documented exit code, no traceback, nothing on stdout."""

from __future__ import annotations

from typing import Any

import pytest

from tests.org_env import ROLE, Organization, create_organization

pytestmark = pytest.mark.e2e


@pytest.fixture
def org(moto_server: str, server_env: dict[str, str]) -> Organization:
    return create_organization(moto_server)


@pytest.mark.parametrize(
    ("args", "status", "says"),
    [
        (("--accounts", "12345", "--role-name", ROLE), 2, "'12345' is not a 12-digit account id"),
        (("--accounts", "org:ou-bad", "--role-name", ROLE), 2, "is not an organizational unit"),
        (("--accounts", "org"), 2, "--role-name NAME"),
        (("--role-name", ROLE), 2, "--role-name and --external-id go with --accounts"),
        (
            ("--accounts", "org", "--role-name", ROLE, "--regions", "bogus"),
            2,
            "'bogus' is not a region name",
        ),
        (
            ("--accounts", "org:ou-zzzz-nothere1", "--role-name", ROLE),
            3,
            "the organisation has no unit ou-zzzz-nothere1",
        ),
    ],
)
def test_bad_fleet_input_is_one_line_and_its_exit_code(
    run_ecrctl: Any, org: Organization, args: tuple[str, ...], status: int, says: str
) -> None:
    done = run_ecrctl("repo", "list", *args)
    assert done.exit_code == status, done.stderr
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("ecrctl: ") and says in done.stderr, done.stderr
