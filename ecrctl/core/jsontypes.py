"""Types of JSON documents: what ``json.loads`` gives and ``json.dumps`` takes.

``JsonValue`` is any JSON value (its arrays and objects as read-only ``Sequence`` and
``Mapping``, so that a ``list[str]`` or a ``dict[str, int]`` is one as it is); ``JsonObject`` is
an object ecrctl builds (``to_json``). A document read from a person or from AWS (a policy, an
event) is narrowed with ``isinstance`` before use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

JsonScalar: TypeAlias = str | int | float | bool | None
# Recursive: the quoted names are evaluated by type checkers, not at import.
JsonValue: TypeAlias = JsonScalar | Sequence["JsonValue"] | Mapping[str, "JsonValue"]
JsonObject: TypeAlias = dict[str, JsonValue]
JsonList: TypeAlias = list[JsonValue]

__all__ = ["JsonList", "JsonObject", "JsonScalar", "JsonValue"]
