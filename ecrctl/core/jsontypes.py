"""Types for JSON: what ecrctl builds and hands to the renderer, and what it parses.

``JsonValue`` is covariant (``Sequence``/``Mapping``), so a ``list[str]`` or a ``dict[str, int]``
built by the code is a ``JsonValue`` as it stands; ``JsonObject`` is the mutable object a
``to_json()`` returns or a template is built in. Parsed JSON that code reads key by key is
narrowed with ``isinstance`` (or described with a ``TypedDict``) rather than typed ``Any``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

JsonScalar: TypeAlias = str | int | float | bool | None
JsonValue: TypeAlias = JsonScalar | Sequence["JsonValue"] | Mapping[str, "JsonValue"]
JsonObject: TypeAlias = dict[str, JsonValue]

__all__ = ["JsonObject", "JsonScalar", "JsonValue"]
