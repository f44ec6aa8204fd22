"""How a lifecycle evaluation reads: the table, text and JSON views of ``lifecycle preview`` and
``lifecycle put``, and their one-line summaries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ecrctl.cli.output import View, short_digest, short_time
from ecrctl.core.models import iso

if TYPE_CHECKING:  # the lifecycle core is imported by the commands, not by --help
    from ecrctl.core.lifecycle.evaluate import Decision


def tags_of(decision: Decision) -> str:
    return ",".join(decision.image.tags) if decision.image.tags else "-"


def rule_of(decision: Decision) -> str:
    return str(decision.rule_priority) if decision.rule_priority is not None else "-"


def _action(decision: Decision) -> str:
    """``expire``, ``transition``, ``keep``; ``expire-later`` / ``transition-later`` for an image
    acted on only on a later evaluation, after the indexes that reference it."""
    return decision.action + ("-later" if decision.later else "")


def _note(decision: Decision) -> str:
    if not decision.held_by:
        return ""
    indexes = ", ".join(short_digest(d) for d in decision.held_by)
    if not decision.later:
        return f"referenced by kept index {indexes}"
    verb = "expires" if decision.action == "expire" else "is archived"
    return f"{verb} after its index {indexes}"


def affected_view(
    doc: object,
    title: str,
    affected: Sequence[Decision],
    later: Sequence[Decision] = (),
    kept: Sequence[Decision] = (),
) -> View:
    """The document, shown as its ``affected``, ``later`` and ``kept`` decisions (those it
    holds). Text: one line per image acted on now or later (digest, tags, rule priority,
    action); the table also lists what is kept, and says which index keeps or delays an image."""
    acted = [*affected, *later]
    shown = [*acted, *kept]
    notes = [_note(d) for d in shown]
    headers: tuple[str, ...] = ("digest", "tags", "pushed", "storage", "rule", "action")
    rows = [
        [
            short_digest(d.image.digest),
            tags_of(d),
            short_time(iso(d.image.pushed_at)),
            d.image.storage_class,
            rule_of(d),
            _action(d),
        ]
        for d in shown
    ]
    if any(notes):
        headers += ("note",)
        rows = [[*row, note] for row, note in zip(rows, notes, strict=True)]
    return View(
        doc=doc,
        headers=headers,
        rows=rows,
        text=[[d.image.digest, tags_of(d), rule_of(d), _action(d)] for d in acted],
        title=title,
    )


def summary(
    affected: list[Decision], kept: list[Decision] | None, later: list[Decision] | None = None
) -> str:
    expire = sum(1 for d in affected if d.action == "expire")
    transition = sum(1 for d in affected if d.action == "transition")
    text = f"{expire} to expire, {transition} to transition to archive"
    if later:
        text += f", {len(later)} on a later evaluation (after the index that references them)"
    if kept is not None:
        by_index = sum(1 for d in kept if d.held_by)
        text += f", {len(kept)} kept"
        if by_index:
            text += f" ({by_index} because a kept index references them)"
    return text
