"""The installed ecrctl over three accounts (assume-role profiles) on a moto server."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ecrctl.sandbox.images import put_synthetic, synthetic_manifest
from tests.fleet_env import ACCOUNTS, REGIONS, ecr_of, write_profiles

pytestmark = pytest.mark.e2e


def test_fleet_through_the_binary(
    run_ecrctl: Any, moto_server: str, server_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)  # the seeding's AssumeRole too
    write_profiles(Path(os.environ["AWS_CONFIG_FILE"]))
    env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
    image = synthetic_manifest("release")
    for profile in ACCOUNTS:
        client = ecr_of(profile, "eu-west-1", moto_server)
        client.create_repository(repositoryName="app")
        if profile != "dev":
            put_synthetic(client, "app", image, tag="1.4.2")
    fleet = ("--profiles", "dev,broken,stage,prod", "--regions", ",".join(REGIONS))
    listed = run_ecrctl("repo", "list", *fleet, "-o", "text", env=env)
    assert listed.exit_code == 1
    assert listed.stdout.splitlines() == [f"{p}\t{a}\teu-west-1\tapp" for p, a in ACCOUNTS.items()]
    assert len(listed.stderr.splitlines()) == 1
    assert listed.stderr.startswith("ecrctl: profile broken, regions eu-west-1,us-east-1: ")
    where = run_ecrctl(
        "where",
        "app:1.4.2",
        "--profiles",
        "dev,stage,prod",
        "--regions",
        "eu-west-1",
        "-o",
        "json",
        env=env,
    )
    assert where.exit_code == 0, where.stderr
    assert {(r["profile"], r["digest"]) for r in json.loads(where.stdout)} == {
        ("stage", image.digest),
        ("prod", image.digest),
    }
    nowhere = run_ecrctl("where", "app:0.0.1", "--profiles", "dev,prod", env=env)
    assert nowhere.exit_code == 3
    assert run_ecrctl("uri", "--profile", "prod", env=env).stdout.startswith(
        "333333333333.dkr.ecr."
    )
