"""The evaluator and ECR's manifest-list rule (issue 19): "If an image is referenced by a manifest
list, it cannot be expired or archived without the manifest list being deleted or archived first"
(Lifecycle policy rules, Amazon ECR user guide). Multi-arch images pushed with buildx are an index
tagged ``latest`` over untagged platform manifests."""

from __future__ import annotations

from typing import Any

import pytest

from ecrctl.core.lifecycle import evaluate
from tests.unit.test_lifecycle_evaluate import NOW, image, policy_of, rule

UNTAGGED_AFTER_1_DAY = {
    "tagStatus": "untagged",
    "countType": "sinceImagePushed",
    "countUnit": "days",
    "countNumber": 1,
}
UNTAGGED_KEEP_ONE = {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1}
ANY_AFTER_5_DAYS = {
    "tagStatus": "any",
    "countType": "sinceImagePushed",
    "countUnit": "days",
    "countNumber": 5,
}

# An index tagged latest (10 days old) over two untagged platform manifests, and a stray
# untagged image that nothing references.
BUILDX = [
    image("index", ["latest"], 10),
    image("amd64", [], 10),
    image("arm64", [], 10),
    image("stray", [], 12),
]
REFERENCES = {"sha256:index": {"sha256:amd64", "sha256:arm64"}}


def actions(evaluation: Any) -> dict[str, tuple[str, bool, tuple[str, ...]]]:
    """Image name -> (action, later, the indexes named)."""
    out = {}
    for d in [*evaluation.affected, *evaluation.later, *evaluation.kept]:
        out[d.image.digest.split(":")[1]] = (d.action, d.later, d.held_by)
    return out


@pytest.mark.parametrize(
    ("selection", "held"),
    [
        (UNTAGGED_AFTER_1_DAY, {"amd64", "arm64"}),
        # Keep one untagged: arm64 (the greater digest of a tie) is the one kept by the count.
        (UNTAGGED_KEEP_ONE, {"amd64"}),
    ],
)
def test_platform_manifests_of_a_kept_index_are_kept_and_a_stray_one_expires(
    selection: dict[str, Any], held: set[str]
) -> None:
    evaluation = evaluate(policy_of(rule(1, selection)), BUILDX, NOW, REFERENCES)
    by_index = ("sha256:index",)
    assert actions(evaluation) == {
        "index": ("keep", False, ()),
        "amd64": ("keep", False, by_index if "amd64" in held else ()),
        "arm64": ("keep", False, by_index if "arm64" in held else ()),
        "stray": ("expire", False, ()),
    }
    # The rule selected the platform manifests: it is the rule named as keeping them.
    kept = {d.image.digest: d.rule_priority for d in evaluation.kept}
    assert kept["sha256:amd64"] == 1 and kept["sha256:index"] is None
    assert evaluation.rules[0].to_json()["keptByIndex"] == len(held)
    assert evaluation.to_json()["summary"] == {"expire": 1, "transition": 0, "keep": 3, "later": 0}


def test_without_references_the_platform_manifests_would_expire() -> None:
    # What the preview said before it knew the references: the case the rule corrects.
    evaluation = evaluate(policy_of(rule(1, UNTAGGED_AFTER_1_DAY)), BUILDX, NOW)
    assert evaluation.count("expire") == 3


def test_index_expired_in_the_same_pass_sends_its_children_to_a_later_evaluation() -> None:
    evaluation = evaluate(policy_of(rule(1, ANY_AFTER_5_DAYS)), BUILDX, NOW, REFERENCES)
    assert actions(evaluation) == {
        "index": ("expire", False, ()),
        "stray": ("expire", False, ()),
        "amd64": ("expire", True, ("sha256:index",)),
        "arm64": ("expire", True, ("sha256:index",)),
    }
    assert evaluation.count("expire") == 2
    doc = evaluation.to_json()
    assert doc["summary"] == {"expire": 2, "transition": 0, "keep": 0, "later": 2}
    assert {e["digest"] for e in doc["later"]} == {"sha256:amd64", "sha256:arm64"}
    assert all(e["later"] and e["referencedBy"] == ["sha256:index"] for e in doc["later"])
    assert not any(e["later"] for e in doc["affected"])
    assert doc["rules"][0]["acted"] == 2 and doc["rules"][0]["later"] == 2


