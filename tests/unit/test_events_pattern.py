"""The EventBridge matcher against AWS's documented pattern examples, and ecrctl's ECR pattern."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecrctl.core.events.inbound import summary
from ecrctl.core.events.pattern import build_pattern, describe_pattern, parse_kinds
from ecrctl.core.events.samples import documented, sample
from ecrctl.core.exceptions import InvalidInput
from tests.event_pattern import matches

# The EC2 state-change event of the EventBridge user guide ("Amazon EventBridge events").
EC2_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}
# The content-filtering examples' event ("Content filtering in Amazon EventBridge patterns").
FILTER_EVENT: dict[str, Any] = {
    "time": "2017-10-02T18:43:48Z",
    "source": "aws.s3",
    "detail": {
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "state": "running",
        "sourceIPAddress": "10.0.0.255",
        "FileName": "photo.PNG",
        "eventSource": "s3.amazonaws.com",
        "responseElements": None,
        "empty": "",
        "tags": ["a", "b"],
    },
}


@pytest.mark.parametrize(
    ("pattern", "event", "expected"),
    [
        ({"source": ["aws.ec2"]}, EC2_EVENT, True),
        ({"source": ["aws.s3"]}, EC2_EVENT, False),
        ({"detail": {"state": ["running", "terminated"]}}, EC2_EVENT, True),
        ({"detail": {"state": ["pending"]}}, EC2_EVENT, False),
        # An event array matches when it shares a value with the pattern's list.
        (
            {
                "resources": [
                    "arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0",
                    "arn:aws:ec2:us-west-1:123456789012:instance/other",
                ]
            },
            EC2_EVENT,
            True,
        ),
        ({"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/other"]}, EC2_EVENT, False),
        ({"time": [{"prefix": "2017-10-02"}]}, FILTER_EVENT, True),
        ({"time": [{"prefix": "2017-10-03"}]}, FILTER_EVENT, False),
        ({"time": [{"prefix": {"equals-ignore-case": "2017-10-02t"}}]}, FILTER_EVENT, True),
        ({"detail": {"FileName": [{"suffix": ".PNG"}]}}, FILTER_EVENT, True),
        ({"detail": {"FileName": [{"suffix": ".png"}]}}, FILTER_EVENT, False),
        (
            {"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}},
            FILTER_EVENT,
            True,
        ),
        ({"detail": {"state": [{"anything-but": "initializing"}]}}, FILTER_EVENT, True),
        ({"detail": {"state": [{"anything-but": ["stopped", "running"]}]}}, FILTER_EVENT, False),
        ({"detail": {"state": [{"anything-but": {"prefix": "run"}}]}}, FILTER_EVENT, False),
        ({"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}, FILTER_EVENT, True),
        (
            {
                "detail": {
                    "c-count": [{"numeric": [">", 0, "<=", 5]}],
                    "d-count": [{"numeric": ["<", 10]}],
                    "x-limit": [{"numeric": ["=", 3.018e2]}],
                }
            },
            FILTER_EVENT,
            True,
        ),
        ({"detail": {"c-count": [{"numeric": [">", 5]}]}}, FILTER_EVENT, False),
        ({"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}}, FILTER_EVENT, True),
        ({"detail": {"sourceIPAddress": [{"cidr": "10.0.1.0/24"}]}}, FILTER_EVENT, False),
        ({"detail": {"state": [{"exists": True}]}}, FILTER_EVENT, True),
        ({"detail": {"state": [{"exists": False}]}}, FILTER_EVENT, False),
        ({"detail": {"no-such": [{"exists": False}]}}, FILTER_EVENT, True),
        ({"detail": {"no-such": [{"exists": True}]}}, FILTER_EVENT, False),
        ({"source": [{"equals-ignore-case": "AWS.S3"}]}, FILTER_EVENT, True),
        ({"detail": {"eventSource": [{"wildcard": "*.amazonaws.com"}]}}, FILTER_EVENT, True),
        ({"detail": {"eventSource": [{"wildcard": "*.example.com"}]}}, FILTER_EVENT, False),
        ({"detail": {"responseElements": [None]}}, FILTER_EVENT, True),
        ({"detail": {"empty": [""]}}, FILTER_EVENT, True),
        ({"detail": {"empty": [None]}}, FILTER_EVENT, False),
        ({"detail": {"tags": ["b", "z"]}}, FILTER_EVENT, True),
        # $or: any branch; every other field still has to match.
        (
            {
                "detail": {
                    "$or": [
                        {"c-count": [{"numeric": [">", 10]}]},
                        {"d-count": [{"numeric": ["<", 10]}]},
                    ]
                }
            },
            FILTER_EVENT,
            True,
        ),
        (
            {
                "source": ["aws.ec2"],
                "$or": [{"detail": {"state": ["running"]}}, {"time": [{"prefix": "2017"}]}],
            },
            FILTER_EVENT,
            False,
        ),
        ({"detail": {"state": ["running"], "c-count": [6]}}, FILTER_EVENT, False),
        ({"detail": {"c-count": [5.0]}}, FILTER_EVENT, True),
    ],
)
def test_events_pattern_matcher_follows_eventbridge(
    pattern: dict[str, Any], event: dict[str, Any], expected: bool
) -> None:
    assert matches(pattern, event) is expected


def test_events_pattern_for_all_kinds_matches_each_sample_and_not_others() -> None:
    pattern = build_pattern(("push", "delete", "scan"))
    for kind in ("push", "delete", "scan"):
        assert matches(pattern, documented(kind)), kind
    failed = documented("push")
    failed["detail"]["result"] = "FAILURE"
    assert not matches(pattern, failed)
    other_source = documented("push")
    other_source["source"] = "aws.s3"
    assert not matches(pattern, other_source)
    assert not matches(pattern, EC2_EVENT)
    pull_through = documented("push")
    pull_through["detail-type"] = "ECR Pull Through Cache Action"
    assert not matches(pattern, pull_through)


@pytest.mark.parametrize(
    ("kinds", "hits"),
    [
        (("push",), {"push"}),
        (("delete",), {"delete"}),
        (("scan",), {"scan"}),
        (("push", "scan"), {"push", "scan"}),
        (("delete", "scan"), {"delete", "scan"}),
    ],
)
def test_events_pattern_selects_only_the_chosen_kinds(
    kinds: tuple[str, ...], hits: set[str]
) -> None:
    pattern = build_pattern(kinds)
    got = {kind for kind in ("push", "delete", "scan") if matches(pattern, documented(kind))}
    assert got == hits


def test_events_pattern_narrowed_to_repositories() -> None:
    pattern = build_pattern(("push", "scan"), ["team/app", "team/web"])
    assert matches(pattern, sample("push", repository="team/app"))
    assert matches(pattern, sample("scan", repository="team/web"))
    assert not matches(pattern, sample("push", repository="team/other"))
    assert not matches(pattern, sample("scan", repository="other"))


def test_events_pattern_shape_is_stable_and_round_trips() -> None:
    pattern = build_pattern(["scan", "push"], ["b", "a"])
    assert pattern == {
        "source": ["aws.ecr"],
        "$or": [
            {
                "detail-type": ["ECR Image Action"],
                "detail": {
                    "action-type": ["PUSH"],
                    "result": ["SUCCESS"],
                    "repository-name": ["a", "b"],
                },
            },
            {"detail-type": ["ECR Image Scan"], "detail": {"repository-name": ["a", "b"]}},
        ],
    }
    assert describe_pattern(json.loads(json.dumps(pattern))) == (("push", "scan"), ("a", "b"))
    assert describe_pattern({"source": ["aws.ecr"]}) == (("all",), ())
    assert describe_pattern({"source": ["aws.ecr"], "detail-type": ["ECR Other"]}) is None
    edited = build_pattern(["push"])
    edited["detail"]["result"] = ["SUCCESS", "FAILURE"]
    assert describe_pattern(edited) is None


def test_events_pattern_parse_kinds() -> None:
    assert parse_kinds(None) == ("push", "delete", "scan")
    assert parse_kinds(["scan,push"]) == ("push", "scan")
    assert parse_kinds(["delete", " SCAN "]) == ("delete", "scan")
    with pytest.raises(InvalidInput, match="invalid --event 'pull'"):
        parse_kinds(["push,pull"])


def test_events_samples_are_fresh_and_summarised() -> None:
    one, two = sample("push"), sample("push")
    assert one["id"] != two["id"]
    assert one["detail"] == documented("push")["detail"]
    scan = sample("scan", repository="team/app", account="210987654321", region="eu-west-1")
    assert scan["resources"] == ["arn:aws:ecr:eu-west-1:210987654321:repository/team/app"]
    line = summary(documented("scan"))
    assert line[1:5] == [
        "ECR Image Scan",
        "my-repository-name",
        "scan COMPLETE CRITICAL=10,MEDIUM=9",
        "-",
    ]
    assert summary(documented("delete"))[3] == "DELETE SUCCESS"
    with pytest.raises(InvalidInput):
        sample("pull")


REPOS = ["team/app", "team/web", "other"]


@given(
    kinds=st.sets(st.sampled_from(["push", "delete", "scan"]), min_size=1),
    repos=st.sets(st.sampled_from(REPOS)),
    kind=st.sampled_from(["push", "delete", "scan"]),
    repo=st.sampled_from(REPOS),
)
def test_events_pattern_matches_exactly_the_chosen_events(
    kinds: set[str], repos: set[str], kind: str, repo: str
) -> None:
    pattern = build_pattern(kinds, repos)
    expected = kind in kinds and (not repos or repo in repos)
    assert matches(pattern, sample(kind, repository=repo)) is expected
    assert describe_pattern(pattern) == (
        tuple(k for k in ("push", "delete", "scan") if k in kinds),
        tuple(sorted(repos)),
    )
