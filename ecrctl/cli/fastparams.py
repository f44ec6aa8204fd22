"""Typer's value coercion without pydantic where a value needs none.

Typer 0.29 coerces every parameter value through a pydantic ``TypeAdapter`` built on first use;
the first one imports pydantic, which costs 100-250 ms on every ``ecrctl`` command, although most
values are an absent option (None), a default enum member, or a plain string, which pydantic
returns unchanged. ``defer_coercion`` gives each parameter a runtime coercer that answers those
cases itself and hands every other value (numbers, paths, a choice typed by the user, anything
unexpected) to typer's own coercion, built as before, so messages and results do not change.
typer is pinned to 0.29.x in pyproject.toml; with another typer this does nothing.
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

    def _plain(self, value: Any, multi: bool, ctx: Any) -> tuple[bool, Any]:
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
            # A choice typed exactly as declared; anything else (another case, a bad value)
            # goes to typer for its result or its message.
            for choice in annotation:
                if value == choice.value:
                    return True, choice
        return False, None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multi = bool(param.multiple or param.nargs == -1)
        if value is None:
            return () if multi else None
        done, result = self._plain(value, multi, ctx)
        if done:
            return result
        if self._real is None:
            self._real = self._build(self.descriptor)
        return self._real.coerce(value, param=param, ctx=ctx)


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
