"""A small EventBridge pattern matcher of our own, to check the patterns ecrctl builds.

moto's ``test_event_pattern`` is a stub, so this matcher is what proves that a pattern catches
the sample events (and not others). It follows EventBridge's documented semantics: every field
in the pattern must match; a list of values matches if any of them does; an event array matches
if any of its elements does; content filters (``prefix``, ``suffix``, ``anything-but``,
``numeric``, ``exists``, ``equals-ignore-case``, ``wildcard``, ``cidr``) and ``$or`` are
supported.
"""

from __future__ import annotations

import ipaddress
import operator
import re
from collections.abc import Callable
from typing import Any

from ecrctl.core.exceptions import InvalidInput

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
