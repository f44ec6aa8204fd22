"""``--query`` run on a result: a JMESPath expression over the JSON document, as in
``aws --query``. (``output.compile_query`` compiles it once, when the options are read: a bad
expression is exit 2 before any call.) An expression can also fail on the document it meets
(``abs(@)`` on an object, ``length(`1`)``): that is exit 2 too, with JMESPath's message but
never the value it choked on (it may be a password: ``login -o json``).
"""

from __future__ import annotations

import math
from typing import Any

from ecrctl.core.exceptions import InvalidInput


class QueryFailed(InvalidInput):
    """The expression failed on this document (exit 2)."""


def run_query(query: Any, doc: Any) -> Any:
    """``query.search(doc)``; QueryFailed saying why when the expression fails on ``doc``."""
    from jmespath.exceptions import JMESPathError, JMESPathTypeError

    try:
        found = query.search(doc)
    except JMESPathTypeError as error:
        # JMESPath's own words, without the value: "In function abs(), invalid type for
        # value: {...whole document...}, expected one of: ['number'], received: "object"".
        message = (
            f"In function {error.function_name}(), invalid type for value, expected one of: "
            f'{error.expected_types}, received: "{error.actual_type}"'
        )
        raise QueryFailed(_failed(query, message)) from None
    except JMESPathError as error:  # an unknown function, a wrong number of arguments
        raise QueryFailed(_failed(query, " ".join(str(error).split()))) from None
    if not _finite(found):
        raise QueryFailed(_failed(query, "the result has a number JSON cannot carry (Infinity)"))
    return found


def _failed(query: Any, message: str) -> str:
    return f"--query {getattr(query, 'expression', '')!r} failed: {message}"


def _finite(value: Any) -> bool:
    """No NaN or Infinity anywhere (``to_number('1e400')``): -o json would not be JSON.
    Iterative: a document nested a thousand deep is walked all the same."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True
