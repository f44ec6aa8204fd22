"""Every read is bounded, and hostile input is exit 2 with a clear message, never an
"unexpected error": endless files and pipes, deep JSON, huge integers, many problems, URLs."""

from __future__ import annotations

import io
import json
import subprocess
from typing import Any

import pytest

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.inputs import check_endpoint_url, check_host_name, read_at_most
from ecrctl.core.lifecycle.policytext import MAX_LISTED_PROBLEMS
from ecrctl.core.lifecycle.validate import check_policy
from tests.conftest import ecrctl_command

RULE = {
    "rulePriority": 1,
    "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 5},
    "action": {"type": "expire"},
}


def policy_with(**selection: Any) -> str:
    rule = {**RULE, "selection": {**RULE["selection"], **selection}}
    return json.dumps({"rules": [rule]}, indent=2)


def test_lifecycle_validate_of_dev_zero_stops_at_the_limit() -> None:
    """Run as a user would: the file never ends, the command does, with exit 2."""
    done = subprocess.run(
        [*ecrctl_command(), "lifecycle", "validate", "/dev/zero"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "ecrctl: /dev/zero: more than 30,720 characters; "
        "ECR takes a lifecycle policy of at most 30,720 (nothing was sent)\n"
    )


def test_a_large_policy_on_stdin_is_refused_before_parsing(cli: Any) -> None:
    huge = json.dumps({"rules": [RULE] * 200_000})  # about 30 MB
    done = cli("lifecycle", "validate", "-", input=huge)
    assert done.exit_code == 2
    assert done.stderr.startswith("ecrctl: <stdin>: more than 30,720 characters")
    assert len(done.stderr.splitlines()) == 1


def test_check_policy_checks_the_size_first() -> None:
    text = json.dumps({"rules": [{"bad": n} for n in range(5_000)]})
    assert len(text) > 30_720
    policy, problems = check_policy(text)
    assert policy is None
    assert [p.message for p in problems] == [
        f"the policy text is {len(text):,} characters; ECR takes 100-30,720 (not checked further)"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000, "more than 30,720 characters"),  # too deep and too long
        ('{"rules": ' + "[" * 10_000 + "]" * 10_000 + "}", "invalid JSON: nested too deeply"),
        (
            policy_with(countNumber=5).replace(": 5", ": " + "9" * 5_000),
            "a number of more than 4,300 digits",
        ),
    ],
    ids=["100k-deep", "10k-deep", "5000-digits"],
)
def test_deep_json_and_huge_numbers_are_exit_2(cli: Any, text: str, message: str) -> None:
    done = cli("lifecycle", "validate", "-", input=text)
    assert done.exit_code == 2, done.stderr
    assert message in done.stdout + done.stderr  # the problem rows are validate's output
    assert "unexpected error" not in done.stdout + done.stderr


@pytest.mark.parametrize("field", ["countNumber", "rulePriority"])
def test_integers_ecr_cannot_hold_are_problems_shown_short(field: str) -> None:
    big = int("7" * 4_000)  # converts, but is no 32-bit integer
    if field == "countNumber":
        text = policy_with(countNumber=big)
    else:
        text = json.dumps({"rules": [{**RULE, "rulePriority": big}]})
    policy, problems = check_policy(text)
    assert policy is None
    (problem,) = problems
    assert problem.message == (
        "must be a positive integer up to 2,147,483,647, not an integer of 4,000 digits"
    )


def test_the_problem_list_is_capped_with_a_count_of_the_rest(cli: Any) -> None:
    text = json.dumps({"rules": [1] * 10_000})  # 30,000 characters, 10,001 problems
    policy, problems = check_policy(text)
    assert policy is None
    assert len(problems) == MAX_LISTED_PROBLEMS + 1
    assert problems[-1].message == "and 9,901 more problems, not listed (10,001 in all)"
    done = cli("-o", "text", "lifecycle", "validate", "-", input=text)
    assert done.exit_code == 2
    assert len(done.stdout.splitlines()) == MAX_LISTED_PROBLEMS + 1


def test_password_stdin_reads_at_most_4096_characters(cli: Any) -> None:
    done = cli(
        "events",
        "setup",
        "--webhook-url",
        "https://hooks.example.com/ecr",
        "--username",
        "u",
        "--password-stdin",
        input="y\n" * 100_000,  # `yes | ecrctl events setup ... --password-stdin`
    )
    assert done.exit_code == 2
    assert done.stderr == (
        "ecrctl: --password-stdin: more than 4,096 characters; a webhook password is at most 512\n"
    )


def test_read_at_most_reads_no_more_than_the_limit_plus_one() -> None:
    stream = io.StringIO("abcdef")
    assert read_at_most(io.StringIO("abc"), 3, "x") == "abc"
    with pytest.raises(InvalidInput, match=r"^x: more than 3 characters$"):
        read_at_most(stream, 3, "x")
    assert stream.read() == "ef"  # four characters taken, not the whole stream


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5000",
        "https://ecr.eu-west-1.amazonaws.com",
        "http://[::1]:4566/",
        "http://localhost",
    ],
)
def test_endpoint_urls_botocore_accepts_pass(url: str) -> None:
    assert check_endpoint_url(url) == url


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://a_b", "'a_b' is not a host name label"),
        ("https://a..b", "empty label"),
        (f"https://{'a' * 64}.example.com", "a label of 64 characters"),
        ("https://-a.example.com", "is not a host name label"),
        ("ftp://example.com", "http:// or https://"),
        ("example.com", "http:// or https://"),
        ("https://", "the host name is empty"),
        ("https://example.com:99999", "Port out of range"),
        ("https://example.com:x", "Port could not be cast"),
        ("https://example.com:0", "1-65535"),
        ("https://[zz::1]", "IPv6 address"),
        ("https://user:pw@example.com", "user name or password"),
    ],
)
def test_endpoint_urls_botocore_would_choke_on_are_exit_2(url: str, why: str) -> None:
    with pytest.raises(InvalidInput, match=r"^--endpoint-url") as raised:
        check_endpoint_url(url)
    assert why in str(raised.value)


def test_host_names_up_to_the_dns_limits() -> None:
    assert check_host_name(".".join(["a" * 63] * 3)) is None
    assert check_host_name("example.com.") is None  # fully qualified
    assert "at most 253" in (check_host_name(".".join(["a" * 63] * 5)) or "")
