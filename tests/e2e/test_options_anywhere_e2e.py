"""Global options anywhere on the line, through the installed ecrctl, against a moto server;
and the credential precedence of the aws CLI, side by side with the aws CLI itself."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import fakehttp
from tests.conftest import ecrctl_command
from tests.fakehttp import Reply, Request, json_reply

pytestmark = pytest.mark.e2e
fake_server = fakehttp.fake_server


@pytest.fixture
def seeded(server_ecr: Any) -> Any:
    from ecrctl.sandbox.images import seed_repository

    server_ecr.create_repository(repositoryName="team/app")
    seed_repository(server_ecr, "team/app", ["1.0.9", "1.0.10", "1.4.2"])
    return server_ecr


@pytest.mark.parametrize(
    "argv",
    [
        ["-o", "json", "tags", "team/app"],
        ["tags", "team/app", "-o", "json"],
        ["tags", "-ojson", "team/app"],
        ["tags", "team/app", "--output=json"],
        ["tags", "team/app", "--output", "json", "--region", "us-east-1"],
        ["--output", "text", "tags", "team/app", "-o", "json"],  # the last one wins
    ],
)
def test_output_option_anywhere_gives_json(run_ecrctl: Any, seeded: Any, argv: list[str]) -> None:
    done = run_ecrctl(*argv)
    assert done.exit_code == 0, done.stderr
    assert [t["tag"] for t in json.loads(done.stdout)] == ["1.0.9", "1.0.10", "1.4.2"]


def test_group_options_between_group_and_subcommand(run_ecrctl: Any, seeded: Any) -> None:
    between = run_ecrctl("repo", "-o", "json", "list")
    after = run_ecrctl("repo", "list", "--region", "us-east-1", "-o", "json")
    assert between.exit_code == after.exit_code == 0, between.stderr + after.stderr
    assert [r["name"] for r in json.loads(between.stdout)] == ["team/app"]
    assert json.loads(after.stdout) == json.loads(between.stdout)


def test_last_of_two_regions_wins(run_ecrctl: Any, seeded: Any) -> None:
    """The repository lives in us-east-1: asked last for eu-west-1, there is nothing there."""
    done = run_ecrctl("--region", "us-east-1", "repo", "list", "--region", "eu-west-1")
    assert done.exit_code == 0 and done.stdout == ""
    done = run_ecrctl("--region", "eu-west-1", "repo", "list", "--region", "us-east-1")
    assert done.exit_code == 0 and done.stdout == "team/app\n"


def test_debug_after_the_subcommand_logs_calls(run_ecrctl: Any, seeded: Any) -> None:
    done = run_ecrctl("tags", "team/app", "--debug")
    assert done.exit_code == 0
    assert "debug: -> ecr.ListImages" in done.stderr


def test_every_command_help_shows_the_global_options(run_ecrctl: Any) -> None:
    for argv in (["tags", "--help"], ["repo", "list", "--help"], ["repo", "--help"], ["--help"]):
        done = run_ecrctl(*argv)
        assert done.exit_code == 0
        section = done.stdout.split("Global options:")[1]
        for option in ("--profile", "--region", "--endpoint-url", "-o, --output", "--query"):
            assert option in section, (argv, option)


def test_ctrl_c_while_modules_load_is_one_line_and_130(isolated_env: Path) -> None:
    """SIGINT arrives while typer is being imported (the first ~0.1 s of a real run)."""
    code = (
        "import builtins, os, signal, sys\n"
        "real = builtins.__import__\n"
        "def hooked(name, *a, **k):\n"
        "    if name == 'typer':\n"
        "        builtins.__import__ = real\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = hooked\n"
        "sys.argv = ['ecrctl', 'repo', 'list']\n"
        "from ecrctl.cli.entry import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        # Python turns SIGINT into KeyboardInterrupt only where it is not ignored: a test run
        # from a background job inherits SIG_IGN, so the child resets it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr == "ecrctl: interrupted\n"


# --- credential precedence, side by side with the aws CLI --------------------------------


@pytest.fixture
def recorder(fake_server: Any) -> tuple[str, list[str]]:
    """An endpoint that answers every DescribeRepositories with no repositories, and the access
    key each request was signed with."""
    keys: list[str] = []

    def answer(request: Request) -> Reply:
        auth = request.headers.get("Authorization", "")
        keys.append(auth.split("Credential=", 1)[-1].split("/", 1)[0])
        return json_reply(200, {"repositories": []}, {"Content-Type": "application/x-amz-json-1.1"})

    return fake_server(answer).url, keys


def _aws() -> list[str]:
    found = shutil.which("aws")
    assert found, "the aws CLI is part of the test extra (pip install -e '.[test]')"
    return [found]


CASES = [
    # (environment keys?, AWS_PROFILE, --profile) -> the access key both tools must sign with
    (True, "prod", None, "AKIAENVIRONMENT0000"),
    (True, None, "prod", "AKIAPRODPROFILE0000"),
    (True, "dev", "prod", "AKIAPRODPROFILE0000"),
    (False, "prod", None, "AKIAPRODPROFILE0000"),
    (False, None, None, "AKIADEFAULTPROFILE0"),
]


@pytest.mark.parametrize(("env_keys", "aws_profile", "flag", "expected"), CASES)
def test_credential_precedence_matches_the_aws_cli(
    isolated_env: Path,
    recorder: tuple[str, list[str]],
    env_keys: bool,
    aws_profile: str | None,
    flag: str | None,
    expected: str,
) -> None:
    url, keys = recorder
    (isolated_env / "aws-credentials").write_text(
        "[default]\naws_access_key_id = AKIADEFAULTPROFILE0\naws_secret_access_key = d\n"
        "[dev]\naws_access_key_id = AKIADEVPROFILE00000\naws_secret_access_key = d\n"
        "[prod]\naws_access_key_id = AKIAPRODPROFILE0000\naws_secret_access_key = p\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    }
    if env_keys:
        env |= {"AWS_ACCESS_KEY_ID": "AKIAENVIRONMENT0000", "AWS_SECRET_ACCESS_KEY": "e"}
    if aws_profile:
        env["AWS_PROFILE"] = aws_profile
    profile = ["--profile", flag] if flag else []
    ours = subprocess.run(
        [*ecrctl_command(), "repo", "list", "--endpoint-url", url, *profile],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ours.returncode == 0, ours.stderr
    theirs = subprocess.run(
        [*_aws(), "ecr", "describe-repositories", "--endpoint-url", url, *profile],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert theirs.returncode == 0, theirs.stderr
    assert keys == [expected, expected]
