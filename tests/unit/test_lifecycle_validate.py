"""The validator: AWS's documented rules, every problem listed, each located by rule and field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecrctl.core.lifecycle import InvalidPolicy, check_policy, parse_policy


def rule(
    priority: Any = 1, action: dict[str, Any] | None = None, **selection: Any
) -> dict[str, Any]:
    sel = {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 5}
    sel.update(selection)
    sel = {k: v for k, v in sel.items() if v is not None}
    return {"rulePriority": priority, "selection": sel, "action": action or {"type": "expire"}}


def problems(*rules: dict[str, Any], **extra: Any) -> list[tuple[int | None, str | None, str]]:
    text = json.dumps({"rules": list(rules), **extra}, indent=2)
    policy, found = check_policy(text)
    assert (policy is None) == bool(found)
    return [(p.priority, p.field, p.message) for p in found]


def fields(*rules: dict[str, Any], **extra: Any) -> list[tuple[int | None, str | None]]:
    return [(priority, field) for priority, field, _ in problems(*rules, **extra)]


AWS_EXAMPLES = [
    # "Filtering on last pulled time" and "Combining archive and expire rules"
    {
        "rules": [
            {
                "rulePriority": 1,
                "description": "Archive images older than 30 days",
                "selection": {
                    "tagStatus": "any",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 30,
                },
                "action": {"type": "transition", "targetStorageClass": "archive"},
            },
            {
                "rulePriority": 2,
                "description": "Expire images archived for more than 365 days",
                "selection": {
                    "tagStatus": "any",
                    "storageClass": "archive",
                    "countType": "sinceImageTransitioned",
                    "countUnit": "days",
                    "countNumber": 365,
                },
                "action": {"type": "expire"},
            },
        ]
    },
    {
        "rules": [
            {
                "rulePriority": 1,
                "description": "Archive images not pulled in 90 days",
                "selection": {
                    "tagStatus": "any",
                    "countType": "sinceImagePulled",
                    "countUnit": "days",
                    "countNumber": 90,
                },
                "action": {"type": "transition", "targetStorageClass": "archive"},
            }
        ]
    },
    {
        "rules": [
            {
                "rulePriority": 1,
                "description": "Expire images older than 14 days",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPatternList": ["prod*"],
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 14,
                },
                "action": {"type": "expire"},
            }
        ]
    },
]


@pytest.mark.parametrize("doc", AWS_EXAMPLES)
def test_aws_documented_examples_are_valid(doc: dict[str, Any]) -> None:
    policy = parse_policy(json.dumps(doc, indent=4))
    assert policy.to_json()["rules"][0]["rulePriority"] == 1


def test_json_syntax_error_has_line_and_column() -> None:
    text = '{\n  "rules": [\n    {"rulePriority": 1,}\n  ]\n}'
    policy, found = check_policy(text)
    assert policy is None
    assert len(found) == 1
    # At the comma, as Python 3.13 reports it; 3.11 and 3.12 point past it (line 3, column 24).
    assert (found[0].line, found[0].column) == (3, 23)
    assert str(found[0]) == (
        "line 3, column 23: invalid JSON: Illegal trailing comma before end of object"
    )


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("[1,\n  2,\n]", (2, 4, "Illegal trailing comma before end of array")),
        ('{"a": 1 "b": 2}', (1, 9, "Expecting ',' delimiter")),
        ('{\n  "é": tru}', (2, 8, "Expecting value")),
    ],
)
def test_json_errors_are_placed_the_same_on_every_python(
    text: str, where: tuple[int, int, str]
) -> None:
    _policy, found = check_policy(text)
    assert (found[0].line, found[0].column) == where[:2]
    assert str(found[0]).endswith(where[2])


def test_every_problem_is_listed_with_rule_priority_and_field() -> None:
    found = fields(
        rule(1, countType="sinceImagePushed"),  # countUnit missing
        rule(2, tagStatus="tagged"),  # neither list
        rule(3, countNumber=0),
    )
    assert found == [
        (1, "selection.countUnit"),
        (2, "selection.tagPatternList"),
        (3, "selection.countNumber"),
    ]


def test_rule_counts_and_length_limits() -> None:
    assert ("rules", "has 0 rules; ECR takes 1 to 50") in [(f, m) for _, f, m in problems()]
    many = [rule(n, tagStatus="untagged") for n in range(1, 52)]
    listed = problems(*many)
    assert ("rules", "has 51 rules; ECR takes 1 to 50") in [(f, m) for _, f, m in listed]
    _, found = check_policy('{"rules": []}')
    assert any("characters; ECR takes 100-30,720" in p.message for p in found)
    huge = {"rules": [{**rule(1), "description": "x" * 31_000}]}
    _, found = check_policy(json.dumps(huge))
    assert any("31,1" in p.message and "30,720" in p.message for p in found)


def test_priorities_unique_positive_integers() -> None:
    found = problems(
        rule(1, tagStatus="untagged"),
        rule(1, tagStatus="tagged", tagPrefixList=["a"]),
        rule(0, tagStatus="tagged", tagPrefixList=["b"]),
        rule("2", tagStatus="tagged", tagPrefixList=["c"]),
        rule(True, tagStatus="tagged", tagPrefixList=["d"]),
    )
    assert [(p, f) for p, f, _ in found] == [
        (1, "rulePriority"),
        (None, "rulePriority"),
        (None, "rulePriority"),
        (None, "rulePriority"),
    ]
    assert "also used by rule #1" in found[0][2]


def test_tag_lists_only_with_tagged_and_exactly_one() -> None:
    assert fields(rule(1, tagStatus="untagged", tagPrefixList=["a"])) == [
        (1, "selection.tagPrefixList")
    ]
    assert fields(rule(1, tagStatus="any", tagPatternList=["a*"])) == [
        (1, "selection.tagPatternList")
    ]
    both = problems(rule(1, tagStatus="tagged", tagPrefixList=["a"], tagPatternList=["a*"]))
    assert both == [
        (1, "selection.tagPatternList", "give tagPatternList or tagPrefixList, not both")
    ]
    assert fields(rule(1, tagStatus="tagged", tagPrefixList=[])) == [(1, "selection.tagPrefixList")]
    assert fields(rule(1, tagStatus="tagged", tagPrefixList=["ok", 3])) == [
        (1, "selection.tagPrefixList[1]")
    ]


def test_pattern_wildcard_limit_is_four_as_aws_documents() -> None:
    assert (
        problems(rule(1, tagStatus="tagged", tagPatternList=["*test*1*2*3", "test*1*2*3*"])) == []
    )
    found = problems(rule(1, tagStatus="tagged", tagPatternList=["test*1*2*3*4*5*6"]))
    assert found[0][1] == "selection.tagPatternList[0]"
    assert "6 wildcards" in found[0][2]


def test_count_types_and_units() -> None:
    assert fields(rule(1, countType="newestFirst")) == [(1, "selection.countType")]
    assert fields(rule(1, countUnit="days")) == [(1, "selection.countUnit")]
    assert fields(rule(1, countType="sinceImagePushed", countUnit="hours")) == [
        (1, "selection.countUnit")
    ]
    assert fields(rule(1, countNumber=2.5)) == [(1, "selection.countNumber")]
    assert fields(rule(1, countNumber=None)) == [(1, "selection.countNumber")]


def test_storage_class_and_action_combinations() -> None:
    transition = {"type": "transition", "targetStorageClass": "archive"}
    assert fields(rule(1, action={"type": "transition"})) == [(1, "action.targetStorageClass")]
    assert fields(rule(1, action={"type": "transition", "targetStorageClass": "glacier"})) == [
        (1, "action.targetStorageClass")
    ]
    assert fields(rule(1, action={"type": "expire", "targetStorageClass": "archive"})) == [
        (1, "action.targetStorageClass")
    ]
    assert fields(rule(1, action={"type": "delete"})) == [(1, "action.type")]
    pulled = {"countType": "sinceImagePulled", "countUnit": "days", "countNumber": 30}
    assert fields(rule(1, **pulled)) == [(1, "action.type")]
    assert problems(rule(1, action=transition, **pulled)) == []
    since_archived = {
        "countType": "sinceImageTransitioned",
        "countUnit": "days",
        "countNumber": 120,
    }
    assert fields(rule(1, **since_archived)) == [(1, "selection.storageClass")]
    assert fields(rule(1, storageClass="archive", action=transition, **since_archived)) == [
        (1, "action.type")
    ]
    assert fields(rule(1, storageClass="archive")) == [(1, "selection.storageClass")]
    assert fields(rule(1, storageClass="cold")) == [(1, "selection.storageClass")]
    short = {**since_archived, "countNumber": 30}
    assert fields(rule(1, storageClass="archive", **short)) == [(1, "selection.countNumber")]


def test_any_rule_must_have_the_highest_priority_of_its_storage_class() -> None:
    found = problems(rule(1), rule(2, tagStatus="tagged", tagPrefixList=["v"]))
    assert [(p, f) for p, f, _ in found] == [(1, "rulePriority")]
    assert "highest rulePriority" in found[0][2]


def test_one_untagged_rule_and_unique_tag_lists_per_storage_class() -> None:
    found = fields(
        rule(1, tagStatus="untagged"),
        rule(2, tagStatus="untagged"),
        rule(3, tagStatus="tagged", tagPrefixList=["a", "b"]),
        rule(4, tagStatus="tagged", tagPrefixList=["b", "a"]),
        rule(5, tagStatus="tagged", tagPatternList=["a", "b"]),
    )
    assert found == [(2, "selection.tagStatus"), (4, "selection.tagPrefixList")]


def test_unknown_properties_and_wrong_shapes() -> None:
    found = fields({**rule(1), "priority": 3}, extra=True)
    assert found == [(None, "extra"), (1, "priority")]
    assert fields({"rulePriority": 1, "selection": [], "action": "expire"}) == [
        (1, "selection"),
        (1, "action"),
    ]
    _, found_list = check_policy(json.dumps([rule(1)] * 20))
    assert "not a list" in found_list[-1].message


def test_parse_policy_raises_with_every_problem() -> None:
    text = json.dumps({"rules": [rule(1, countNumber=-1), rule(2, action={"type": "x"})]}, indent=2)
    with pytest.raises(InvalidPolicy) as caught:
        parse_policy(text, "p.json")
    assert len(caught.value.problems) == 2
    assert "p.json: 2 problems" in str(caught.value)
    assert "rule #1 (rulePriority 1): selection.countNumber" in str(caught.value)