def test_an_image_that_one_kept_index_still_references_is_kept() -> None:
    images = [*BUILDX, image("old-index", [], 20)]
    references = {**REFERENCES, "sha256:old-index": {"sha256:amd64", "sha256:stray"}}
    policy = policy_of(rule(1, UNTAGGED_AFTER_1_DAY))
    result = actions(evaluate(policy, images, NOW, references))
    # old-index expires; stray is referenced only by it (later); amd64 is still held by latest.
    assert result["old-index"] == ("expire", False, ())
    assert result["stray"] == ("expire", True, ("sha256:old-index",))
    assert result["amd64"] == ("keep", False, ("sha256:index",))
    assert result["arm64"] == ("keep", False, ("sha256:index",))


def test_a_kept_index_keeps_a_nested_index_and_what_that_one_references() -> None:
    images = [image("top", ["v1"], 9), image("mid", [], 9), image("leaf", [], 9)]
    references = {"sha256:top": {"sha256:mid"}, "sha256:mid": {"sha256:leaf"}}
    result = actions(evaluate(policy_of(rule(1, UNTAGGED_AFTER_1_DAY)), images, NOW, references))
    assert result["mid"] == ("keep", False, ("sha256:top",))
    assert result["leaf"] == ("keep", False, ("sha256:mid",))


def test_an_index_archived_in_the_same_pass_delays_its_children_too() -> None:
    latest = {**UNTAGGED_AFTER_1_DAY, "tagStatus": "tagged", "tagPatternList": ["latest"]}
    transition = rule(1, latest, action="transition")
    policy = policy_of(transition, rule(2, UNTAGGED_AFTER_1_DAY, action="transition"))
    result = actions(evaluate(policy, BUILDX, NOW, REFERENCES))
    assert result["index"] == ("transition", False, ())
    assert result["amd64"] == ("transition", True, ("sha256:index",))
    assert result["stray"] == ("transition", False, ())


def test_an_index_being_restored_is_not_among_the_images_and_still_keeps_its_children() -> None:
    images = [i for i in BUILDX if i.digest != "sha256:index"]
    result = actions(evaluate(policy_of(rule(1, UNTAGGED_AFTER_1_DAY)), images, NOW, REFERENCES))
    assert result["amd64"] == ("keep", False, ("sha256:index",))
    assert result["stray"] == ("expire", False, ())


def test_held_images_are_still_counted_by_the_rule_that_selected_them() -> None:
    # Keep one untagged: amd64/arm64 (held) count, so the older stray still expires and the
    # youngest untagged image, although unreferenced, is the one counted as kept.
    images = [*BUILDX, image("fresh", [], 1)]
    result = actions(evaluate(policy_of(rule(1, UNTAGGED_KEEP_ONE)), images, NOW, REFERENCES))
    assert result["fresh"] == ("keep", False, ())
    assert result["stray"] == ("expire", False, ())
    assert result["amd64"] == ("keep", False, ("sha256:index",))


def test_remote_comparison_shows_where_aws_and_the_local_preview_differ() -> None:
    from ecrctl.core.lifecycle.compare import differences
    from ecrctl.core.lifecycle.evaluate import Decision

    local = evaluate(policy_of(rule(1, UNTAGGED_AFTER_1_DAY)), BUILDX, NOW, REFERENCES)
    # Suppose AWS lists the platform manifests as expiring, and an image the local side
    # never saw (pushed since).
    by_name = {i.digest.split(":")[1]: i for i in BUILDX}
    unseen = image("unseen", [], 3)
    remote = [Decision(by_name[n], "expire", 1) for n in ("amd64", "arm64", "stray")]
    remote.append(Decision(unseen, "expire", 1))
    found = [d.to_json() for d in differences(remote, local)]  # kept: youngest first
    assert found == [
        {"digest": "sha256:arm64", "tags": [], "remote": "expire", "local": "keep",
         "referencedBy": ["sha256:index"]},
        {"digest": "sha256:amd64", "tags": [], "remote": "expire", "local": "keep",
         "referencedBy": ["sha256:index"]},
        {"digest": "sha256:unseen", "tags": [], "remote": "expire", "local": "unknown",
         "referencedBy": []},
    ]  # fmt: skip
    # The same answer on both sides: no difference; a later expiry is one.
    assert differences(local.affected, local) == []
    later = evaluate(policy_of(rule(1, ANY_AFTER_5_DAYS)), BUILDX, NOW, REFERENCES)
    aws = [*later.affected, *(d._replace(later=False, held_by=()) for d in later.later)]
    assert {(d.digest, d.remote, d.local) for d in differences(aws, later)} == {
        ("sha256:amd64", "expire", "expire-later"),
        ("sha256:arm64", "expire", "expire-later"),
    }
