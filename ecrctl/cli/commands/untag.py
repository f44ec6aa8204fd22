"""ecrctl untag: remove tags and images, in bulk."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import typer

from ecrctl.cli.common import RepoArg, confirm, interactive, say, say_capped, state, workers
from ecrctl.cli.output import View, short_digest
from ecrctl.cli.progress import Reporter
from ecrctl.core.ecr.api import MAX_BATCH_IDS, EcrRegistry
from ecrctl.core.exceptions import Refused
from ecrctl.core.images.untag import INDEX_MEDIA_TYPES, Removal, UntagPlan, UntagService


def _removal_note(plan: UntagPlan, index: int) -> str:
    removal = plan.removals[index]
    if removal.reason:
        return removal.reason
    if removal.kind == "tag":
        return "only this tag; the image keeps " + ", ".join(removal.remaining_tags)
    kind = "index, " if removal.media_type in INDEX_MEDIA_TYPES else ""
    return kind + (f"tags {', '.join(removal.tags)}" if removal.tags else "untagged")


def _held_by(plan: UntagPlan, digests: tuple[str, ...]) -> str:
    parts = []
    for digest in digests:
        tags = plan.index_tags.get(digest) or ()
        parts.append(f"{digest} ({', '.join(tags)})" if tags else digest)
    return ", ".join(parts)


def untag_view(plan: UntagPlan) -> View:
    rows: list[list[str]] = []
    text: list[list[str]] = []
    for number, removal in enumerate(plan.removals):
        action = "untag" if removal.kind == "tag" else "delete"
        ref = removal.tags[0] if removal.kind == "tag" else short_digest(removal.digest)
        if removal.kind == "image" and removal.tags:
            ref = ",".join(removal.tags)
        rows.append(
            [action, ref, short_digest(removal.digest), removal.status, _removal_note(plan, number)]
        )
        # Text rows name what the table names: the tag, the tags of a deleted image, or the
        # digest of an untagged one (the digest has its own column).
        text.append(
            [action, ",".join(removal.tags) or removal.digest, removal.digest, removal.status]
        )
    for kept in plan.kept:
        note = "still referenced by index " + _held_by(plan, kept.held_by)
        rows.append(["keep", short_digest(kept.digest), short_digest(kept.digest), "kept", note])
        text.append(["keep", kept.digest, kept.digest, "kept"])
    for missing in plan.missing:
        rows.append(["-", missing, "-", "not found", f"not in {plan.repository}"])
        text.append(["-", missing, "-", "not-found"])
    return View(
        doc=plan.to_json(),
        headers=("action", "ref", "digest", "status", "note"),
        rows=rows,
        text=text,
    )


def _amount(removals: Iterable[Removal]) -> str:
    """``2 tag(s) and 3 image(s)``: tags removed alone, and images deleted."""
    items = list(removals)
    tags = sum(r.kind == "tag" for r in items)
    images = len(items) - tags
    parts = [f"{tags} tag(s)"] if tags else []
    parts += [f"{images} image(s)"] if images or not tags else []
    return " and ".join(parts)


def _plan_line(removal: Removal) -> str:
    if removal.kind == "tag":
        return f"  untag {removal.tags[0]} (image {short_digest(removal.digest)} keeps " + (
            ", ".join(removal.remaining_tags) + ")"
        )
    return f"  delete {removal.digest} ({', '.join(removal.tags) or 'untagged'})"


def _progress(done: int, total: int) -> None:
    """A counter rewritten in place on a terminal; a line each tenth of the way otherwise."""
    reporter = Reporter()
    if reporter.live:
        reporter.overwrite(f"untag: {done}/{total} ids", last=done >= total)
    elif done >= total or (done * 10 // total) != ((done - MAX_BATCH_IDS) * 10 // total):
        reporter.say(f"untag: {done}/{total} ids")


def untag(
    ctx: typer.Context,
    repo: RepoArg,
    targets: Annotated[
        list[str] | None,
        typer.Argument(metavar="TAG|@DIGEST...", help="Tags and @sha256:... digests to remove."),
    ] = None,
    untagged: Annotated[
        bool, typer.Option("--untagged", help="Also remove every untagged image.")
    ] = False,
    match: Annotated[
        str | None,
        typer.Option("--match", metavar="GLOB", help="Also remove tags matching GLOB ('pr-*')."),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be removed; change nothing.")
    ] = False,
) -> None:
    """Remove tags and images: a tag of a multi-tag image goes alone, a digest deletes the image.

    An index is deleted before the images it references, and an image that an index which stays
    still references is kept. On a terminal it asks first; otherwise pass --yes.
    """
    app_state = state(ctx)
    ref, clients = app_state.target(repo)
    targets = list(targets or [])
    if ref.tag or ref.digest:  # a pasted image URI: its tag or digest is what to remove
        targets.insert(0, ref.tag or f"@{ref.digest}")
    if not dry_run and not yes and not interactive():
        confirm(f"Remove images from {ref.repository}?", yes=False)  # refuses before any call
    service = UntagService(
        EcrRegistry(clients.ecr(bulk_writes=True), clients.settings.registry_id), workers=workers()
    )
    plan = service.plan(ref.repository, targets, untagged=untagged, match=match)
    what = _amount(plan.removals) + f" from {ref.repository}"
    if plan.removals and not dry_run:
        if not yes:  # on a terminal: show what is about to go before asking
            say_capped([_plan_line(r) for r in plan.removals])
        confirm(f"Remove {what}?", yes=yes)
        large = len(plan.removals) > MAX_BATCH_IDS
        plan = service.execute(plan, progress=_progress if large else None)
    app_state.emit(untag_view(plan))
    _say_outcome(plan, what, dry_run=dry_run)
    if not plan.ok:
        problems = len(plan.failed) + len(plan.missing) + sum(k.explicit for k in plan.kept)
        raise Refused(f"{problems} id(s) not removed from {ref.repository} (listed above)")


def _say_outcome(plan: UntagPlan, what: str, *, dry_run: bool) -> None:
    """The notes on stderr (tags removed alone, images kept, failures, ids not found), then
    one line saying what was removed, or would be (``what``)."""
    say_capped(
        [
            f"{r.tags[0]}: only this tag is removed; image {short_digest(r.digest)} keeps "
            + ", ".join(r.remaining_tags)
            for r in plan.tags_removed
            if r.status != "failed"
        ]
    )
    say_capped(
        [
            f"kept {k.digest}: still referenced by index {_held_by(plan, k.held_by)}"
            for k in plan.kept
        ]
    )
    say_capped([f"{r.status} {r.ref}: {r.reason}" for r in plan.failed])
    say_capped([f"not found: {m}" for m in plan.missing])
    if not plan.removals:
        say(f"nothing to remove from {plan.repository}")
    elif dry_run:
        say(f"dry run: would remove {what}; nothing changed")
    else:
        removed = [r for r in plan.removals if r.status == "removed"]
        not_done = f"; not removed: {_amount(plan.failed)}" if plan.failed else ""
        say(f"removed {_amount(removed)} from {plan.repository}{not_done}")


def register(app: typer.Typer) -> None:
    app.command("untag")(untag)
