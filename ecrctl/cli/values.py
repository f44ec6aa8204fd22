"""The one option check click does not make: a number of seconds must be finite.

Choices and whole numbers are click's own (``Literal`` and ``min=``: "'size' is not one of
'version', 'pushed', 'name'.", "0 is not in the range x>=1."). click's FloatRange lets ``nan``
and ``inf`` (and ``1e400``, which is inf) through, and a wait of NaN seconds never ends: the
float options take ``callback=finite``, which refuses them in click's words, exit 2.
"""

from __future__ import annotations

import math

import typer


def finite(value: float | None) -> float | None:
    """A typer option callback: the value unless it is NaN or infinite."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"{value} is not a finite number")
    return value
