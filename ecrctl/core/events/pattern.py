"""The EventBridge pattern ecrctl builds for ECR events: ``--event``/``--result`` parsed into
kinds, the pattern built from them, and an existing rule's pattern read back.

(The matcher that proves these patterns catch the sample events lives with the tests, in
tests/event_pattern.py: moto's ``test_event_pattern`` is a stub.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.jsontypes import JsonObject

SOURCE = "aws.ecr"
# The detail-types ECR sends to EventBridge, as the EventBridge event reference names them.
ACTION = "ECR Image Action"
SCAN = "ECR Image Scan"
REPLICATION = "ECR Replication Action"
PULL_THROUGH = "ECR Pull Through Cache Action"
REFERRER = "ECR Referrer Action"
SCAN_CHANGE = "ECR Scan Resource Change"
DETAIL_TYPES = (ACTION, SCAN, REPLICATION, PULL_THROUGH, REFERRER, SCAN_CHANGE)

KINDS = ("push", "delete", "scan")  # the default choice: successful pushes, deletes, scans
ALL = "all"  # every ECR event: {"source": ["aws.ecr"]}, as the console's "All Events"
# Every kind ``--event`` takes, in the order patterns and listings use.
EVERY_KIND = (
    "push",
    "push-failed",
    "delete",
    "delete-failed",
    "scan",
    "replication",
    "replication-failed",
    "pull-through",
    "referrer",
    "scan-resource-change",
)
RESULTS = ("success", "failed", "any")
_WITH_RESULT = ("push", "delete", "replication")  # the kinds whose events carry a result
_ACTION_TYPES = {"push": "PUSH", "delete": "DELETE"}
_PLAIN_TYPES = {
    "scan": SCAN,
    "pull-through": PULL_THROUGH,
    "referrer": REFERRER,
}


def parse_kinds(values: Iterable[str] | None, result: str | None = None) -> tuple[str, ...]:
    """``--event push,delete --event scan [--result any]`` -> the kinds, in EVERY_KIND order.

    ``--result`` applies to the kinds whose events carry one (push, delete, replication):
    ``success`` (the default) keeps them, ``failed`` swaps each for its ``-failed`` kind,
    ``any`` adds the ``-failed`` kind. ``all`` stands alone.
    """
    outcome = (result or "success").strip().lower()
    if outcome not in RESULTS:
        raise InvalidInput(f"invalid --result {result!r}: use success, failed or any")
    chosen: set[str] = set()
    for value in values or ():
        for part in value.split(","):
            kind = part.strip().lower()
            if not kind:
                continue
            if kind != ALL and kind not in EVERY_KIND:
                raise InvalidInput(f"invalid --event {kind!r}: use all, or {', '.join(EVERY_KIND)}")
            chosen.add(kind)
    if ALL in chosen:
        if len(chosen) > 1:
            raise InvalidInput("--event all already takes every ECR event: give it alone")
        if result is not None and outcome != "any":
            raise InvalidInput("--event all takes every result: drop --result, or choose events")
        return (ALL,)
    if not chosen:
        chosen = set(KINDS)
    for kind in _WITH_RESULT:
        if kind in chosen and outcome == "failed":
            chosen.discard(kind)
            chosen.add(f"{kind}-failed")
        elif kind in chosen and outcome == "any":
            chosen.add(f"{kind}-failed")
    return tuple(k for k in EVERY_KIND if k in chosen)


def _results(kinds: set[str], kind: str) -> list[str]:
    return [r for k, r in ((kind, "SUCCESS"), (f"{kind}-failed", "FAILED")) if k in kinds]


def build_pattern(kinds: Iterable[str], repositories: Iterable[str] = ()) -> JsonObject:
    """The rule's pattern: one branch per kind of event (image actions grouped), maybe narrowed.

    Scan events have no ``action-type``, so a pattern for several detail-types is an ``$or``
    of branches rather than one ``detail`` that would exclude some of them.
    """
    chosen = set(kinds)
    repos = sorted(set(repositories))
    narrow = {"repository-name": repos} if repos else {}
    if ALL in chosen:
        return {"source": [SOURCE], **({"detail": narrow} if narrow else {})}
    branches: list[JsonObject] = []
    # Image actions: PUSH and DELETE share a branch when they ask for the same results.
    groups: dict[tuple[str, ...], list[str]] = {}
    for kind, action in _ACTION_TYPES.items():
        results = tuple(_results(chosen, kind))
        if results:
            groups.setdefault(results, []).append(action)
    for results, actions in groups.items():
        detail = {"action-type": actions, "result": list(results), **narrow}
        branches.append({"detail-type": [ACTION], "detail": detail})
    for kind, detail_type in _PLAIN_TYPES.items():
        if kind == "pull-through":  # keep EVERY_KIND order: replication comes before it
            replication = _results(chosen, "replication")
            if replication:
                detail = {"result": replication, **narrow}
                branches.append({"detail-type": [REPLICATION], "detail": detail})
        if kind in chosen:
            branch: JsonObject = {"detail-type": [detail_type]}
            if narrow:
                branch["detail"] = dict(narrow)
            branches.append(branch)
    if "scan-resource-change" in chosen:
        branch = {"detail-type": [SCAN_CHANGE]}
        if narrow:  # this event lists the repositories it is about
            branch["detail"] = {"repositories": {"repository-name": repos}}
        branches.append(branch)
    if not branches:
        raise InvalidInput(f"no events chosen: use --event all, or {', '.join(EVERY_KIND)}")
    if len(branches) == 1:
        return {"source": [SOURCE], **branches[0]}
    return {"source": [SOURCE], "$or": branches}


def describe_pattern(
    pattern: Mapping[str, object],
) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The (kinds, repositories) an ecrctl-built pattern was made from; None for any other."""
    try:
        kinds, repos = _read_pattern(pattern)
        if not kinds or build_pattern(kinds, repos) != pattern:
            return None
    except (InvalidInput, TypeError, AttributeError):
        return None
    if ALL in kinds:
        return (ALL,), tuple(sorted(repos))
    return tuple(k for k in EVERY_KIND if k in kinds), tuple(sorted(repos))


def _read_pattern(pattern: Any) -> tuple[set[str], set[str]]:
    kinds: set[str] = set()
    repos: set[str] = set()
    if "detail-type" not in pattern and "$or" not in pattern:
        repos.update((pattern.get("detail") or {}).get("repository-name") or [])
        return {ALL}, repos
    branches = pattern.get("$or") or [{k: v for k, v in pattern.items() if k != "source"}]
    for branch in branches:
        detail = branch.get("detail") or {}
        repos.update(detail.get("repository-name") or [])
        repos.update((detail.get("repositories") or {}).get("repository-name") or [])
        detail_type = branch.get("detail-type")
        results = detail.get("result") or []
        if detail_type == [ACTION]:
            for kind, action in _ACTION_TYPES.items():
                if action in (detail.get("action-type") or []):
                    kinds.update(_kinds_for(kind, results))
        elif detail_type == [REPLICATION]:
            kinds.update(_kinds_for("replication", results))
        elif detail_type == [SCAN_CHANGE]:
            kinds.add("scan-resource-change")
        else:
            kinds.update(k for k, t in _PLAIN_TYPES.items() if detail_type == [t])
    return kinds, repos


def _kinds_for(kind: str, results: list[str]) -> list[str]:
    found = [kind] if "SUCCESS" in results else []
    return found + ([f"{kind}-failed"] if "FAILED" in results else [])
