"""A lifecycle policy's text read safely, and the checks that span rules.

``decode``: the size before anything else (a 50 MB text is never parsed), then JSON errors,
nesting too deep and numbers too long to convert, each one problem rather than an exception.
``capped``: a 30 KB text can hold 15,000 bad rules; list MAX_LISTED_PROBLEMS and count the rest.
``cross_rule``: the constraints between rules that select the same storage class.
"""

from __future__ import annotations

import json
from typing import TypeGuard

from ecrctl.core.jsonerror import syntax_error
from ecrctl.core.jsontypes import JsonValue
from ecrctl.core.lifecycle.model import (
    MAX_POLICY_CHARS,
    MIN_POLICY_CHARS,
    STORAGE_CLASSES,
    Problem,
    Rule,
)

MAX_INTEGER = 2**31 - 1  # rulePriority and countNumber are 32-bit integers at ECR
MAX_LISTED_PROBLEMS = 100


def is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def decode(text: str) -> tuple[JsonValue, list[Problem]]:
    """The JSON document, or the one problem that stops reading it (size first: a 50 MB text
    is never parsed; then bad JSON, nesting too deep, a number too long to convert)."""
    length = len(text)
    if length > MAX_POLICY_CHARS:
        return None, [
            Problem(
                f"the policy text is {length:,} characters; ECR takes "
                f"{MIN_POLICY_CHARS}-{MAX_POLICY_CHARS:,} (not checked further)"
            )
        ]
    try:
        doc: JsonValue = json.loads(text)
        return doc, []
    except json.JSONDecodeError as error:
        where = syntax_error(text, error)
        return None, [
            Problem(f"invalid JSON: {where.message}", line=where.line, column=where.column)
        ]
    except RecursionError:
        return None, [Problem("invalid JSON: nested too deeply")]
    except ValueError as error:  # Python converts at most 4,300 digits (sys.int_info)
        if "digits" in str(error):
            return None, [Problem("invalid JSON: a number of more than 4,300 digits")]
        return None, [Problem(f"invalid JSON: {_short(str(error))}")]


def shown(value: object) -> str:
    """A value from the policy as a message shows it: a repr, cut short."""
    if is_int(value) and value.bit_length() > 64:
        return f"an integer of {len(str(value)):,} digits"
    return _short(repr(value))


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def capped(problems: list[Problem]) -> list[Problem]:
    """At most MAX_LISTED_PROBLEMS, then one line saying how many more there are."""
    if len(problems) <= MAX_LISTED_PROBLEMS:
        return problems
    more = len(problems) - MAX_LISTED_PROBLEMS
    return [
        *problems[:MAX_LISTED_PROBLEMS],
        Problem(f"and {more:,} more problems, not listed ({len(problems):,} in all)"),
    ]


def cross_rule(rules: list[Rule], positions: dict[int, int], problems: list[Problem]) -> None:
    """Constraints between rules that select the same storage class."""

    def problem(rule: Rule, field: str, message: str) -> None:
        located = Problem(message, field=field, rule=positions[id(rule)], priority=rule.priority)
        problems.append(located)

    for storage_class in STORAGE_CLASSES:
        group = sorted(
            (r for r in rules if r.selection.storage_class == storage_class),
            key=lambda r: r.priority,
        )
        if not group:
            continue
        highest = group[-1].priority
        for rule in group:
            if rule.selection.tag_status == "any" and rule.priority != highest:
                problem(
                    rule,
                    "rulePriority",
                    f"a tagStatus any rule must have the highest rulePriority of the rules "
                    f"for {storage_class} images ({highest} is higher)",
                )
        untagged = [r for r in group if r.selection.tag_status == "untagged"]
        for rule in untagged[1:]:
            problem(
                rule,
                "selection.tagStatus",
                f"only one rule may select untagged {storage_class} images "
                f"(rulePriority {untagged[0].priority} already does)",
            )
        seen: dict[tuple[str, frozenset[str]], Rule] = {}
        for rule in group:
            sel = rule.selection
            key_name = "tagPatternList" if sel.tag_pattern_list is not None else "tagPrefixList"
            values = sel.tag_pattern_list or sel.tag_prefix_list
            if values is None:
                continue
            key = (key_name, frozenset(values))
            if key in seen:
                problem(
                    rule,
                    f"selection.{key_name}",
                    f"the same {key_name} as rulePriority {seen[key].priority}: the rules "
                    f"for {storage_class} images must have unique tag lists",
                )
            else:
                seen[key] = rule
