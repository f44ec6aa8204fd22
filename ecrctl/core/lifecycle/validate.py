"""Check a lifecycle policy the way ECR does, before it is put, and list every problem.

Rules from the ECR user guide ("Lifecycle policy properties", "How lifecycle policies work",
"Examples of lifecycle policies") and botocore's model (policy text 100-30,720 characters):

- 1-50 rules, each with a unique positive integer ``rulePriority``, a ``selection`` and an
  ``action``; no other properties.
- ``tagStatus`` tagged|untagged|any. ``tagged`` needs exactly one of ``tagPrefixList`` and
  ``tagPatternList``; ``untagged`` and ``any`` take neither. A pattern has at most 4 ``*``.
- ``countType`` imageCountMoreThan|sinceImagePushed|sinceImagePulled|sinceImageTransitioned;
  ``countUnit: days`` for the ``since*`` types and never for imageCountMoreThan; ``countNumber``
  a positive integer (at least 90 for sinceImageTransitioned: archived images stay 90 days).
- ``storageClass`` standard|archive: ``archive`` with (and only with) sinceImageTransitioned.
- ``action.type`` expire|transition; ``transition`` needs ``targetStorageClass: archive``;
  sinceImagePulled only transitions, sinceImageTransitioned only expires.
- Among the rules selecting one storage class: a ``tagStatus: any`` rule has the highest
  ``rulePriority``, at most one rule selects untagged images, and no two rules have the same
  tag list. (AWS's own "Combining archive and expire rules" example has an ``any`` rule for
  each storage class, so these constraints are per storage class.)
"""

from __future__ import annotations

from ecrctl.core.jsontypes import JsonObject, JsonValue
from ecrctl.core.lifecycle.model import (
    ACTION_TYPES,
    COUNT_TYPES,
    MAX_POLICY_CHARS,
    MAX_RULES,
    MAX_WILDCARDS,
    MIN_ARCHIVE_DAYS,
    MIN_POLICY_CHARS,
    SINCE_COUNT_TYPES,
    STORAGE_CLASSES,
    TAG_STATUSES,
    TARGET_STORAGE_CLASSES,
    Action,
    InvalidPolicy,
    Policy,
    Problem,
    Rule,
    Selection,
)
from ecrctl.core.lifecycle.policytext import (
    MAX_INTEGER,
    capped,
    cross_rule,
    decode,
    is_int,
    shown,
)

_RULE_KEYS = ("rulePriority", "description", "selection", "action")
_SELECTION_KEYS = (
    "tagStatus",
    "tagPatternList",
    "tagPrefixList",
    "storageClass",
    "countType",
    "countUnit",
    "countNumber",
)
_ACTION_KEYS = ("type", "targetStorageClass")


def _choices(values: tuple[str, ...]) -> str:
    return ", ".join(values[:-1]) + f" or {values[-1]}" if len(values) > 1 else values[0]


