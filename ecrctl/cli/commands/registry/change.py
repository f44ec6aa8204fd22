"""How every registry setting changes: show, --dry-run, nothing-to-do, ask, apply, report."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TypeVar

from ecrctl.cli.common import AppState, Consent, confirm, say
from ecrctl.cli.output import View, cell
from ecrctl.core.registry.change import SettingPlan, SettingResult

T = TypeVar("T")


def decide(plan: SettingPlan[T], *, question: str, consent: Consent) -> SettingResult[T]:
    """Show the change; stop for --dry-run or when it would change nothing; ask (on a
    terminal; --yes off one) and apply it."""
    change = plan.change
    if not change.changed:
        say(f"{change.what} is already as asked; nothing changed")
        return plan.dry_run() if consent.dry_run else plan.apply()
    say(change.describe())
    if consent.dry_run:
        say("dry run: nothing changed")
        return plan.dry_run()
    confirm(question, yes=consent.yes)
    result = plan.apply()
    say(f"{change.what} changed")
    return result


def apply_change(
    app_state: AppState,
    plan: SettingPlan[T],
    *,
    question: str,
    consent: Consent,
    extra: Mapping[str, object] | None = None,
) -> None:
    """The one way a registry setting changes: decide, then emit before/after."""
    result = decide(plan, question=question, consent=consent)
    change = result.change
    doc = {**result.to_json(), **(extra or {})}
    row = [change.what, _short(change.before), _short(change.after), cell(doc["changed"])]
    app_state.emit(
        View(doc=doc, headers=("setting", "before", "after", "changed"), rows=[row], text=[row])
    )


def _short(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
