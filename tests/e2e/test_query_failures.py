"""``--query`` expressions that compile but fail on the document they meet: exit 2 with JMESPath's
message (as ``aws --query`` reports it), never "unexpected error" and never the document itself.
The installed ecrctl, against the moto server where AWS is asked.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def one_error(done: Any) -> str:
    assert done.exit_code == 2, (done.stdout, done.stderr)
    assert done.stdout == ""  # nothing half-printed
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ecrctl: "), done.stderr
    assert "unexpected" not in lines[0] and "Traceback" not in done.stderr
    return lines[0]


FAILING = {
    "abs(@)": (
        "ecrctl: --query 'abs(@)' failed: In function abs(), invalid type for value, "
        """expected one of: ['number'], received: "object\""""
    ),
    "length(`1`)": (
        "ecrctl: --query 'length(`1`)' failed: In function length(), invalid type for value, "
        """expected one of: ['string', 'array', 'object'], received: "number\""""
    ),
    "sort_by(@, &foo)": None,
    "no_such_function(@)": "ecrctl: --query 'no_such_function(@)' failed: Unknown function",
    "abs(@, @)": "ecrctl: --query 'abs(@, @)' failed: Expected 1 argument for function abs()",
    "to_number('1e400')": "the result has a number JSON cannot carry (Infinity)",
}


@pytest.mark.parametrize("output", ["json", "text", "table"])
@pytest.mark.parametrize(("query", "expected"), FAILING.items(), ids=FAILING.keys())
def test_a_query_failing_at_run_time_is_exit_2_with_jmespaths_message(
    run_ecrctl: Any, query: str, expected: str | None, output: str
) -> None:
    done = run_ecrctl("-o", output, "--query", query, "events", "sample", "push")
    line = one_error(done)
    if expected is not None:
        assert line.startswith(expected) or expected in line, line
    assert "my-repository-name" not in line  # the event itself is not dumped


def test_a_query_over_aws_results_names_the_type_not_the_data(
    run_ecrctl: Any, server_ecr: Any
) -> None:
    server_ecr.create_repository(repositoryName="team/secret-project")
    ok = run_ecrctl("-o", "json", "--query", "length(@)", "repo", "list")
    assert (ok.exit_code, ok.stdout) == (0, "1\n"), ok.stderr
    done = run_ecrctl("-o", "json", "--query", "[0].abs(name)", "repo", "list")
    line = one_error(done)
    assert line.endswith("expected one of: ['number'], received: \"string\""), line
    assert "secret-project" not in line


def test_a_query_nested_too_deeply_is_exit_2(run_ecrctl: Any) -> None:
    line = one_error(run_ecrctl("--query", "[" * 5000, "events", "sample", "push"))
    assert "nested too deeply" in line