class _RuleChecker:
    """Checks one rule; records problems located at that rule."""

    def __init__(self, position: int, raw: JsonValue, problems: list[Problem]) -> None:
        self.position = position
        self.raw = raw
        self.problems = problems
        self.priority: int | None = None

    def problem(self, field: str | None, message: str) -> None:
        self.problems.append(
            Problem(message, field=field, rule=self.position, priority=self.priority)
        )

    def unknown_keys(self, obj: JsonObject, allowed: tuple[str, ...], where: str) -> None:
        for key in obj:
            if key not in allowed:
                self.problem(
                    f"{where}{key}", f"unknown property (allowed here: {', '.join(allowed)})"
                )

    def section(self, raw: JsonValue, field: str, allowed: tuple[str, ...]) -> JsonObject | None:
        """A rule's ``selection`` or ``action``: present, an object, no unknown keys."""
        if raw is None:
            self.problem(field, "required")
            return None
        if not isinstance(raw, dict):
            self.problem(field, f"must be a JSON object, not {_kind(raw)}")
            return None
        self.unknown_keys(raw, allowed, f"{field}.")
        return raw

    def choice(self, raw: JsonObject, field: str, choices: tuple[str, ...]) -> str | None:
        """``raw[key]`` (``field`` is ``section.key``) when it is one of ``choices``; else None,
        and the problem: required, or not one of them."""
        value = raw.get(field.rpartition(".")[2])
        if value is None:
            self.problem(field, f"required: {_choices(choices)}")
        elif value not in choices:
            self.problem(field, f"{shown(value)} is not {_choices(choices)}")
        else:
            return str(value)
        return None

    def check(self) -> Rule | None:
        if not isinstance(self.raw, dict):
            self.problem(None, f"a rule is a JSON object, not {_kind(self.raw)}")
            return None
        raw = self.raw
        priority = raw.get("rulePriority")
        if is_int(priority) and 1 <= priority <= MAX_INTEGER:
            self.priority = priority
        self.unknown_keys(raw, _RULE_KEYS, "")
        ok = True
        if "rulePriority" not in raw:
            self.problem("rulePriority", "required (a unique positive integer)")
            ok = False
        elif self.priority is None:
            self.problem(
                "rulePriority",
                f"must be a positive integer up to {MAX_INTEGER:,}, not {shown(priority)}",
            )
            ok = False
        description = raw.get("description")
        if description is not None and not isinstance(description, str):
            self.problem("description", "must be a string")
            ok = False
        selection = self.selection(raw.get("selection"))
        action = self.action(raw.get("action"))
        if not ok or selection is None or action is None or self.priority is None:
            return None
        return Rule(self.priority, selection, action, _text(description))

    def selection(self, found: JsonValue) -> Selection | None:
        raw = self.section(found, "selection", _SELECTION_KEYS)
        if raw is None:
            return None
        before = len(self.problems)  # every check below records a problem when it fails
        tag_status = self.choice(raw, "selection.tagStatus", TAG_STATUSES)
        prefixes = self.tag_list(raw, "tagPrefixList")
        patterns = self.tag_list(raw, "tagPatternList")
        self.tag_lists(raw, tag_status)
        count_type = self.choice(raw, "selection.countType", COUNT_TYPES)
        count_unit = raw.get("countUnit")
        self.count_unit(raw, count_type)
        count_number = raw.get("countNumber")
        self.count_number(raw, count_type)
        storage_class = raw.get("storageClass", "standard")
        self.storage_class(storage_class, count_type)
        if len(self.problems) > before or tag_status is None or count_type is None:
            return None
        if not is_int(count_number):
            return None
        return Selection(
            tag_status=tag_status,
            count_type=count_type,
            count_number=count_number,
            count_unit=_text(count_unit),
            tag_prefix_list=prefixes,
            tag_pattern_list=patterns,
            storage_class=str(storage_class),
        )

    def tag_lists(self, raw: JsonObject, tag_status: str | None) -> None:
        """tagged needs exactly one of tagPatternList/tagPrefixList; untagged and any, neither."""
        has_prefixes = "tagPrefixList" in raw
        has_patterns = "tagPatternList" in raw
        if tag_status == "tagged":
            if has_prefixes and has_patterns:
                self.problem(
                    "selection.tagPatternList", "give tagPatternList or tagPrefixList, not both"
                )
            elif not has_prefixes and not has_patterns:
                self.problem(
                    "selection.tagPatternList",
                    "tagStatus tagged needs a tagPatternList or a tagPrefixList",
                )
        elif tag_status in ("untagged", "any"):
            for key in ("tagPrefixList", "tagPatternList"):
                if key in raw:
                    self.problem(
                        f"selection.{key}", f"only used with tagStatus tagged, not {tag_status}"
                    )

    def count_unit(self, raw: JsonObject, count_type: str | None) -> None:
        """ "days" with the since* count types; absent with imageCountMoreThan."""
        count_unit = raw.get("countUnit")
        if count_type in SINCE_COUNT_TYPES:
            if count_unit is None:
                self.problem("selection.countUnit", f'required ("days") with {count_type}')
            elif count_unit != "days":
                self.problem("selection.countUnit", f'{shown(count_unit)} is not "days"')
        elif count_type == "imageCountMoreThan" and "countUnit" in raw:
            self.problem(
                "selection.countUnit",
                "not used with imageCountMoreThan (only with the since* count types)",
            )

    def count_number(self, raw: JsonObject, count_type: str | None) -> None:
        count_number = raw.get("countNumber")
        if "countNumber" not in raw:
            self.problem("selection.countNumber", "required (a positive integer)")
        elif not is_int(count_number) or not 1 <= count_number <= MAX_INTEGER:
            self.problem(
                "selection.countNumber",
                f"must be a positive integer up to {MAX_INTEGER:,}, not {shown(count_number)}",
            )
        elif count_type == "sinceImageTransitioned" and count_number < MIN_ARCHIVE_DAYS:
            self.problem(
                "selection.countNumber",
                f"archived images stay at least {MIN_ARCHIVE_DAYS} days: "
                f"sinceImageTransitioned needs countNumber >= {MIN_ARCHIVE_DAYS}, "
                f"not {count_number}",
            )

    def storage_class(self, storage_class: JsonValue, count_type: str | None) -> None:
        """archive only with sinceImageTransitioned, standard with every other count type."""
        if storage_class not in STORAGE_CLASSES:
            self.problem(
                "selection.storageClass",
                f"{shown(storage_class)} is not {_choices(STORAGE_CLASSES)}",
            )
        elif count_type == "sinceImageTransitioned" and storage_class != "archive":
            self.problem(
                "selection.storageClass",
                'sinceImageTransitioned selects archived images: set "storageClass": "archive"',
            )
        elif count_type and count_type != "sinceImageTransitioned" and storage_class != "standard":
            self.problem(
                "selection.storageClass",
                f'{count_type} only selects storageClass "standard", not {shown(storage_class)}',
            )

    def tag_list(self, raw: JsonObject, key: str) -> tuple[str, ...] | None:
        if key not in raw:
            return None
        value = raw[key]
        field = f"selection.{key}"
        if not isinstance(value, list):
            self.problem(field, f"must be a list of strings, not {_kind(value)}")
            return None
        if not value:
            self.problem(field, "must not be empty")
            return None
        ok = True
        entries: list[str] = []
        for index, entry in enumerate(value):
            if not isinstance(entry, str) or not entry:
                self.problem(f"{field}[{index}]", f"must be a non-empty string, not {shown(entry)}")
                ok = False
            elif key == "tagPatternList" and entry.count("*") > MAX_WILDCARDS:
                self.problem(
                    f"{field}[{index}]",
                    f"{shown(entry)} has {entry.count('*')} wildcards; ECR allows at most "
                    f"{MAX_WILDCARDS} per pattern",
                )
                ok = False
            else:
                entries.append(entry)
        return tuple(entries) if ok else None

    def action(self, found: JsonValue) -> Action | None:
        raw = self.section(found, "action", _ACTION_KEYS)
        if raw is None:
            return None
        kind = self.choice(raw, "action.type", ACTION_TYPES)
        target = raw.get("targetStorageClass")
        ok = True
        if kind is None:
            return None
        if kind == "transition":
            if target is None:
                self.problem("action.targetStorageClass", 'required with transition: "archive"')
                ok = False
            elif target not in TARGET_STORAGE_CLASSES:
                self.problem("action.targetStorageClass", f'{shown(target)} is not "archive"')
                ok = False
        elif "targetStorageClass" in raw:
            self.problem("action.targetStorageClass", "only used with type transition")
            ok = False
        rule = self.raw if isinstance(self.raw, dict) else {}
        raw_selection = rule.get("selection")
        count_type = raw_selection.get("countType") if isinstance(raw_selection, dict) else None
        if count_type == "sinceImagePulled" and kind != "transition":
            self.problem(
                "action.type",
                "sinceImagePulled can only transition images to archive, not expire them "
                "(expire them later with a sinceImageTransitioned rule)",
            )
            ok = False
        if count_type == "sinceImageTransitioned" and kind != "expire":
            self.problem("action.type", "sinceImageTransitioned rules can only expire images")
            ok = False
        return Action(kind, _text(target)) if ok else None


