"""How a lifecycle evaluation reads: the table, text and JSON views of ``lifecycle preview`` and
``lifecycle put``, and their one-line summaries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ecrctl.cli.output import View, short_digest, short_time

if TYPE_CHECKING:  # the lifecycle core is imported by the commands, not by --help
    from ecrctl.core.lifecycle.evaluate import Decision


def tags_of(decision: Decision) -> str:
    return ",".join(decision.image.tags) if decision.image.tags else "-"


def rule_of(decision: Decision) -> str:
    return str(decision.rule_priority) if decision.rule_priority is not None else "-"


def _action(entry: dict[str, Any]) -> str:
    """``expire``, ``transition``, ``keep``; ``expire-later`` / ``transition-later`` for an image
    acted on only on a later evaluation, after the indexes that reference it."""
    return str(entry["action"]) + ("-later" if entry.get("later") else "")


def _note(entry: dict[str, Any]) -> str:
    held_by = entry.get("referencedBy") or []
    if not held_by:
        return ""
    indexes = ", ".join(short_digest(d) for d in held_by)
    if not entry.get("later"):
        return f"referenced by kept index {indexes}"
    verb = "expires" if entry["action"] == "expire" else "is archived"
    return f"{verb} after its index {indexes}"


def affected_view(doc: dict[str, Any], title: str) -> View:
    """From the document's ``affected``, ``later`` and ``kept`` entries (when there). Text: one
    line per image acted on now or later (digest, tags, rule priority, action); the table also
    lists what is kept, and says which index keeps or delays an image."""

    def tags(entry: dict[str, Any]) -> str:
        return ",".join(entry["tags"]) if entry["tags"] else "-"

    def rule(entry: dict[str, Any]) -> str:
        priority = entry["rulePriority"]
        return "-" if priority is None else str(priority)

    acted: list[dict[str, Any]] = doc["affected"] + (doc.get("later") or [])
    shown = acted + (doc.get("kept") or [])
    notes = [_note(e) for e in shown]
    headers: tuple[str, ...] = ("digest", "tags", "pushed", "storage", "rule", "action")
    rows = [
        [
            short_digest(e["digest"]),
            tags(e),
            short_time(e["pushedAt"]),
            e["storageClass"],
            rule(e),
            _action(e),
        ]
        for e in shown
    ]
    if any(notes):
        headers += ("note",)
        rows = [[*row, note] for row, note in zip(rows, notes, strict=True)]
    return View(
        doc=doc,
        headers=headers,
        rows=rows,
        text=[[e["digest"], tags(e), rule(e), _action(e)] for e in acted],
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
