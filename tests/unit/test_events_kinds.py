"""Every ECR event kind EventBridge documents: --event all, failed actions, --result, samples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecrctl.core.events.inbound import summary
from ecrctl.core.events.pattern import (
    EVERY_KIND,
    build_pattern,
    describe_pattern,
    parse_kinds,
)
from ecrctl.core.events.samples import documented, sample
from ecrctl.core.exceptions import InvalidInput
from tests.event_pattern import matches


def test_events_kinds_detail_types_are_the_ones_aws_documents() -> None:
    # The EventBridge event reference for Amazon ECR lists these detail-types.
    assert {documented(kind)["detail-type"] for kind in EVERY_KIND} == {
        "ECR Image Action",
        "ECR Image Scan",
        "ECR Replication Action",
        "ECR Pull Through Cache Action",
        "ECR Referrer Action",
        "ECR Scan Resource Change",
    }
    assert all(documented(kind)["source"] == "aws.ecr" for kind in EVERY_KIND)


@pytest.mark.parametrize("kind", EVERY_KIND)
def test_events_kinds_each_pattern_catches_its_own_event_only(kind: str) -> None:
    pattern = build_pattern((kind,))
    caught = {other for other in EVERY_KIND if matches(pattern, documented(other))}
    assert caught == {kind}
    assert describe_pattern(pattern) == ((kind,), ())


def test_events_kinds_all_is_the_consoles_all_events() -> None:
    assert parse_kinds(["all"]) == ("all",)
    assert parse_kinds(["ALL"], "any") == ("all",)
    pattern = build_pattern(("all",))
    assert pattern == {"source": ["aws.ecr"]}
    assert all(matches(pattern, documented(kind)) for kind in EVERY_KIND)
    assert not matches(pattern, {**documented("push"), "source": "aws.ec2"})
    narrowed = build_pattern(("all",), ["team/app"])
    assert narrowed == {"source": ["aws.ecr"], "detail": {"repository-name": ["team/app"]}}
    assert matches(narrowed, sample("replication", repository="team/app"))
    assert not matches(narrowed, sample("pull-through", repository="other"))
    assert describe_pattern(narrowed) == (("all",), ("team/app",))


def test_events_kinds_result_failed_and_any() -> None:
    assert parse_kinds(["push"], "failed") == ("push-failed",)
    assert parse_kinds(["push,delete"], "any") == (
        "push",
        "push-failed",
        "delete",
        "delete-failed",
    )
    assert parse_kinds(None, "any") == ("push", "push-failed", "delete", "delete-failed", "scan")
    assert parse_kinds(["replication", "pull-through"], "FAILED") == (
        "replication-failed",
        "pull-through",
    )
    pattern = build_pattern(parse_kinds(["push"], "any"))
    assert pattern == {
        "source": ["aws.ecr"],
        "detail-type": ["ECR Image Action"],
        "detail": {"action-type": ["PUSH"], "result": ["SUCCESS", "FAILED"]},
    }
    assert matches(pattern, documented("push-failed"))
    assert not matches(pattern, documented("delete"))
    mixed = build_pattern(("push", "push-failed", "delete"))
    assert matches(mixed, documented("delete")) and not matches(mixed, documented("delete-failed"))
    assert describe_pattern(mixed) == (("push", "push-failed", "delete"), ())


@pytest.mark.parametrize(
    ("events", "result", "message"),
    [
        (["all,push"], None, "--event all already takes every ECR event"),
        (["all"], "failed", "--event all takes every result"),
        (["pushed"], None, "invalid --event 'pushed': use all, or push, push-failed"),
        (["push"], "sometimes", "invalid --result 'sometimes'"),
    ],
)
def test_events_kinds_bad_choices_are_refused(
    events: list[str], result: str | None, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_kinds(events, result)


def test_events_kinds_scan_resource_change_narrows_on_its_repository_list() -> None:
    pattern = build_pattern(("scan-resource-change",), ["team/app"])
    assert matches(pattern, sample("scan-resource-change", repository="team/app"))
    assert not matches(pattern, sample("scan-resource-change", repository="other"))


def test_events_kinds_samples_and_summaries() -> None:
    event = sample("pull-through", repository="docker-hub/nginx", region="eu-west-1")
    assert event["resources"] == ["arn:aws:ecr:eu-west-1:123456789012:repository/docker-hub/nginx"]
    assert summary(event)[1:5] == [
        "ECR Pull Through Cache Action",
        "docker-hub/nginx",
        "sync SUCCESS from public.ecr.aws",
        "3.17.2",
    ]
    assert summary(documented("replication-failed"))[3] == "REPLICATE FAILED"
    assert summary(documented("push-failed"))[3] == "PUSH FAILED"
    assert summary(documented("scan-resource-change"))[2:4] == [
        "repository-1",
        "SCAN_FREQUENCY_CHANGE ENHANCED",
    ]


KINDS_AND_ALL = st.sets(st.sampled_from(EVERY_KIND), min_size=1)
REPOS = ["team/app", "team/web", "other"]


@given(kinds=KINDS_AND_ALL, repos=st.sets(st.sampled_from(REPOS)), kind=st.sampled_from(EVERY_KIND))
def test_events_kinds_patterns_match_exactly_and_round_trip(
    kinds: set[str], repos: set[str], kind: str
) -> None:
    pattern = build_pattern(kinds, repos)
    for repo in REPOS:
        expected = kind in kinds and (not repos or repo in repos)
        assert matches(pattern, sample(kind, repository=repo)) is expected
    assert describe_pattern(pattern) == (
        tuple(k for k in EVERY_KIND if k in kinds),
        tuple(sorted(repos)),
    )
