"""The EventBridge pattern ecrctl builds for ECR events, and a small matcher of our own.

moto's ``test_event_pattern`` is a stub, so the matcher here is what proves that a pattern
catches the sample events (and not others). It follows EventBridge's documented semantics:
every field in the pattern must match; a list of values matches if any of them does; an event
array matches if any of its elements does; content filters (``prefix``, ``suffix``,
``anything-but``, ``numeric``, ``exists``, ``equals-ignore-case``, ``wildcard``, ``cidr``) and
``$or`` are supported.
"""

from __future__ import annotations

import ipaddress
import operator
import re
from collections.abc import Callable, Iterable
from typing import Any

from ecrctl.core.exceptions import InvalidInput

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


def build_pattern(kinds: Iterable[str], repositories: Iterable[str] = ()) -> dict[str, Any]:
    """The rule's pattern: one branch per kind of event (image actions grouped), maybe narrowed.

    Scan events have no ``action-type``, so a pattern for several detail-types is an ``$or``
    of branches rather than one ``detail`` that would exclude some of them.
    """
    chosen = set(kinds)
    repos = sorted(set(repositories))
    narrow = {"repository-name": repos} if repos else {}
    if ALL in chosen:
        return {"source": [SOURCE], **({"detail": narrow} if narrow else {})}
    branches: list[dict[str, Any]] = []
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
            branch: dict[str, Any] = {"detail-type": [detail_type]}
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


def describe_pattern(pattern: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
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


def _read_pattern(pattern: dict[str, Any]) -> tuple[set[str], set[str]]:
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


# --- matcher ---------------------------------------------------------------------------------

_MISSING = object()
_NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
    ">=": operator.ge,
    ">": operator.gt,
}


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """Whether EventBridge would deliver ``event`` to a rule with ``pattern``."""
    return _match_object(pattern, event)


def _match_object(pattern: dict[str, Any], node: Any) -> bool:
    for key, expected in pattern.items():
        if key == "$or":
            if not any(_match_object(branch, node) for branch in expected):
                return False
            continue
        value = node.get(key, _MISSING) if isinstance(node, dict) else _MISSING
        if isinstance(expected, dict):
            # A nested pattern: match against the object, or any object of an array.
            candidates = value if isinstance(value, list) else [value]
            if not any(_match_object(expected, c) for c in candidates if isinstance(c, dict)):
                return False
        elif isinstance(expected, list):
            if not _match_values(expected, value):
                return False
        else:
            raise InvalidInput(f"invalid pattern: {key!r} must be a list or an object")
    return True


def _leaves(value: Any) -> list[Any]:
    """An event value as the list of scalars EventBridge compares (arrays flattened)."""
    if value is _MISSING:
        return []
    if isinstance(value, list):
        return [v for v in value if not isinstance(v, dict | list)]
    if isinstance(value, dict):
        return []
    return [value]


def _match_values(filters: list[Any], value: Any) -> bool:
    leaves = _leaves(value)
    for f in filters:
        if isinstance(f, dict):
            if "exists" in f:
                present = value is not _MISSING and not (isinstance(value, dict))
                if present == bool(f["exists"]):
                    return True
                continue
            if any(_content_filter(f, leaf) for leaf in leaves):
                return True
        elif any(_same(f, leaf) for leaf in leaves):
            return True
    return False


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    return bool(expected == actual)


def _content_filter(f: dict[str, Any], leaf: Any) -> bool:
    if len(f) != 1:
        raise InvalidInput(f"invalid pattern filter {f!r}: one operator per filter")
    ((name, arg),) = f.items()
    if name == "prefix":
        if isinstance(arg, dict):
            return isinstance(leaf, str) and leaf.lower().startswith(
                str(arg["equals-ignore-case"]).lower()
            )
        return isinstance(leaf, str) and leaf.startswith(arg)
    if name == "suffix":
        if isinstance(arg, dict):
            return isinstance(leaf, str) and leaf.lower().endswith(
                str(arg["equals-ignore-case"]).lower()
            )
        return isinstance(leaf, str) and leaf.endswith(arg)
    if name == "equals-ignore-case":
        return isinstance(leaf, str) and leaf.lower() == str(arg).lower()
    if name == "wildcard":
        return isinstance(leaf, str) and _wildcard(str(arg)).fullmatch(leaf) is not None
    if name == "numeric":
        if isinstance(leaf, bool) or not isinstance(leaf, int | float):
            return False
        pairs = zip(arg[::2], arg[1::2], strict=True)
        return all(_NUMERIC_OPS[op](float(leaf), float(bound)) for op, bound in pairs)
    if name == "anything-but":
        return not _anything_but_excludes(arg, leaf)
    if name == "cidr":
        try:
            return ipaddress.ip_address(str(leaf)) in ipaddress.ip_network(str(arg), strict=False)
        except ValueError:
            return False
    raise InvalidInput(f"invalid pattern filter {name!r}")


def _anything_but_excludes(arg: Any, leaf: Any) -> bool:
    if isinstance(arg, dict):
        return _content_filter(arg, leaf)
    values = arg if isinstance(arg, list) else [arg]
    return any(_same(v, leaf) for v in values)


def _wildcard(text: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in text.split("*")), re.DOTALL)
