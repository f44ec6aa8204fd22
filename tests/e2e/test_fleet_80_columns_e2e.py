"""--accounts tables in an 80-column terminal, through the installed ecrctl: the account id and
region columns (and a URI, meant to be copied) stay whole; columns further right give way."""

from __future__ import annotations

from typing import Any

import pytest

from ecrctl.sandbox.images import put_synthetic, synthetic_manifest
from tests.org_env import EXTERNAL_ID, MANAGEMENT, ROLE, Organization, create_organization

pytestmark = pytest.mark.e2e

OPTIONS = ("--role-name", ROLE, "--external-id", EXTERNAL_ID, "--regions", "eu-west-1,us-east-1")
NARROW = {"COLUMNS": "80"}


@pytest.fixture
def org(moto_server: str, server_env: dict[str, str]) -> Organization:
    return create_organization(moto_server)


def _with_an_image(org: Organization) -> str:
    put_synthetic(
        org.ecr(MANAGEMENT, "eu-west-1"), "app-management", synthetic_manifest("x"), tag="1.4.2"
    )
    return "app-management"


def _table(run_ecrctl: Any, *args: str) -> list[str]:
    done = run_ecrctl(*args, "--accounts", "org", *OPTIONS, "-o", "table", env=NARROW)
    assert done.exit_code == 0, done.stderr
    return done.stdout.splitlines()


def test_images_table_keeps_account_ids_and_regions_whole_at_80_columns(
    run_ecrctl: Any, org: Organization
) -> None:
    repo = _with_an_image(org)
    lines = _table(run_ecrctl, "images", repo)
    assert all(len(line.rstrip()) <= 80 for line in lines), lines
    row = next(line for line in lines if "1.4.2" in line)
    assert row.split()[:3] == [MANAGEMENT, "master", "eu-west-1"], row


def test_uri_table_keeps_each_uri_whole_at_80_columns(run_ecrctl: Any, org: Organization) -> None:
    lines = _table(run_ecrctl, "uri", "team/app:1.4.2")
    uri = f"{org.ids['prod']}.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.4.2"
    assert any(org.ids["prod"] in line and uri in line for line in lines), lines


def test_where_table_keeps_account_region_and_digest_at_80_columns(
    run_ecrctl: Any, org: Organization
) -> None:
    lines = _table(run_ecrctl, "where", f"{_with_an_image(org)}:1.4.2")
    assert all(len(line.rstrip()) <= 80 for line in lines), lines
    assert lines[0].split()[-1] == "digest", lines
    assert lines[-1].split()[:3] == [MANAGEMENT, "master", "eu-west-1"], lines
    assert "sha256:" in lines[-1]
