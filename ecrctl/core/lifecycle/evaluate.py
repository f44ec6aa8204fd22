"""Answer, offline, what ECR's lifecycle evaluator would do to a repository's images.

ECR's evaluation rules ("How lifecycle policies work" in the ECR user guide):

- all rules are evaluated at the same time, then applied in rule priority order (lowest
  ``rulePriority`` first);
- an image is expired or transitioned by exactly one or zero rules; an image that matches the
  tag selection of a rule can never be acted on by a lower-priority rule, whether the rule acted
  on it or kept it; lower rules still *count* such images ("identify them as if they haven't
  been expired");
- a rule selects images of its ``storageClass`` only (``standard`` unless said otherwise);
- ``tagPrefixList`` / ``tagPatternList`` select an image when every entry matches at least one
  of its tags; ``*`` in a pattern matches any run of characters;
- ``imageCountMoreThan N`` sorts the selected images youngest to oldest by push time and acts on
  all past the N-th; ``sinceImagePushed N`` acts on those pushed more than N days ago;
  ``sinceImagePulled N`` on those last pulled more than N days ago (push time when never
  pulled; the restore time when restored from archive and not pulled since);
  ``sinceImageTransitioned N`` on archived images archived more than N days ago;
- an image restored from archive counts from its ``lastActivatedAt`` instead of its push time.

Where AWS is silent this module decides, and says so: images pushed in the same instant are
ordered by digest (the greater digest counts as the younger), so results are stable.

Speed: one sort of all images by age, shared by every rule; tag lists are matched against the
distinct tags of the repository (binary search on the literal prefix of each entry, a compiled
regular expression only for patterns with inner wildcards), never per image per rule.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.lifecycle.model import ImageRecord, Policy, Rule, Selection
from ecrctl.core.models import iso

DAY_SECONDS = 86_400.0
_RELATIVE = re.compile(r"\+?(\d+)([hdw])")
_UNIT_SECONDS = {"h": 3600.0, "d": DAY_SECONDS, "w": 7 * DAY_SECONDS}
_TOP = chr(0x10FFFF)


def _ts(value: datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """A tagPatternList entry as a regular expression: ``*`` is any run of characters."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def pattern_matches(pattern: str, tag: str) -> bool:
    return pattern_regex(pattern).fullmatch(tag) is not None


@dataclass(frozen=True)
class Decision:
    """What the policy does to one image: expire, transition, or keep (and which rule said so)."""

    image: ImageRecord
    action: str
    rule_priority: int | None

    def to_json(self) -> dict[str, Any]:
        return {**self.image.to_json(), "rulePriority": self.rule_priority, "action": self.action}


@dataclass(frozen=True)
class RuleOutcome:
    priority: int
    action: str
    matched: int
    acted: int

    def to_json(self) -> dict[str, Any]:
        return {
            "rulePriority": self.priority,
            "action": self.action,
            "matched": self.matched,
            "acted": self.acted,
        }


@dataclass
class Evaluation:
    """The outcome at ``at``: affected images (by rule priority, oldest first) and kept ones."""

    at: datetime
    affected: list[Decision] = field(default_factory=list)
    kept: list[Decision] = field(default_factory=list)
    rules: list[RuleOutcome] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for d in self.affected if d.action == action)

    def to_json(self) -> dict[str, Any]:
        return {
            "at": iso(self.at),
            "summary": {
                "expire": self.count("expire"),
                "transition": self.count("transition"),
                "keep": len(self.kept),
            },
            "rules": [r.to_json() for r in self.rules],
            "affected": [d.to_json() for d in self.affected],
            "kept": [d.to_json() for d in self.kept],
        }


class _TagIndex:
    """Distinct tags of the repository, sorted, each with the images that carry it."""

    def __init__(self, tags: Sequence[tuple[str, ...]]) -> None:
        index: dict[str, list[int]] = {}
        for position, image_tags in enumerate(tags):
            for tag in image_tags:
                holders = index.get(tag)
                if holders is None:
                    index[tag] = [position]
                else:
                    holders.append(position)
        self.index = index
        self.names = sorted(index)
        self._cache: dict[tuple[str, bool], frozenset[int]] = {}

    def images(self, entry: str, *, pattern: bool) -> frozenset[int]:
        """Images with at least one tag matching ``entry`` (a prefix, or a pattern)."""
        key = (entry, pattern)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        literal = entry.split("*", 1)[0] if pattern else entry
        if pattern and "*" not in entry:
            tags: list[str] = [entry] if entry in self.index else []
        else:
            low = bisect_left(self.names, literal)
            high = bisect_left(self.names, literal + _TOP, low)
            tags = self.names[low:high]
            if pattern and entry != literal + "*":
                regex = pattern_regex(entry)
                tags = [t for t in tags if regex.fullmatch(t)]
        found: set[int] = set()
        for tag in tags:
            found.update(self.index[tag])
        result = frozenset(found)
        self._cache[key] = result
        return result


