"""The evaluator against a small independent model of AWS's documented rules, over thousands of
generated policies and repositories (hypothesis).

The model is written from the ECR user guide ("How lifecycle policies work", "Lifecycle policy
rules"), image by image and rule by rule, with none of the evaluator's indexes, binary searches or
set algebra:

- rules apply lowest ``rulePriority`` first, whatever their order in the document;
- ``tagPrefixList`` / ``tagPatternList``: every entry matches at least one of the image's tags;
- ``imageCountMoreThan N`` acts on all but the N youngest selected (ties: greater digest younger);
  ``sinceImagePushed N`` on those pushed strictly more than N days ago;
- an image matched by a rule is never acted on by a lower one, but lower rules still count it;
- an image that a kept index references is kept; one whose every referencing index goes in this
  pass goes on a later evaluation.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecrctl.core.lifecycle import ImageRecord, check_policy, evaluate

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)

TAGS = ["a", "a1", "ab", "b", "b-1", "ba", "c.2", "v1", "v10"]
ENTRIES = ["a", "b", "v", "a*", "*1", "b*a", "v1*", "*", "ab", "c.2"]


# --- the model ------------------------------------------------------------------------------


def _matches(entry: str, tag: str, pattern: bool) -> bool:
    if not pattern:
        return tag.startswith(entry)
    return re.fullmatch(".*".join(map(re.escape, entry.split("*"))), tag) is not None


def _selects(rule: dict[str, Any], image: ImageRecord) -> bool:
    status = rule["selection"]["tagStatus"]
    if status == "any":
        return True
    if status == "untagged":
        return not image.tags
    pattern = "tagPatternList" in rule["selection"]
    entries = rule["selection"].get("tagPatternList") or rule["selection"]["tagPrefixList"]
    return all(any(_matches(e, t, pattern) for t in image.tags) for e in entries)


def model(doc: dict[str, Any], images: list[ImageRecord], refs: dict[str, set[str]]) -> Any:
    """digest -> (action, rule priority, later) for acted images; (keep, claimer, False)."""
    claimed: dict[str, int] = {}
    acted: dict[str, tuple[str, int]] = {}
    for rule in sorted(doc["rules"], key=lambda r: r["rulePriority"]):
        selection = rule["selection"]
        selected = [i for i in images if _selects(rule, i)]
        selected.sort(key=lambda i: (i.pushed_at, i.digest), reverse=True)  # youngest first
        number = selection["countNumber"]
        if selection["countType"] == "imageCountMoreThan":
            candidates = {i.digest for i in selected[number:]}
        else:
            candidates = {i.digest for i in selected if NOW - i.pushed_at > number * DAY}
        for image in selected:
            if image.digest in claimed:
                continue
            claimed[image.digest] = rule["rulePriority"]
            if image.digest in candidates:
                acted[image.digest] = (rule["action"]["type"], rule["rulePriority"])
    parents: dict[str, set[str]] = {}
    for index, children in refs.items():
        for child in children:
            parents.setdefault(child, set()).add(index)
    changed = True
    while changed:  # an index that stays keeps every image it references
        changed = False
        for digest in list(acted):
            if any(p not in acted for p in parents.get(digest, ())):
                del acted[digest]
                changed = True
    out: dict[str, tuple[str, int | None, bool]] = {}
    for image in images:
        digest = image.digest
        if digest in acted:
            out[digest] = (*acted[digest], bool(parents.get(digest)))
        else:
            out[digest] = ("keep", claimed.get(digest), False)
    return out


# --- generated cases ------------------------------------------------------------------------
# A case is decoded from one byte string: one hypothesis draw per case keeps thousands of cases
# within seconds, and shrinking bytes toward zero shrinks the case toward fewer rules and images.


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def pick(self, count: int) -> int:
        """0 <= n < count; 0 once the bytes run out."""
        if self.at >= len(self.data):
            return 0
        self.at += 1
        return self.data[self.at - 1] % count

    def choose(self, items: list[Any]) -> Any:
        return items[self.pick(len(items))]


def decode_rule(read: Reader) -> dict[str, Any]:
    selection: dict[str, Any] = {"tagStatus": read.choose(["tagged", "untagged", "any"])}
    if selection["tagStatus"] == "tagged":
        key = read.choose(["tagPatternList", "tagPrefixList"])
        pool = ENTRIES if key == "tagPatternList" else [e for e in ENTRIES if "*" not in e]
        entries = [read.choose(pool) for _ in range(1 + read.pick(3))]
        selection[key] = list(dict.fromkeys(entries))
    count_type = read.choose(["imageCountMoreThan", "sinceImagePushed"])
    selection["countType"] = count_type
    if count_type == "sinceImagePushed":
        selection["countUnit"] = "days"
    selection["countNumber"] = 1 + read.pick(4)
    action: dict[str, Any] = {"type": read.choose(["expire", "expire", "transition"])}
    if action["type"] == "transition":
        action["targetStorageClass"] = "archive"
    return {"selection": selection, "action": action}


def decode_policy(read: Reader) -> dict[str, Any]:
    drawn = [decode_rule(read) for _ in range(1 + read.pick(4))]
    # As ECR requires: `any` has the highest priority, one rule at most selects untagged images,
    # tag lists are unique.
    anys = [r for r in drawn if r["selection"]["tagStatus"] == "any"][:1]
    untagged = [r for r in drawn if r["selection"]["tagStatus"] == "untagged"][:1]
    tagged, lists = [], set()
    for rule in drawn:
        selection = rule["selection"]
        if selection["tagStatus"] == "tagged":
            key = next(k for k in ("tagPrefixList", "tagPatternList") if k in selection)
            if (key, frozenset(selection[key])) not in lists:
                lists.add((key, frozenset(selection[key])))
                tagged.append(rule)
    chosen = tagged + untagged
    # Distinct priorities in a drawn order (document order is not priority order), `any` last.
    priorities = sorted({1 + read.pick(30) for _ in chosen} | {31})
    while len(priorities) < len(chosen) + 1:
        priorities = sorted({*priorities, max(priorities) + 1})
    pool = priorities[:-1]
    for rule in chosen:
        rule["rulePriority"] = pool.pop(read.pick(len(pool)))
    for rule in anys:
        rule["rulePriority"] = priorities[-1] + 1
    listed = chosen + anys
    return {"rules": [listed.pop(read.pick(len(listed))) for _ in range(len(listed))]}


def decode_repository(read: Reader) -> tuple[list[ImageRecord], dict[str, set[str]]]:
    images = []
    for n in range(read.pick(9)):
        # Ages at and around whole days, with ties in push time.
        pushed = NOW - read.pick(6) * DAY + read.choose([timedelta(0), SECOND, -SECOND])
        tags = {read.choose(TAGS) for _ in range(read.pick(4))}
        digest = f"sha256:{read.pick(100):02d}{n}"
        images.append(ImageRecord(digest, tuple(sorted(tags)), pushed))
    refs: dict[str, set[str]] = {}
    for n, image in enumerate(images):
        younger = [i.digest for i in images[n + 1 :]]  # no cycles, as with real digests
        if younger and read.pick(2):
            refs[image.digest] = {read.choose(younger) for _ in range(1 + read.pick(3))}
        if len(refs) == 2:
            break
    if images and read.pick(4) == 0:  # an index being restored: not among the images, kept
        refs["sha256:restoring"] = {read.choose(images).digest}
    return images, refs


@settings(
    max_examples=3000, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.binary(min_size=40, max_size=160))
def test_evaluator_agrees_with_the_documented_rules(data: bytes) -> None:
    read = Reader(data)
    images, refs = decode_repository(read)
    doc = decode_policy(read)
    policy, problems = check_policy(json.dumps(doc, indent=2))
    assert policy is not None, problems  # the generator only makes policies ECR accepts
    evaluation = evaluate(policy, images, NOW, refs)
    got: dict[str, tuple[str, int | None, bool]] = {}
    for decision in [*evaluation.affected, *evaluation.later, *evaluation.kept]:
        assert decision.image.digest not in got  # each image once
        got[decision.image.digest] = (decision.action, decision.rule_priority, decision.later)
    assert got == model(doc, images, refs)
    # Nothing goes in this pass while an index that stays references it.
    going = {d.image.digest for d in evaluation.affected}
    staying = {i.digest for i in images} - going - {d.image.digest for d in evaluation.later}
    for index in staying:
        assert not refs.get(index, set()) & going
