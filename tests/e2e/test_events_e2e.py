"""ecrctl events setup / status / teardown as a subprocess against the moto server."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

pytestmark = pytest.mark.e2e

SETUP = (
    "events",
    "setup",
    "--webhook-url",
    "https://hooks.example.com/ecr",
    "--username",
    "deploy-bot",
    "--name",
    "team-hook",
    "--repository",
    "team/app",
    "--event",
    "push,scan",
    "--password-stdin",
)


def test_events_e2e_setup_status_teardown(run_ecrctl: Any, moto_server: str) -> None:
    first = run_ecrctl("-o", "json", *SETUP, input="pw-one\n")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["changed"] is True
    assert "creating connection team-hook" in first.stderr
    again = run_ecrctl("-o", "json", *SETUP, input="pw-one\n")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["changed"] is False
    assert "nothing changed" in again.stderr
    events = boto3.client("events", region_name="us-east-1", endpoint_url=moto_server)
    assert [c["Name"] for c in events.list_connections()["Connections"]] == ["team-hook"]
    rotated = run_ecrctl("-o", "text", *SETUP, input="pw-two\n")
    assert rotated.exit_code == 0
    assert rotated.stdout.splitlines()[0].split("\t")[:3] == ["connection", "team-hook", "updated"]
    status = run_ecrctl("-o", "json", "events", "status", "--name", "team-hook")
    assert status.exit_code == 0, status.stderr
    doc = json.loads(status.stdout)
    assert doc["healthy"] is True
    rule = next(r for r in doc["resources"] if r["kind"] == "rule")
    assert rule["detail"]["events"] == ["push", "scan"]
    assert "pw-one" not in status.stdout and "pw-two" not in status.stdout
    piped = run_ecrctl(shell="ecrctl events status --name team-hook | cut -f1,3")
    assert piped.stdout.splitlines()[0] == "connection\tAUTHORIZED"
    gone = run_ecrctl("events", "teardown", "--name", "team-hook", "--yes")
    assert gone.exit_code == 0, gone.stderr
    assert events.list_connections()["Connections"] == []
    assert events.list_rules()["Rules"] == []
    missing = run_ecrctl("events", "status", "--name", "team-hook")
    assert missing.exit_code == 3


def test_events_e2e_refuses_to_take_over_a_foreign_rule(run_ecrctl: Any, moto_server: str) -> None:
    events = boto3.client("events", region_name="us-east-1", endpoint_url=moto_server)
    events.put_rule(Name="team-hook", EventPattern='{"source":["aws.ecr"]}')
    done = run_ecrctl(*SETUP, input="pw\n")
    assert done.exit_code == 1
    assert "not managed by ecrctl, so left alone: rule team-hook" in done.stderr
    assert events.list_connections()["Connections"] == []
    teardown = run_ecrctl("events", "teardown", "--name", "team-hook", "--yes")
    assert teardown.exit_code == 1
    assert [r["Name"] for r in events.list_rules()["Rules"]] == ["team-hook"]


def test_events_demo_steps_come_before_the_repository_is_removed() -> None:
    from ecrctl.sandbox.demo import STEPS

    argvs = [step.argv[:2] for step in STEPS]
    events_steps = [i for i, argv in enumerate(argvs) if argv and argv[0] == "events"]
    assert [argvs[i][1] for i in events_steps] == ["setup", "setup", "status", "teardown"]
    assert events_steps[-1] < len(STEPS) - 1 and argvs[-1] == ("repo", "remove")
    setup_step = STEPS[events_steps[0]]
    assert "--password-stdin" in setup_step.argv and setup_step.stdin
    assert setup_step.stdin.strip() not in " ".join(setup_step.argv)