def _text(value: JsonValue) -> str | None:
    """A value the checks found to be a string (or absent)."""
    return value if isinstance(value, str) else None


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def check_policy(text: str) -> tuple[Policy | None, list[Problem]]:
    """The policy if ``text`` is valid, and the problems found otherwise (at most
    MAX_LISTED_PROBLEMS of them, then a count of the rest)."""
    doc, problems = decode(text)
    if problems:
        return None, problems
    policy, problems = _check_document(doc, text)
    return policy, capped(problems)


def _check_document(doc: JsonValue, text: str) -> tuple[Policy | None, list[Problem]]:
    problems: list[Problem] = []
    length = len(text)
    if length < MIN_POLICY_CHARS:
        problems.append(
            Problem(
                f"the policy text is {length:,} characters; ECR takes "
                f"{MIN_POLICY_CHARS}-{MAX_POLICY_CHARS:,}"
            )
        )
    if not isinstance(doc, dict):
        problems.append(Problem(f'a policy is a JSON object with "rules", not {_kind(doc)}'))
        return None, problems
    for key in doc:
        if key != "rules":
            problems.append(Problem("unknown property (a policy has only rules)", field=key))
    raw_rules = doc.get("rules")
    if raw_rules is None:
        problems.append(Problem("required: a list of 1 to 50 rules", field="rules"))
        return None, problems
    if not isinstance(raw_rules, list):
        problems.append(Problem(f"must be a list of rules, not {_kind(raw_rules)}", field="rules"))
        return None, problems
    if not raw_rules or len(raw_rules) > MAX_RULES:
        problems.append(
            Problem(f"has {len(raw_rules)} rules; ECR takes 1 to {MAX_RULES}", field="rules")
        )
    rules: list[Rule] = []
    positions: dict[int, int] = {}
    by_priority: dict[int, int] = {}
    for position, raw in enumerate(raw_rules, 1):
        checker = _RuleChecker(position, raw, problems)
        rule = checker.check()
        if checker.priority is not None:
            if checker.priority in by_priority:
                problems.append(
                    Problem(
                        f"rulePriority {checker.priority} is also used by rule "
                        f"#{by_priority[checker.priority]}; priorities must be unique",
                        field="rulePriority",
                        rule=position,
                        priority=checker.priority,
                    )
                )
            else:
                by_priority[checker.priority] = position
        if rule is not None:
            rules.append(rule)
            positions[id(rule)] = position
    cross_rule(rules, positions, problems)
    if problems:
        return None, problems
    return Policy(tuple(rules), text), []


def parse_policy(text: str, source: str = "policy") -> Policy:
    """The validated policy, or InvalidPolicy listing every problem."""
    policy, problems = check_policy(text)
    if policy is None:
        raise InvalidPolicy(problems, source)
    return policy
