"""--profiles / --regions over three moto accounts (assume-role profiles) and two regions."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ecrctl.sandbox.images import put_synthetic, synthetic_manifest
from tests.conftest import REGION
from tests.fleet_env import ACCOUNTS, REGIONS, ecr_of, write_profiles

FLEET = ("--profiles", "dev,stage,prod", "--regions", ",".join(REGIONS))


@pytest.fixture
def fleet(ecr: Any, isolated_env: Path) -> dict[str, str]:
    """Repositories app-<profile> in both regions of each account; app:1.4.2 in stage and prod
    (one digest), a different 1.4.2 in dev (eu-west-1 only)."""
    write_profiles(Path(os.environ["AWS_CONFIG_FILE"]))
    release = synthetic_manifest("release")
    digests = {"release": release.digest}
    for profile in ACCOUNTS:
        for region in REGIONS:
            ecr_of(profile, region).create_repository(repositoryName=f"app-{profile}")
        client = ecr_of(profile, "eu-west-1")
        client.create_repository(repositoryName="app")
        image = synthetic_manifest("dev-build") if profile == "dev" else release
        put_synthetic(client, "app", image, tag="1.4.2")
        digests[profile] = image.digest
    return digests


def test_repo_list_over_profiles_and_regions_tags_each_row(cli: Any, fleet: Any) -> None:
    done = cli("repo", "list", *FLEET, "-o", "json")
    assert done.exit_code == 0, done.stderr
    rows = json.loads(done.stdout)
    seen = {(r["profile"], r["account"], r["region"], r["name"]) for r in rows}
    for profile, account in ACCOUNTS.items():
        for region in REGIONS:
            assert (profile, account, region, f"app-{profile}") in seen
    # each account sees only its own repositories
    assert not any(r["name"] == "app-prod" and r["profile"] != "prod" for r in rows)
    text = cli("repo", "list", *FLEET, "-o", "text").stdout.splitlines()
    assert "dev\t111111111111\teu-west-1\tapp" in text
    assert "prod\t333333333333\tus-east-1\tapp-prod" in text


def test_missing_sso_session_is_one_stderr_line_and_the_rest_is_printed(
    cli: Any, fleet: Any
) -> None:
    done = cli(
        "repo",
        "list",
        "--profiles",
        "dev,broken,prod",
        "--regions",
        ",".join(REGIONS),
        "-o",
        "text",
    )
    assert done.exit_code == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "profile broken" in lines[0] and "eu-west-1,us-east-1" in lines[0]
    assert "run: ecrctl sso login --profile broken" in lines[0]
    assert "dev\t111111111111\tus-east-1\tapp-dev" in done.stdout
    assert "prod\t333333333333\teu-west-1\tapp-prod" in done.stdout


def test_every_source_failing_on_credentials_exits_4(cli: Any, fleet: Any) -> None:
    done = cli("repo", "list", "--profiles", "broken", "--regions", "eu-west-1")
    assert done.exit_code == 4
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1


def test_credentials_are_resolved_once_per_profile(cli: Any, fleet: Any) -> None:
    from moto.backends import get_backend

    def assumed() -> dict[str, int]:
        return {a: len(get_backend("sts")[a]["aws"].assumed_roles) for a in ACCOUNTS.values()}

    before = assumed()
    done = cli("repo", "list", *FLEET)
    assert done.exit_code == 0, done.stderr
    after = assumed()
    # one AssumeRole per profile, not one per region
    assert {a: after[a] - before[a] for a in after} == {a: 1 for a in ACCOUNTS.values()}


def test_where_shows_each_source_and_its_digest(cli: Any, fleet: Any) -> None:
    done = cli("where", "app:1.4.2", *FLEET, "-o", "json")
    assert done.exit_code == 0, done.stderr
    found = {(r["profile"], r["region"]): r["digest"] for r in json.loads(done.stdout)}
    assert found == {
        ("dev", "eu-west-1"): fleet["dev"],
        ("stage", "eu-west-1"): fleet["release"],
        ("prod", "eu-west-1"): fleet["release"],
    }
    assert "2 different digests" in done.stderr
    by_digest = cli("where", f"app@{fleet['release']}", *FLEET, "-o", "json")
    assert {r["profile"] for r in json.loads(by_digest.stdout)} == {"stage", "prod"}
    assert json.loads(by_digest.stdout)[0]["tags"] == ["1.4.2"]


def test_where_exits_3_when_found_nowhere(cli: Any, fleet: Any) -> None:
    done = cli("where", "app:9.9.9", *FLEET)
    assert done.exit_code == 3
    assert done.stdout == ""
    assert "found in none of the 6 sources" in done.stderr


def test_where_with_a_failing_source_exits_1_not_3(cli: Any, fleet: Any) -> None:
    done = cli("where", "app:9.9.9", "--profiles", "dev,broken", "--regions", "eu-west-1")
    assert done.exit_code == 1
    assert "profile broken" in done.stderr


def test_tags_and_images_over_profiles(cli: Any, fleet: Any) -> None:
    done = cli("tags", "app", "--profiles", "stage,prod", "--regions", "eu-west-1", "-o", "json")
    assert done.exit_code == 0, done.stderr
    assert [(r["profile"], r["tag"]) for r in json.loads(done.stdout)] == [
        ("stage", "1.4.2"),
        ("prod", "1.4.2"),
    ]
    images = cli("images", "app", *FLEET, "-o", "text")
    # us-east-1 has no repository app: a note, not a failure
    assert images.exit_code == 0, images.stderr
    assert "repository app not found" in images.stderr
    assert images.stdout.count("\n") == 3


def test_whoami_and_bare_uri(cli: Any, fleet: Any) -> None:
    done = cli("whoami", "--profile", "prod", "-o", "json")
    assert done.exit_code == 0, done.stderr
    who = json.loads(done.stdout)
    assert who["account"] == "333333333333"
    assert who["arn"].startswith("arn:aws:sts::333333333333:assumed-role/x/")
    assert who["credentials"] == "assume-role"
    # AWS_REGION (the test environment's) wins over the profile's region, as in botocore
    assert who["region"] == REGION
    assert who["registry"] == f"333333333333.dkr.ecr.{REGION}.amazonaws.com"
    host = cli("uri", "--profile", "stage")
    assert host.stdout == f"222222222222.dkr.ecr.{REGION}.amazonaws.com\n"
    many = cli("uri", "app:1", "--profiles", "dev,prod", "--regions", "us-east-1", "-o", "text")
    assert many.stdout.splitlines() == [
        "dev\t111111111111\tus-east-1\t111111111111.dkr.ecr.us-east-1.amazonaws.com/app:1",
        "prod\t333333333333\tus-east-1\t333333333333.dkr.ecr.us-east-1.amazonaws.com/app:1",
    ]


def test_regions_all_asks_describe_regions(cli: Any, fleet: Any) -> None:
    done = cli("whoami", "--profiles", "dev", "--regions", "all", "-o", "json")
    assert done.exit_code == 0, done.stderr
    regions = {r["region"] for r in json.loads(done.stdout)}
    assert {"eu-west-1", "us-east-1", "ap-southeast-2"} <= regions


def test_fleet_options_are_checked_before_any_call(cli: Any, fleet: Any) -> None:
    for bad in (("--regions", "all,eu-west-1"), ("--regions", "Mars"), ("--profiles", ",")):
        done = cli("repo", "list", *bad)
        assert done.exit_code == 2, bad
        assert done.stderr.startswith("ecrctl: ")
    assert cli("repo", "show", "app", "--profiles", "dev").exit_code == 2  # not a global option


def test_a_pasted_uri_uses_the_profile_config_toml_maps_to_its_registry(
    cli: Any, fleet: Any, isolated_env: Path
) -> None:
    host = f"{ACCOUNTS['prod']}.dkr.ecr.eu-west-1.amazonaws.com"
    config = isolated_env / ".config" / "ecrctl"
    config.mkdir(parents=True)
    (config / "config.toml").write_text(f'[registries."{host}"]\nprofile = "prod"\n')
    done = cli("tags", f"{host}/app", "-o", "json")
    assert done.exit_code == 0, done.stderr
    assert [r["digest"] for r in json.loads(done.stdout)] == [fleet["release"]]
