"""Extreme numbers, durations and URLs, through the installed ecrctl: exit 2 and one clear line,
never "unexpected error", never pydantic's wording, never a password echoed back."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e

LONG_LABEL = "a" * 64
CASES = [
    (["lifecycle", "preview", "team/app", "--at", "+99999999999d"], "past the year 9999"),
    (
        ["lifecycle", "put", "team/app", "--expire-untagged-after", "1e400", "--yes"],
        "'1e400' is not a valid int.",
    ),
    (
        ["lifecycle", "preview", "team/app", "--remote", "--timeout", "-1"],
        "-1.0 is not in the range x>=1",
    ),
    (["lifecycle", "preview", "team/app", "--remote", "--timeout", "nan"], "not a finite number"),
    (["lifecycle", "preview", "team/app", "--remote", "--timeout", "1e400"], "inf is not a finite"),
    (["sandbox", "--port", "99999"], "99999 is not in the range 1<=x<=65535"),
    (["tags", "team/app", "--limit", "0"], "0 is not in the range x>=1"),
    (["tags", "team/app", "--sort", "size"], "'size' is not one of 'version', 'pushed', 'name'"),
    (["--endpoint-url", "https://a_b", "repo", "list"], "'a_b' is not a host name label"),
    (["repo", "list", "--endpoint-url", "http://x..y:5000"], "empty label"),
    (
        [
            "events",
            "test",
            "--webhook-url",
            f"http://{LONG_LABEL}.example/",
            "--username",
            "u",
            "--password-stdin",
        ],
        "at most 63",
    ),
    (
        ["events", "test", "--webhook-url", "http://a..b/", "--username", "u", "--password-stdin"],
        "empty label",
    ),
    (
        [
            "events",
            "test",
            "--webhook-url",
            "http://127.0.0.1:9/",
            "--username",
            "u",
            "--password-stdin",
            "--timeout",
            "nan",
        ],
        "not a finite number",
    ),
    (
        [
            "events",
            "setup",
            "--webhook-url",
            "https://a..b/x",
            "--username",
            "u",
            "--password-stdin",
        ],
        "empty label",
    ),
]


@pytest.mark.parametrize(("argv", "says"), CASES, ids=[" ".join(c[0])[:60] for c in CASES])
def test_bad_values_are_exit_2_with_one_clear_line(
    run_ecrctl: Any, argv: list[str], says: str
) -> None:
    done = run_ecrctl(*argv, input="pw\n")
    assert done.exit_code == 2, done.stderr
    assert says in done.stderr
    for leak in ("unexpected error", "Traceback", "Input should", "Value error"):
        assert leak not in done.stderr


def test_a_password_given_as_an_argument_is_not_echoed(run_ecrctl: Any) -> None:
    done = run_ecrctl(
        "events",
        "test",
        "--webhook-url",
        "http://127.0.0.1:9/",
        "--username",
        "u",
        "hunter2-secret",
    )
    assert done.exit_code == 2
    assert "hunter2-secret" not in done.stderr + done.stdout
    assert "not shown" in done.stderr
