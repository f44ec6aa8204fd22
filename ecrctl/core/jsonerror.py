"""Where a JSON text is broken, told the same way on every Python.

Python 3.13 names a trailing comma itself ("Illegal trailing comma before end of object", at the
comma); 3.11 and 3.12 report the token after it ("Expecting property name enclosed in double
quotes" or "Expecting value", at the closing bracket). Both are told here as 3.13 tells them,
and the line and column are counted from the text and the offset, never read from a message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class JsonSyntaxError:
    message: str
    line: int  # 1-based
    column: int  # 1-based, in characters


def syntax_error(text: str, error: json.JSONDecodeError) -> JsonSyntaxError:
    """The message, line and column of ``error``, raised by ``json.loads(text)``."""
    offset = min(max(error.pos, 0), len(text))
    message = error.msg
    closing = text[offset : offset + 1]
    if closing in ("}", "]") and not message.startswith("Illegal trailing comma"):
        before = text[:offset].rstrip(" \t\r\n")
        if before.endswith(","):
            offset = len(before) - 1
            message = "Illegal trailing comma before end of " + (
                "object" if closing == "}" else "array"
            )
    line_start = text.rfind("\n", 0, offset) + 1
    return JsonSyntaxError(message, text.count("\n", 0, offset) + 1, offset - line_start + 1)