class _Repository:
    """The images prepared once for every rule: ages, order, pools per storage class."""

    def __init__(self, images: Sequence[ImageRecord]) -> None:
        self.images = images
        self.push = [
            _ts(i.last_activated_at if i.last_activated_at is not None else i.pushed_at)
            for i in images
        ]
        # Youngest first; the greater digest is the younger on equal push times.
        order = sorted(range(len(images)), key=lambda k: images[k].digest, reverse=True)
        order.sort(key=self.push.__getitem__, reverse=True)
        self.pools: dict[str, list[int]] = {"standard": [], "archive": []}
        self.tagged: dict[str, list[int]] = {"standard": [], "archive": []}
        self.untagged: dict[str, list[int]] = {"standard": [], "archive": []}
        for k in order:
            image = images[k]
            storage = image.storage_class
            self.pools.setdefault(storage, []).append(k)
            (self.tagged if image.tags else self.untagged).setdefault(storage, []).append(k)
        self._tags: _TagIndex | None = None

    @property
    def tag_index(self) -> _TagIndex:
        if self._tags is None:
            self._tags = _TagIndex([i.tags for i in self.images])
        return self._tags

    def select(self, selection: Selection) -> list[int]:
        """Images the rule's selection matches, youngest first."""
        storage = selection.storage_class
        if selection.tag_status == "any":
            return self.pools.get(storage, [])
        if selection.tag_status == "untagged":
            return self.untagged.get(storage, [])
        pattern = selection.tag_pattern_list is not None
        entries = selection.tag_pattern_list or selection.tag_prefix_list or ()
        sets = sorted((self.tag_index.images(e, pattern=pattern) for e in entries), key=len)
        if not sets or not sets[0]:
            return []
        chosen = sets[0].intersection(*sets[1:]) if len(sets) > 1 else sets[0]
        pool = self.tagged.get(storage, [])
        if len(chosen) * 8 < len(pool):
            return sorted(
                (k for k in chosen if self.images[k].storage_class == storage),
                key=lambda k: (self.push[k], self.images[k].digest),
                reverse=True,
            )
        return [k for k in pool if k in chosen]

    def candidates(self, selection: Selection, matched: list[int], now: float) -> list[int]:
        """The matched images the rule would act on, were no higher rule in the way."""
        number = selection.count_number
        if selection.count_type == "imageCountMoreThan":
            return matched[number:]
        limit = number * DAY_SECONDS
        if selection.count_type == "sinceImagePushed":
            push = self.push
            return [k for k in matched if now - push[k] > limit]
        if selection.count_type == "sinceImagePulled":
            return [k for k in matched if now - _ts(_pull_reference(self.images[k])) > limit]
        archived = [(k, self.images[k].last_archived_at) for k in matched]
        return [k for k, at in archived if at is not None and now - _ts(at) > limit]


def _pull_reference(image: ImageRecord) -> datetime:
    reference = image.last_pulled_at
    activated = image.last_activated_at
    if activated is not None and (reference is None or _ts(reference) < _ts(activated)):
        return activated
    return reference if reference is not None else image.pushed_at


def evaluate(policy: Policy, images: Sequence[ImageRecord], at: datetime) -> Evaluation:
    """What ECR would expire or transition at ``at``, and what it would keep."""
    now = _ts(at)
    repo = _Repository(images)
    claimed: dict[int, Rule] = {}
    acted: dict[int, Rule] = {}
    outcomes: list[RuleOutcome] = []
    for rule in policy.ordered():
        matched = repo.select(rule.selection)
        candidates = repo.candidates(rule.selection, matched, now)
        for k in matched:
            if k not in claimed:
                claimed[k] = rule
        count = 0
        for k in candidates:
            if claimed[k] is rule:
                acted[k] = rule
                count += 1
        outcomes.append(RuleOutcome(rule.priority, rule.action.type, len(matched), count))
    result = Evaluation(at=at, rules=outcomes)
    by_age = sorted(acted, key=lambda k: (acted[k].priority, repo.push[k], images[k].digest))
    result.affected = [Decision(images[k], acted[k].action.type, acted[k].priority) for k in by_age]
    for storage in sorted(repo.pools):
        for k in repo.pools[storage]:
            if k not in acted:
                keeper = claimed.get(k)
                priority = keeper.priority if keeper is not None else None
                result.kept.append(Decision(images[k], "keep", priority))
    return result


def parse_at(text: str | None, now: datetime) -> datetime:
    """``--at``: now, an ISO date or time (UTC unless it says otherwise), or +7d / +2w / +12h.

    A date in the past is refused: images pushed since then would be judged as if they existed.
    """
    if text is None or text.strip().lower() == "now":
        return now
    value = text.strip()
    relative = _RELATIVE.fullmatch(value)
    if relative:
        return now + timedelta(seconds=int(relative.group(1)) * _UNIT_SECONDS[relative.group(2)])
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"invalid --at {text!r}: use a date (2026-07-01), an ISO time "
            "(2026-07-01T09:00:00Z) or a time from now (+7d, +2w, +12h)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if when < now - timedelta(minutes=1):
        raise InvalidInput(f"invalid --at {text!r}: it is in the past; give now or a later time")
    return when
