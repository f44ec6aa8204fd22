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
- an image restored from archive counts from its ``lastActivatedAt`` instead of its push time;
- "if an image is referenced by a manifest list, it cannot be expired or archived without the
  manifest list being deleted or archived first" ("Lifecycle policy rules"): an image that an
  index (OCI image index, Docker manifest list) kept by this pass references is kept, with the
  index named (``held_by``); one whose every referencing index is expired or archived in this
  pass goes on a later evaluation, after them (``later``), not in this one. An index that keeps
  a referenced index keeps what that one references in turn.

Where AWS is silent this module decides, and says so: images pushed in the same instant are
ordered by digest (the greater digest counts as the younger), so results are stable.

Speed (bench/bench_lifecycle.py: 100,000 images, 10 rules): one sort of all images by age,
shared by every rule, which then only re-sorts its own selection by that rank; tag entries are
matched on one sorted list of (tag, image) pairs (binary search on the literal prefix of each
entry, a compiled regular expression only for patterns with inner wildcards), never per image
per rule; age rules cut their selection with a binary search; claims are set operations.
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import NamedTuple

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.lifecycle.indexes import held_by_indexes
from ecrctl.core.lifecycle.model import ImageRecord, Policy, Selection
from ecrctl.core.models import iso

DAY_SECONDS = 86_400.0
_RELATIVE = re.compile(r"\+?(\d+)([hdw])")
_UNIT_SECONDS = {"h": 3600.0, "d": DAY_SECONDS, "w": 7 * DAY_SECONDS}
_TOP = chr(0x10FFFF)


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """A tagPatternList entry as a regular expression: ``*`` is any run of characters."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


class Decision(NamedTuple):
    """What the policy does to one image: expire, transition, or keep (and which rule said so).

    ``held_by``: the indexes that reference the image; for a kept image, those that keep it
    although its rule would act on it; with ``later``, those that go in this pass, after which
    the image goes too (``action``) on a later evaluation.
    """

    image: ImageRecord
    action: str
    rule_priority: int | None
    held_by: tuple[str, ...] = ()
    later: bool = False

    def to_json(self) -> JsonObject:
        return {
            **self.image.to_json(),
            "rulePriority": self.rule_priority,
            "action": self.action,
            "later": self.later,
            "referencedBy": list(self.held_by),
        }


@dataclass(frozen=True)
class RuleOutcome:
    """``acted``: images acted on in this pass; ``held``: kept by an index that stays;
    ``later``: acted on after their indexes, on a later evaluation."""

    priority: int
    action: str
    matched: int
    acted: int
    held: int = 0
    later: int = 0

    def to_json(self) -> JsonObject:
        return {
            "rulePriority": self.priority,
            "action": self.action,
            "matched": self.matched,
            "acted": self.acted,
            "keptByIndex": self.held,
            "later": self.later,
        }


@dataclass
class Evaluation:
    """The outcome at ``at``: affected images (by rule priority, oldest first), kept ones, and
    those acted on only on a later evaluation, once the indexes that reference them are gone."""

    at: datetime
    affected: list[Decision] = field(default_factory=list)
    kept: list[Decision] = field(default_factory=list)
    rules: list[RuleOutcome] = field(default_factory=list)
    later: list[Decision] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for d in self.affected if d.action == action)

    def to_json(self) -> JsonObject:
        return {
            "at": iso(self.at),
            "summary": {
                "expire": self.count("expire"),
                "transition": self.count("transition"),
                "keep": len(self.kept),
                "later": len(self.later),
            },
            "rules": [r.to_json() for r in self.rules],
            "affected": [d.to_json() for d in self.affected],
            "later": [d.to_json() for d in self.later],
            "kept": [d.to_json() for d in self.kept],
        }


class _TagIndex:
    """Every (tag, image) pair, sorted by tag: a tag prefix is a contiguous run of it."""

    def __init__(self, tags: Sequence[tuple[str, ...]]) -> None:
        flat = [tag for image_tags in tags for tag in image_tags]
        owner = [k for k, image_tags in enumerate(tags) for _ in image_tags]
        order = sorted(range(len(flat)), key=flat.__getitem__)
        self.tags = [flat[i] for i in order]
        self.owners = [owner[i] for i in order]
        self._cache: dict[tuple[str, bool], set[int]] = {}

    def images(self, entry: str, *, pattern: bool) -> set[int]:
        """Images with at least one tag matching ``entry`` (a prefix, or a pattern)."""
        key = (entry, pattern)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        tags = self.tags
        if pattern and "*" not in entry:  # an exact tag
            low = bisect_left(tags, entry)
            found = set(self.owners[low : bisect_right(tags, entry, low)])
        else:
            literal = entry.split("*", 1)[0] if pattern else entry
            low = bisect_left(tags, literal)
            high = bisect_left(tags, literal + _TOP, low)
            if pattern and entry != literal + "*":
                regex = pattern_regex(entry)
                owners = self.owners
                found = {owners[i] for i in range(low, high) if regex.fullmatch(tags[i])}
            else:
                found = set(self.owners[low:high])
        self._cache[key] = found
        return found


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class _Repository:
    """The images prepared once for every rule: ages, order, pools per storage class."""

    def __init__(self, images: Sequence[ImageRecord]) -> None:
        self.images = images
        push = [
            _aware(i.pushed_at if i.last_activated_at is None else i.last_activated_at).timestamp()
            for i in images
        ]
        self.push = push
        # Youngest first; the greater digest is the younger of images pushed at the same time.
        order = sorted(range(len(images)), key=push.__getitem__, reverse=True)
        if len(set(push)) < len(push):
            self._break_ties(order)
        rank = [0] * len(images)
        for position, k in enumerate(order):
            rank[k] = position
        self.rank = rank
        storage = [i.storage_class for i in images]
        self.storage = storage
        classes = sorted(set(storage))
        if len(classes) == 1:
            self.pools = {classes[0]: order}
        else:
            self.pools = {s: [k for k in order if storage[k] == s] for s in classes}
        tagged = [bool(i.tags) for i in images]
        self.tagged = {s: [k for k in pool if tagged[k]] for s, pool in self.pools.items()}
        self.untagged = {s: [k for k in pool if not tagged[k]] for s, pool in self.pools.items()}
        self._tags: _TagIndex | None = None

    def _break_ties(self, order: list[int]) -> None:
        """Within each run of equal push times, the greater digest first."""
        ordered = [self.push[k] for k in order]
        ties = [i for i in range(1, len(ordered)) if ordered[i] == ordered[i - 1]]
        images = self.images
        start = previous = -2
        for i in [*ties, -1]:
            if i != previous + 1:
                if previous >= 0:
                    order[start : previous + 1] = sorted(
                        order[start : previous + 1], key=lambda k: images[k].digest, reverse=True
                    )
                start = i - 1
            previous = i

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
        if len(self.pools) > 1 or storage not in self.pools:
            chosen = {k for k in chosen if self.storage[k] == storage}
        return sorted(chosen, key=self.rank.__getitem__)

    def candidates(self, selection: Selection, matched: list[int], now: float) -> list[int]:
        """The matched images the rule would act on were no higher rule in the way, youngest
        first."""
        number = selection.count_number
        if selection.count_type == "imageCountMoreThan":
            return matched[number:]
        threshold = now - number * DAY_SECONDS  # acted on when strictly older than N days
        if selection.count_type == "sinceImagePushed":
            push = self.push
            return matched[bisect_right(matched, -threshold, key=lambda k: -push[k]) :]
        images = self.images
        if selection.count_type == "sinceImagePulled":
            return [k for k in matched if _pull_reference(images[k]) < threshold]
        return [
            k
            for k in matched
            if (at := images[k].last_archived_at) is not None and _aware(at).timestamp() < threshold
        ]


def _pull_reference(image: ImageRecord) -> float:
    pulled = image.last_pulled_at
    activated = image.last_activated_at
    reference = _aware(pulled).timestamp() if pulled is not None else None
    if activated is not None:
        restored = _aware(activated).timestamp()
        if reference is None or reference < restored:
            return restored
    return reference if reference is not None else _aware(image.pushed_at).timestamp()


def evaluate(
    policy: Policy,
    images: Sequence[ImageRecord],
    at: datetime,
    references: Mapping[str, Collection[str]] | None = None,
) -> Evaluation:
    """What ECR would expire or transition at ``at``, and what it would keep.

    ``references``: index digest -> the digests it references (ecrctl.core.images.manifests).
    An index that is not among ``images`` (one being restored) counts as kept.
    """
    # Hundreds of thousands of small objects, no reference cycles: the cyclic garbage collector
    # would only rescan the image records over and over.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _evaluate(policy, images, at, references or {})
    finally:
        if collecting:
            gc.enable()


def _evaluate(
    policy: Policy,
    images: Sequence[ImageRecord],
    at: datetime,
    references: Mapping[str, Collection[str]],
) -> Evaluation:
    now = _aware(at).timestamp()
    repo = _Repository(images)
    claimed: set[int] = set()
    claimer: dict[int, int] = {}
    acted: set[int] = set()
    result = Evaluation(at=at)
    passes: list[tuple[str, int, int, list[int]]] = []
    for rule in policy.ordered():
        matched = repo.select(rule.selection)
        candidates = repo.candidates(rule.selection, matched, now)
        fresh = set(matched)
        fresh.difference_update(claimed)
        claimed.update(fresh)
        claimer.update(dict.fromkeys(fresh, rule.priority))
        mine = [k for k in candidates if k in fresh]
        acted.update(mine)
        passes.append((rule.action.type, rule.priority, len(matched), mine))
    held, later = held_by_indexes(images, acted, references)
    acted.difference_update(held)
    for kind, priority, matched_count, mine in passes:
        if held or later:
            now_acted = [k for k in mine if k not in held and k not in later]
            waiting = [k for k in mine if k in later]
            result.later.extend(
                Decision(images[k], kind, priority, later[k], True) for k in reversed(waiting)
            )
        else:
            now_acted, waiting = mine, []
        result.affected.extend(
            map(
                Decision._make,
                zip(
                    map(images.__getitem__, reversed(now_acted)),
                    repeat(kind),
                    repeat(priority),
                    repeat(()),
                    repeat(False),
                ),
            )
        )
        kept_by_index = sum(1 for k in mine if k in held) if held else 0
        result.rules.append(
            RuleOutcome(priority, kind, matched_count, len(now_acted), kept_by_index, len(waiting))
        )
    for pool in repo.pools.values():
        left = [k for k in pool if k not in acted]
        result.kept.extend(
            map(
                Decision._make,
                zip(
                    map(images.__getitem__, left),
                    repeat("keep"),
                    map(claimer.get, left),
                    (held.get(k, ()) for k in left),
                    repeat(False),
                ),
            )
        )
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
        try:
            return now + timedelta(
                seconds=int(relative.group(1)) * _UNIT_SECONDS[relative.group(2)]
            )
        except OverflowError:
            raise InvalidInput(
                f"invalid --at {text!r}: too far ahead (past the year 9999)"
            ) from None
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
