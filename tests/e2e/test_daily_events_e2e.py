"""events as a person runs them: --name on every subcommand, `events list`, and --regions on
setup, status, teardown, enable and disable (the installed ecrctl on the moto server)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

pytestmark = pytest.mark.e2e

REGIONS = "us-east-1,eu-west-1"
WEBHOOK = (
    "events",
    "setup",
    "--webhook-url",
    "https://hooks.example.com/ecr",
    "--username",
    "deploy-bot",
    "--name",
    "team-hook",
    "--password-stdin",
)


def _client(service: str, region: str, endpoint: str) -> Any:
    return boto3.client(service, region_name=region, endpoint_url=endpoint)


def _invoke_resources(endpoint: str) -> list[str]:
    iam = _client("iam", "us-east-1", endpoint)
    doc = iam.get_role_policy(
        RoleName="team-hook-events-invoke", PolicyName="invoke-api-destination"
    )
    resource = doc["PolicyDocument"]["Statement"][0]["Resource"]
    return sorted([resource] if isinstance(resource, str) else resource)


def test_name_is_an_option_of_enable_and_disable_the_argument_still_works_with_a_note(
    run_ecrctl: Any, moto_server: str
) -> None:
    events = _client("events", "us-east-1", moto_server)
    setup = ("events", "setup", "--email", "ops@example.com", "--name", "ops")
    assert run_ecrctl(*setup).exit_code == 0
    paused = run_ecrctl("events", "disable", "--name", "ops", "--yes")
    assert paused.exit_code == 0, paused.stderr
    assert events.describe_rule(Name="ops")["State"] == "DISABLED"
    assert "deprecated" not in paused.stderr
    # The paused rule stays paused on a new setup; the hint names the setup.
    again = run_ecrctl(*setup)
    assert "`ecrctl events enable --name ops` resumes" in again.stderr
    status = run_ecrctl("-o", "json", "events", "status", "--name", "ops")
    assert "`ecrctl events enable --name ops` resumes it" in json.loads(status.stdout)["notes"][0]
    legacy = run_ecrctl("events", "enable", "ops")
    assert legacy.exit_code == 0, legacy.stderr
    assert "note: NAME as an argument is deprecated; use --name ops" in legacy.stderr
    assert events.describe_rule(Name="ops")["State"] == "ENABLED"
    both = run_ecrctl("events", "disable", "ops", "--name", "other", "--yes")
    assert both.exit_code == 2 and "give --name only" in both.stderr
    assert events.describe_rule(Name="ops")["State"] == "ENABLED"


def test_events_list_shows_the_setups_in_the_region(run_ecrctl: Any, moto_server: str) -> None:
    empty = run_ecrctl("-o", "json", "events", "list")
    assert (empty.exit_code, json.loads(empty.stdout)) == (0, [])
    assert "no events setups on bus default" in empty.stderr
    assert run_ecrctl(*WEBHOOK, "--event", "push", input="pw\n").exit_code == 0
    mail = ("events", "setup", "--email", "ops@example.com", "--event", "all", "--name", "ops")
    assert run_ecrctl(*mail).exit_code == 0
    assert run_ecrctl("events", "disable", "--name", "ops", "--yes").exit_code == 0
    # A rule of someone else's is not ecrctl's setup.
    _client("events", "us-east-1", moto_server).put_rule(
        Name="theirs", EventPattern='{"source":["aws.ecr"]}'
    )
    listed = run_ecrctl("-o", "json", "events", "list")
    assert listed.exit_code == 0, listed.stderr
    doc = {s["name"]: s for s in json.loads(listed.stdout)}
    assert sorted(doc) == ["ops", "team-hook"]
    assert doc["team-hook"]["sendsTo"] == "https://hooks.example.com/ecr"
    assert (doc["team-hook"]["target"], doc["team-hook"]["events"]) == ("webhook", ["push"])
    assert (doc["ops"]["target"], doc["ops"]["sendsTo"]) == ("sns", "ops@example.com")
    assert (doc["ops"]["state"], doc["ops"]["paused"]) == ("DISABLED", True)
    text = run_ecrctl("-o", "text", "events", "list")
    assert [line.split("\t")[:3] for line in text.stdout.splitlines()] == [
        ["ops", "DISABLED", "sns"],
        ["team-hook", "ENABLED", "webhook"],
    ]
    elsewhere = run_ecrctl("-o", "json", "events", "list", "--regions", "eu-west-1,us-east-1")
    assert [(s["region"], s["name"]) for s in json.loads(elsewhere.stdout)] == [
        ("us-east-1", "ops"),
        ("us-east-1", "team-hook"),
    ]


def test_regions_make_one_webhook_per_region_and_one_role_for_all(
    run_ecrctl: Any, moto_server: str
) -> None:
    first = run_ecrctl("-o", "json", *WEBHOOK, "--regions", REGIONS, input="pw\n")
    assert first.exit_code == 0, first.stderr
    assert [d["region"] for d in json.loads(first.stdout)] == ["us-east-1", "eu-west-1"]
    assert "us-east-1: events setup team-hook:" in first.stderr
    assert "eu-west-1: events setup team-hook:" in first.stderr
    destinations = []
    for region in ("us-east-1", "eu-west-1"):
        events = _client("events", region, moto_server)
        assert [r["Name"] for r in events.list_rules()["Rules"]] == ["team-hook"]
        destinations.append(events.describe_api_destination(Name="team-hook")["ApiDestinationArn"])
    assert _invoke_resources(moto_server) == sorted(destinations)
    again = run_ecrctl(*WEBHOOK, "--regions", REGIONS, input="pw\n")
    assert again.exit_code == 0, again.stderr
    assert again.stderr.count("nothing changed") == 2
    status = run_ecrctl(
        "-o", "text", "events", "status", "--name", "team-hook", "--regions", REGIONS
    )
    assert status.exit_code == 0, status.stderr
    assert {line.split("\t")[0] for line in status.stdout.splitlines()} == {
        "us-east-1",
        "eu-west-1",
    }
    one = run_ecrctl("events", "status", "--name", "team-hook", "--region", "eu-west-1")
    assert one.exit_code == 0, one.stderr

    paused = run_ecrctl("events", "disable", "--name", "team-hook", "--regions", REGIONS, "--yes")
    assert paused.exit_code == 0, paused.stderr
    for region in ("us-east-1", "eu-west-1"):
        rule = _client("events", region, moto_server).describe_rule(Name="team-hook")
        assert rule["State"] == "DISABLED"
    resumed = run_ecrctl(
        "-o", "text", "events", "enable", "--name", "team-hook", "--regions", REGIONS
    )
    assert [line.split("\t")[:4] for line in resumed.stdout.splitlines()] == [
        ["us-east-1", "rule", "team-hook", "enabled"],
        ["eu-west-1", "rule", "team-hook", "enabled"],
    ]

    # One region goes: the role stays for the other, which stays healthy.
    plan = run_ecrctl(
        "-o",
        "table",
        "events",
        "teardown",
        "--name",
        "team-hook",
        "--region",
        "us-east-1",
        "--dry-run",
    )
    assert "would keep (used in eu-west-1)" in plan.stdout
    gone = run_ecrctl("events", "teardown", "--name", "team-hook", "--region", "us-east-1", "--yes")
    assert gone.exit_code == 0, gone.stderr
    assert (
        "IAM role team-hook-events-invoke kept: the setup in eu-west-1 still uses it" in gone.stderr
    )
    assert _invoke_resources(moto_server) == [destinations[1]]
    assert (
        run_ecrctl("events", "status", "--name", "team-hook", "--region", "eu-west-1").exit_code
        == 0
    )
    half = run_ecrctl("events", "status", "--name", "team-hook", "--regions", REGIONS)
    assert half.exit_code == 1
    assert "problem: no events setup named team-hook in us-east-1 (bus default)" in half.stderr

    # Both at once: what is left goes, the role last.
    both = run_ecrctl("events", "teardown", "--name", "team-hook", "--regions", REGIONS, "--yes")
    assert both.exit_code == 0, both.stderr
    assert "us-east-1: no events setup named team-hook: nothing to remove" in both.stderr
    iam = _client("iam", "us-east-1", moto_server)
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == []
    nothing = run_ecrctl("events", "status", "--name", "team-hook", "--regions", REGIONS)
    assert nothing.exit_code == 3


def test_teardown_of_every_region_at_once_removes_the_role_once(
    run_ecrctl: Any, moto_server: str
) -> None:
    assert run_ecrctl(*WEBHOOK, "--regions", REGIONS, input="pw\n").exit_code == 0
    plan = run_ecrctl(
        "-o", "text", "events", "teardown", "--name", "team-hook", "--regions", REGIONS, "--dry-run"
    )
    table = run_ecrctl(
        "-o",
        "table",
        "events",
        "teardown",
        "--name",
        "team-hook",
        "--regions",
        REGIONS,
        "--dry-run",
    )
    assert "would keep (used in eu-west-1)" in table.stdout  # us-east-1 goes first
    assert table.stdout.count("would keep") == 1
    assert len(plan.stdout.splitlines()) == 10
    gone = run_ecrctl("events", "teardown", "--name", "team-hook", "--regions", REGIONS, "--yes")
    assert gone.exit_code == 0, gone.stderr
    iam = _client("iam", "us-east-1", moto_server)
    assert iam.list_roles()["Roles"] == []
    for region in ("us-east-1", "eu-west-1"):
        events = _client("events", region, moto_server)
        assert events.list_rules()["Rules"] == [] and events.list_connections()["Connections"] == []
