"""How every registry setting changes: show, --dry-run, nothing-to-do, ask, apply, report."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TypeVar

from ecrctl.cli.common import AppState, confirm, say
from ecrctl.cli.output import View, cell
from ecrctl.core.registry.settings import SettingChange

T = TypeVar("T")


def apply_change(
    app_state: AppState,
    change: SettingChange[T],
    apply: Callable[[], None],
    *,
    question: str,
    yes: bool,
    dry_run: bool,
    extra: Mapping[str, object] | None = None,
) -> None:
    """The one way a registry setting changes: show it, stop for --dry-run or when it would
    change nothing, ask (on a terminal; --yes off one), apply, and emit before/after."""
    if not change.changed:
        say(f"{change.what} is already as asked; nothing changed")
    else:
        say(change.describe())
        if dry_run:
            say("dry run: nothing changed")
        else:
            confirm(question, yes=yes)
            apply()
            say(f"{change.what} changed")
    doc = {**change.to_json(applied=not dry_run), "dryRun": dry_run, **(extra or {})}
    app_state.emit(
        View(
            doc=doc,
            headers=("setting", "before", "after", "changed"),
            rows=[[change.what, _short(change.before), _short(change.after), cell(doc["changed"])]],
            text=[[change.what, _short(change.before), _short(change.after), cell(doc["changed"])]],
        )
    )


def _short(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
