"""The offline evaluator against AWS's own documented examples, then edge cases.

The examples come from the ECR user guide: "Examples of lifecycle policies in Amazon ECR"
(repositories described as "Image A, Taglist [...], Pushed: N days ago" with the stated result)
and "How lifecycle policies work" (the evaluation rules).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.lifecycle import ImageRecord, evaluate, parse_policy
from ecrctl.core.lifecycle.evaluate import parse_at, pattern_regex

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def image(
    name: str,
    tags: list[str],
    days: float,
    *,
    pulled_days: float | None = None,
    storage: str = "standard",
    archived_days: float | None = None,
    activated_days: float | None = None,
) -> ImageRecord:
    def ago(value: float | None) -> datetime | None:
        return None if value is None else NOW - timedelta(days=value)

    pushed = ago(days)
    assert pushed is not None
    return ImageRecord(
        digest=f"sha256:{name}",
        tags=tuple(tags),
        pushed_at=pushed,
        last_pulled_at=ago(pulled_days),
        storage_class=storage,
        last_archived_at=ago(archived_days),
        last_activated_at=ago(activated_days),
    )


def rule(priority: int, selection: dict[str, Any], action: str = "expire") -> dict[str, Any]:
    act: dict[str, Any] = {"type": action}
    if action == "transition":
        act["targetStorageClass"] = "archive"
    return {
        "rulePriority": priority,
        "description": f"Rule {priority}",
        "selection": selection,
        "action": act,
    }


def policy_of(*rules: dict[str, Any]) -> Any:
    return parse_policy(json.dumps({"rules": list(rules)}, indent=4))


def outcome(policy: Any, images: list[ImageRecord], at: datetime = NOW) -> dict[str, str]:
    """Image name -> action ("keep" when untouched)."""
    result = evaluate(policy, images, at)
    names = {d.image.digest.split(":")[1]: d.action for d in result.affected}
    for d in result.kept:
        names[d.image.digest.split(":")[1]] = "keep"
    return names


def expired(policy: Any, images: list[ImageRecord], at: datetime = NOW) -> set[str]:
    return {name for name, action in outcome(policy, images, at).items() if action == "expire"}


# --- "Filtering on multiple rules" ------------------------------------------------------------

MULTIPLE_RULES_REPO = [
    image("A", ["beta-1", "prod-1"], 10),
    image("B", ["beta-2", "prod-2"], 9),
    image("C", ["beta-3"], 8),
]


def count_rule(priority: int, key: str, values: list[str], number: int) -> dict[str, Any]:
    return rule(
        priority,
        {
            "tagStatus": "tagged",
            key: values,
            "countType": "imageCountMoreThan",
            "countNumber": number,
        },
    )


@pytest.mark.parametrize(
    ("key", "prod", "beta"),
    [("tagPatternList", ["prod*"], ["beta*"]), ("tagPrefixList", ["prod"], ["beta"])],
)
def test_aws_multiple_rules_example_a_only_image_a_expires(
    key: str, prod: list[str], beta: list[str]
) -> None:
    # Rule 2 would mark A and B, but B was seen (kept) by rule 1, so it is skipped.
    policy = policy_of(count_rule(1, key, prod, 1), count_rule(2, key, beta, 1))
    assert expired(policy, MULTIPLE_RULES_REPO) == {"A"}


@pytest.mark.parametrize(
    ("key", "prod", "beta"),
    [("tagPatternList", ["prod*"], ["beta*"]), ("tagPrefixList", ["prod"], ["beta"])],
)
def test_aws_multiple_rules_example_b_images_a_and_b_expire(
    key: str, prod: list[str], beta: list[str]
) -> None:
    policy = policy_of(count_rule(1, key, beta, 1), count_rule(2, key, prod, 1))
    result = evaluate(policy, MULTIPLE_RULES_REPO, NOW)
    assert {d.image.digest for d in result.affected} == {"sha256:A", "sha256:B"}
    assert {d.rule_priority for d in result.affected} == {1}
    # Rule 2 sees nothing new: every prod image was already seen by rule 1.
    assert [(r.priority, r.acted) for r in result.rules] == [(1, 2), (2, 0)]


# --- "Filtering on multiple tags in a single rule" ----------------------------------------------


def test_aws_multiple_tags_example_a_needs_every_entry_matched() -> None:
    repo = [
        image("A", ["alpha-1"], 12),
        image("B", ["beta-1"], 11),
        image("C", ["alpha-2", "beta-2"], 10),
        image("D", ["alpha-3"], 4),
        image("E", ["beta-3"], 3),
        image("F", ["alpha-4", "beta-4"], 2),
    ]
    for key, values in (
        ("tagPatternList", ["alpha*", "beta*"]),
        ("tagPrefixList", ["alpha", "beta"]),
    ):
        policy = policy_of(
            rule(
                1,
                {
                    "tagStatus": "tagged",
                    key: values,
                    "countType": "sinceImagePushed",
                    "countNumber": 5,
                    "countUnit": "days",
                },
            )
        )
        result = evaluate(policy, repo, NOW)
        assert result.rules[0].matched == 2  # "It sees images C and F"
        assert expired(policy, repo) == {"C"}


def test_aws_multiple_tags_example_b_tags_are_not_exclusive() -> None:
    repo = [
        image("A", ["alpha-1", "beta-1", "gamma-1"], 10),
        image("B", ["alpha-2", "beta-2"], 9),
        image("C", ["alpha-3", "beta-3", "gamma-2"], 8),
    ]
    policy = policy_of(count_rule(1, "tagPatternList", ["alpha*", "beta*"], 1))
    assert expired(policy, repo) == {"A", "B"}


# --- "Filtering on all images" -------------------------------------------------------------------


def test_aws_all_images_example_a_keeps_only_the_newest() -> None:
    repo = [
        image("A", ["alpha-1"], 4),
        image("B", ["beta-1"], 3),
        image("C", [], 2),
        image("D", ["alpha-2"], 1),
    ]
    policy = policy_of(
        rule(1, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1})
    )
    assert outcome(policy, repo) == {"A": "expire", "B": "expire", "C": "expire", "D": "keep"}


def test_aws_all_images_example_b_combines_every_rule_type() -> None:
    # The guide lists D and E both as "Pushed: 1 day ago", E after D (the page lists images in
    # push order, and its result only holds if E is the younger): E is pushed a minute later.
    repo = [
        image("A", ["alpha-1", "beta-1"], 4),
        image("B", [], 3),
        image("C", ["alpha-2"], 2),
        image("D", ["git hash"], 1),
        image("E", [], 1 - 1 / 1440),
    ]
    policy = policy_of(
        count_rule(1, "tagPatternList", ["alpha*"], 1),
        rule(
            2,
            {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 1,
            },
        ),
        rule(3, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}),
    )
    result = evaluate(policy, repo, NOW)
    by_image = {d.image.digest[7:]: (d.rule_priority, d.action) for d in result.affected}
    assert by_image == {"A": (1, "expire"), "B": (2, "expire"), "D": (3, "expire")}
    kept = {d.image.digest[7:]: d.rule_priority for d in result.kept}
    assert kept == {"C": 1, "E": 2}  # C kept by rule 1, E seen by rule 2 (too young)


# --- "Filtering on image age / count", archive examples -----------------------------------------


def test_aws_filtering_on_image_age_prod_older_than_14_days() -> None:
    policy = policy_of(
        rule(
            1,
            {
                "tagStatus": "tagged",
                "tagPatternList": ["prod*"],
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 14,
            },
        )
    )
    repo = [
        image("old", ["prod-1"], 20),
        image("young", ["prod-2"], 13),
        image("other", ["dev-1"], 30),
        image("untagged", [], 30),
    ]
    assert outcome(policy, repo) == {
        "old": "expire",
        "young": "keep",
        "other": "keep",
        "untagged": "keep",
    }


def test_aws_filtering_on_image_count_keeps_one_untagged() -> None:
    policy = policy_of(
        rule(1, {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1})
    )
    repo = [image("u1", [], 3), image("u2", [], 2), image("u3", [], 1), image("t", ["v1"], 9)]
    assert expired(policy, repo) == {"u1", "u2"}


def test_aws_archive_examples_transition_then_expire_archived() -> None:
    policy = policy_of(
        rule(
            1,
            {
                "tagStatus": "any",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 30,
            },
            "transition",
        ),
        rule(
            2,
            {
                "tagStatus": "any",
                "storageClass": "archive",
                "countType": "sinceImageTransitioned",
                "countUnit": "days",
                "countNumber": 365,
            },
        ),
    )
    repo = [
        image("fresh", ["v3"], 5),
        image("stale", ["v2"], 40),
        image("archived-long", ["v1"], 500, storage="archive", archived_days=400),
        image("archived-recent", ["v0"], 500, storage="archive", archived_days=100),
    ]
    assert outcome(policy, repo) == {
        "fresh": "keep",
        "stale": "transition",
        "archived-long": "expire",
        "archived-recent": "keep",
    }


def test_since_image_pulled_uses_pull_time_then_push_time_then_restore_time() -> None:
    policy = policy_of(
        rule(
            1,
            {
                "tagStatus": "any",
                "countType": "sinceImagePulled",
                "countUnit": "days",
                "countNumber": 30,
            },
            "transition",
        )
    )
    repo = [
        image("pulled-recently", ["a"], 60, pulled_days=5),
        image("never-pulled-old", ["b"], 60),
        image("never-pulled-new", ["c"], 10),
        # Restored 10 days ago, last pulled before the restore: the restore time counts.
        image("restored", ["d"], 120, pulled_days=90, activated_days=10),
    ]
    assert outcome(policy, repo) == {
        "pulled-recently": "keep",
        "never-pulled-old": "transition",
        "never-pulled-new": "keep",
        "restored": "keep",
    }


# --- edge cases ---------------------------------------------------------------------------------


def test_rules_only_select_their_storage_class() -> None:
    policy = policy_of(
        rule(1, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1})
    )
    repo = [
        image("archived", ["a"], 1, storage="archive", archived_days=1),
        image("old", ["b"], 10),
        image("new", ["c"], 2),
    ]
    assert outcome(policy, repo) == {"archived": "keep", "old": "expire", "new": "keep"}


def test_ties_in_push_time_are_broken_by_digest_and_stable() -> None:
    policy = policy_of(
        rule(1, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 2})
    )
    repo = [image(name, [name.lower()], 3) for name in ("a1", "c3", "b2", "d4")]
    first = expired(policy, repo)
    assert first == {"a1", "b2"}  # the two greater digests count as the younger ones
    assert expired(policy, list(reversed(repo))) == first


def test_image_with_several_tags_needs_one_tag_per_entry() -> None:
    policy = policy_of(count_rule(1, "tagPatternList", ["release-*", "*-lts"], 1))
    repo = [
        image("both-one-tag", ["release-1-lts"], 5),  # one tag matches both entries
        image("both-two-tags", ["release-2", "v2-lts"], 4),
        image("only-release", ["release-3"], 3),
        image("newest-both", ["release-4", "4-lts", "latest"], 1),
    ]
    assert outcome(policy, repo) == {
        "both-one-tag": "expire",
        "both-two-tags": "expire",
        "only-release": "keep",
        "newest-both": "keep",
    }


def test_untagged_rule_never_selects_tagged_images() -> None:
    policy = policy_of(
        rule(
            1,
            {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 7,
            },
        )
    )
    repo = [image("tagged-old", ["x"], 100), image("untagged-old", [], 8), image("u-new", [], 6)]
    assert expired(policy, repo) == {"untagged-old"}


def test_any_rule_counts_images_protected_by_higher_rules_but_never_acts_on_them() -> None:
    policy = policy_of(
        count_rule(1, "tagPrefixList", ["prod"], 10),
        rule(2, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 2}),
    )
    repo = [
        image("prod-old", ["prod-1"], 30),
        image("prod-new", ["prod-2"], 1),
        image("dev-new", ["dev-3"], 2),
        image("dev-old", ["dev-1"], 20),
    ]
    # The any rule keeps the two youngest of all four (prod-new, dev-new) and marks the rest;
    # prod-old is protected by rule 1 (which kept it), so only dev-old expires.
    assert expired(policy, repo) == {"dev-old"}


def test_a_future_date_expires_more() -> None:
    policy = policy_of(
        rule(
            1,
            {
                "tagStatus": "any",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 30,
            },
        )
    )
    repo = [image("25d", ["a"], 25), image("29d", ["b"], 29.9), image("40d", ["c"], 40)]
    assert expired(policy, repo) == {"40d"}
    assert expired(policy, repo, NOW + timedelta(days=7)) == {"40d", "29d", "25d"}
    assert expired(policy, repo, NOW + timedelta(days=1)) == {"40d", "29d"}


def test_exactly_n_days_old_is_not_older_than_n_days() -> None:
    policy = policy_of(
        rule(
            1,
            {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 1,
            },
        )
    )
    assert expired(policy, [image("exact", [], 1), image("older", [], 1.01)]) == {"older"}


def test_restored_image_counts_from_its_restore_time() -> None:
    policy = policy_of(
        rule(1, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1})
    )
    repo = [image("restored", ["a"], 100, activated_days=0.5), image("recent", ["b"], 1)]
    assert expired(policy, repo) == {"recent"}


@pytest.mark.parametrize(
    ("pattern", "tag", "matches"),
    [
        ("prod*", "production-team1", True),
        ("prod*", "repo-production", False),
        ("*prod*", "repo-production", True),
        ("prod", "prod1", False),
        ("prod", "prod", True),
        ("*test*1*2*3", "my-test-1-2-3", True),
        ("v*.*.*", "v1.2.3", True),
        ("v*.*.*", "v1.2", False),
        ("a.b", "axb", False),
    ],
)
def test_pattern_wildcards(pattern: str, tag: str, matches: bool) -> None:
    assert (pattern_regex(pattern).fullmatch(tag) is not None) is matches


def test_every_image_appears_once_affected_or_kept() -> None:
    policy = policy_of(
        count_rule(1, "tagPatternList", ["v*"], 2),
        rule(2, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 3}),
    )
    repo = [image(f"i{n}", [f"v{n}"] if n % 2 else [], n) for n in range(1, 12)]
    result = evaluate(policy, repo, NOW)
    digests = [d.image.digest for d in result.affected + result.kept]
    assert sorted(digests) == sorted(i.digest for i in repo)


def test_separate_runs_of_equal_push_times_each_ordered_by_digest() -> None:
    policy = policy_of(
        rule(1, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 3})
    )
    repo = [
        image("b", ["b"], 1),
        image("a", ["a"], 1),
        image("m", ["m"], 2),
        image("z", ["z"], 3),
        image("y", ["y"], 3),
    ]
    result = evaluate(policy, repo, NOW)
    kept = [d.image.digest[7:] for d in result.kept]
    assert kept == ["b", "a", "m"]  # youngest first; b before a at the same instant
    assert [d.image.digest[7:] for d in result.affected] == ["y", "z"]  # oldest first


def test_tagged_rule_for_standard_images_never_selects_archived_ones() -> None:
    policy = policy_of(count_rule(1, "tagPatternList", ["v*"], 1))
    only_archived = [
        image("a1", ["v1"], 300, storage="archive", archived_days=200),
        image("a2", ["v2"], 200, storage="archive", archived_days=100),
    ]
    assert outcome(policy, only_archived) == {"a1": "keep", "a2": "keep"}
    assert evaluate(policy, only_archived, NOW).rules[0].matched == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, NOW),
        ("now", NOW),
        ("+7d", NOW + timedelta(days=7)),
        ("2w", NOW + timedelta(weeks=2)),
        ("+12h", NOW + timedelta(hours=12)),
        ("2026-07-01", datetime(2026, 7, 1, tzinfo=UTC)),
        ("2026-07-01T09:30:00Z", datetime(2026, 7, 1, 9, 30, tzinfo=UTC)),
        ("2026-07-01T11:30:00+02:00", datetime(2026, 7, 1, 9, 30, tzinfo=UTC)),
    ],
)
def test_at_accepts_dates_times_and_offsets_from_now(text: str | None, expected: datetime) -> None:
    assert parse_at(text, NOW) == expected


@pytest.mark.parametrize("text", ["2026-05-01", "yesterday", "-3d", "+3m"])
def test_at_refuses_the_past_and_nonsense(text: str) -> None:
    with pytest.raises(InvalidInput, match="invalid --at"):
        parse_at(text, NOW)
