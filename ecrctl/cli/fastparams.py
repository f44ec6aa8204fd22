"""Typer's value coercion without pydantic where a value needs none.

Typer 0.29 coerces every parameter value through a pydantic ``TypeAdapter`` built on first use;
the first one imports pydantic, which costs 100-250 ms on every ``ecrctl`` command (measured:
`ecrctl repo list` against a local emulator, 0.29.2, with and without this module), although
most values are an absent option (None), a default enum member, a choice, a number or a plain
string. ``defer_coercion`` gives each parameter a runtime coercer that answers those cases itself
(a bad choice or number in click's words, not pydantic's) and hands every other value (paths,
anything unexpected) to typer's own coercion, built as before.

This is the one place ecrctl reaches a typer internal (``typer.core.build_runtime_param``), by
the rule of the options issue: a shortcut only where the public route costs over 50 ms on a
command line people run often, in one module, with a fallback (another typer, without that
name, is left as it is: the app then runs on typer's public path, correct and slower) and a test
that fails when the internal changes (tests/unit/test_limits_fastparams.py).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, get_args, get_origin


class _Deferred:
    """Stands in for typer's RuntimeParam: ``coerce(value, param, ctx)``."""

    def __init__(self, descriptor: Any, build: Callable[[Any], Any]) -> None:
        self.descriptor = descriptor
        self._build = build
        self._real: Any = None

    def _plain(self, value: Any, multi: bool, param: Any) -> tuple[bool, Any]:
        info = self.descriptor.parameter_info
        if getattr(info, "parser", None) is not None or getattr(info, "click_type", None):
            return False, None
        annotation = self.descriptor.annotation
        if multi:
            strings = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
            if strings and get_origin(annotation) is list and get_args(annotation) == (str,):
                return True, list(value)
            return False, None
        if annotation is str and isinstance(value, str):
            return True, value
        member = isinstance(annotation, type) and issubclass(annotation, Enum | bool)
        if member and isinstance(value, annotation):
            return True, value  # a default enum member or a flag: typer returns it as is
        if member and isinstance(value, str) and issubclass(annotation, Enum):
            return True, self._choice(annotation, value)
        number = _numeric(annotation)
        if number is not None and isinstance(value, str):
            return True, _number(number, value, param)
        return False, None

    def _choice(self, annotation: type[Enum], value: str) -> Enum:
        """A choice as typed (or in another case, where the option allows); else click's
        "Invalid value for '--x': 'y' is not one of a, b." (exit 2), not pydantic's words."""
        for choice in annotation:
            if value == choice.value:
                return choice
        if not self.descriptor.case_sensitive:
            for choice in annotation:
                if value.casefold() == str(choice.value).casefold():
                    return choice
        allowed = ", ".join(str(c.value) for c in annotation)
        raise _bad(f"{value!r} is not one of {allowed}")

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multi = bool(param.multiple or param.nargs == -1)
        if value is None:
            return () if multi else None
        done, result = self._plain(value, multi, param)
        if done:
            return result
        if self._real is None:
            self._real = self._build(self.descriptor)
        return self._real.coerce(value, param=param, ctx=ctx)


def _bad(message: str) -> Exception:
    import typer

    return typer.BadParameter(message)


def _numeric(annotation: Any) -> type[int] | type[float] | None:
    """int or float, also inside ``int | None``; None for anything else."""
    options = [a for a in get_args(annotation) if a is not type(None)] or [annotation]
    if len(options) == 1 and options[0] in (int, float):
        kind: type[int] | type[float] = options[0]
        return kind
    return None


def _number(kind: type[int] | type[float], value: str, param: Any) -> int | float:
    """A number typed on the command line, checked against the option's min and max."""
    import math

    try:
        number = kind(value.strip())
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise _bad(f"{value!r} is not {what}") from None
    if isinstance(number, float) and not math.isfinite(number):
        raise _bad(f"{value!r} is not a finite number")
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is not None and number < low:
        raise _bad(f"{value.strip()} is less than {low}")
    if high is not None and number > high:
        raise _bad(f"{value.strip()} is more than {high}")
    return number


def defer_coercion() -> None:
    """Make typer build its pydantic coercion only for values that need it (idempotent)."""
    import typer.core

    build = getattr(typer.core, "build_runtime_param", None)
    if build is None or getattr(build, "ecrctl_deferred", False):
        return  # another typer: leave it as it is

    def deferred(descriptor: Any) -> _Deferred:
        return _Deferred(descriptor, build)

    deferred.ecrctl_deferred = True  # type: ignore[attr-defined]
    setattr(typer.core, "build_runtime_param", deferred)  # noqa: B010
