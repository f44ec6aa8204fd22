"""Option values checked the way the rest of ecrctl says things, not in pydantic's words.

Typer 0.29 coerces typed values (enums, ``min=``) through pydantic and reports a bad one as
``Value error, 'size' is not one of ...`` or ``Input should be greater than or equal to 1``.
Options here are taken as plain strings and checked by these helpers, which raise
``InvalidInput``: one line ``ecrctl: invalid value for '--sort': ...`` and exit 2.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ecrctl.core.exceptions import InvalidInput


def choice(option: str, value: str, allowed: Sequence[str]) -> str:
    """One of ``allowed`` (any case), as written in ``allowed``."""
    text = value.strip().lower()
    for item in allowed:
        if item.lower() == text:
            return item
    raise InvalidInput(
        f"invalid value for '{option}': {value!r} is not one of {', '.join(allowed)}"
    )


def whole_number(option: str, value: str | None, *, minimum: int = 1) -> int | None:
    """A whole number of at least ``minimum``; None when the option was not given."""
    if value is None:
        return None
    text = value.strip()
    try:
        number = int(text)
    except ValueError:
        raise InvalidInput(
            f"invalid value for '{option}': {value!r} is not a whole number"
        ) from None
    if number < minimum:
        raise InvalidInput(f"invalid value for '{option}': {number} is less than {minimum}")
    return number


def completer(allowed: Sequence[str]) -> Callable[[str], list[str]]:
    """Shell completion of a choice taken as a string."""

    def complete(incomplete: str) -> list[str]:
        return [item for item in allowed if item.startswith(incomplete.lower())]

    return complete
