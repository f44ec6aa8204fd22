"""The ``ecrctl copy`` / ``ecrctl promote`` use case: both sides opened, the destination
repository checked (and created with --create), mounting checked within one ECR registry, then
the copy (or, for --dry-run, what it would move), returned as a ``CopyOutcome``.

The caller parses the references, hands over ``CopyAccess`` (what only it can make: tokens,
clients) and a ``Watch`` (notes as they happen, the progress of the transfer), and renders the
outcome. Errors of the registries' HTTP API become the exceptions of ``core.exceptions``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ecrctl.core.copy.copy import DEFAULT_WORKERS, Copier, CopyResult, Progress
from ecrctl.core.copy.ends import abandon, one_platform
from ecrctl.core.copy.plan import Plan
from ecrctl.core.copy.sides import CopyAccess, Side, open_end_side
from ecrctl.core.distribution.resume import UploadStates
from ecrctl.core.distribution.store import ImageStore
from ecrctl.core.distribution.transport import registry_errors
from ecrctl.core.exceptions import NotFound
from ecrctl.core.names import Reference


def _quiet(message: str) -> None:
    return None


def _unwatched(total_bytes: int, total_blobs: int) -> Progress:
    return Progress()


@dataclass(frozen=True)
class CopyOptions:
    platform: str | None = None  # copy this platform of an index as its own image
    referrers: bool = False  # signatures, SBOMs and other referrers too
    create: bool = False  # create a missing destination ECR repository like the source's
    dry_run: bool = False
    no_clobber: bool = False  # refuse to move a destination tag that names another image
    insecure: frozenset[str] = frozenset()  # hosts spoken to in plain HTTP
    workers: int = DEFAULT_WORKERS
    states: UploadStates | None = None  # where unfinished uploads are kept (None: the default)


@dataclass(frozen=True)
class Watch:
    """The person watching: ``note`` for each thing worth saying as it happens; ``start`` is
    called with the bytes and blobs to move just before the transfer and returns its progress
    callbacks (never for a dry run)."""

    note: Callable[[str], None] = _quiet
    start: Callable[[int, int], Progress] = _unwatched


@dataclass(frozen=True)
class CopyOutcome:
    """What the copy did (or, for a dry run, would do)."""

    result: CopyResult
    created: dict[str, Any] | None = None  # the settings of a repository --create made
    mounting: str | None = None  # ENABLED | DISABLED | unknown (within one ECR registry)
    refused: str | None = None  # why the destination tag may not move

    @property
    def plan(self) -> Plan:
        return self.result.plan

    @property
    def destination(self) -> Reference:
        return self.result.plan.destination


def run_copy(
    source: Reference,
    destination: Reference,
    access: CopyAccess,
    *,
    from_profile: str | None = None,
    to_profile: str | None = None,
    options: CopyOptions | None = None,
    watch: Watch | None = None,
    stores: tuple[ImageStore | None, ImageStore | None] = (None, None),
) -> CopyOutcome:
    """Copy ``source`` to ``destination`` (parsed, checked references) digest for digest.
    ``stores``: a local end opened by ``ends.open_end`` (an OCI layout, a docker archive) for
    either side; None for a registry."""
    options, watch = options or CopyOptions(), watch or Watch()
    try:
        with registry_errors():
            src = open_end_side(access, "source", source, stores[0], from_profile, options.insecure)
            dst = open_end_side(
                access, "destination", destination, stores[1], to_profile, options.insecure
            )
            return _copy(src, dst, options, watch)
    finally:
        abandon(stores[1])  # an archive not finished: its temporary file


def _copy(src: Side, dst: Side, options: CopyOptions, watch: Watch) -> CopyOutcome:
    copier = Copier(
        src.registry,
        dst.registry,
        workers=options.workers,
        states=options.states if options.states is not None else UploadStates(),
    )
    plan = copier.plan(
        src.ref, dst.ref, platform=options.platform, referrers=options.referrers, inspect=False
    )
    one_platform(dst.registry, plan.top)
    checked, mounting = DestinationCheck(), None
    if not plan.complete:  # a complete destination exists and keeps its tag: no check
        checked = prepare_destination(
            src, dst, create=options.create, dry_run=options.dry_run, note=watch.note
        )
        if options.no_clobber and checked.refused is None:
            checked = replace(checked, refused="--no-clobber was given")
        if plan.same_registry and dst.account is not None:
            mounting = check_mounting(plan, dst, dry_run=options.dry_run, note=watch.note)
        copier.inspect(plan)
        if not plan.mounts and plan.same_registry:
            note_not_mounted(plan, dst, dry_run=options.dry_run, note=watch.note)
    if options.platform and any(m.digest == plan.top.digest and m.platform for m in plan.manifests):
        watch.note(
            f"--platform {options.platform}: copying {plan.top.digest} on its own; the index "
            f"{src.ref.identifier} is not copied, so DST names the platform's digest"
        )
    if options.dry_run:
        if plan.tag_status == "move" and checked.refused:
            watch.note(
                f"dry run: the tag {dst.ref.tag} names {plan.previous}, and {checked.refused}: "
                "the copy would be refused"
            )
        result = CopyResult(plan, "dry-run", plan.top.digest, dry_run=True)
    else:
        copier.progress = watch.start(
            plan.bytes_to_move(), sum(b.status != "present" for b in plan.blobs.values())
        )
        result = copier.execute(plan, refuse_move=checked.refused)
    return CopyOutcome(result, checked.created, mounting, checked.refused)


@dataclass(frozen=True)
class DestinationCheck:
    """The destination ECR repository: why its tag may not move; what --create made of it."""

    refused: str | None = None
    created: dict[str, Any] | None = None


def prepare_destination(
    src: Side,
    dst: Side,
    *,
    create: bool,
    dry_run: bool,
    note: Callable[[str], None] = _quiet,
) -> DestinationCheck:
    """The destination ECR repository checked, or created with --create like the source's."""
    from ecrctl.core.copy.ecrside import RepositorySettings, create_repository, repository_settings
    from ecrctl.core.ecr.api import EcrRegistry

    if dst.account is None:
        return DestinationCheck()
    repo = dst.ref.repository
    current = repository_settings(EcrRegistry(dst.api(), dst.account), repo)
    if current is not None:
        why = "the destination repository is immutable" if current.immutable else None
        return DestinationCheck(refused=why)
    if not create:
        raise NotFound(
            f"destination repository {repo} does not exist in {dst.ref.host}; "
            "pass --create to create it with the source repository's settings"
        )
    like = RepositorySettings()
    if src.account is not None:
        like = repository_settings(EcrRegistry(src.api(), src.account), src.ref.repository) or like
        if like.encryption[1] and src.account != dst.account:
            like = replace(like, encryption=(like.encryption[0], None))  # keys stay home
    if dry_run:
        note(f"dry run: would create {repo} in {dst.ref.host}: {like.to_json()}")
    else:
        create_repository(EcrRegistry(dst.api(), dst.account), repo, like)
        note(
            f"created repository {repo} in {dst.ref.host} ({like.to_json()['imageTagMutability']})"
        )
    return DestinationCheck(created=like.to_json())


def check_mounting(
    plan: Plan, dst: Side, *, dry_run: bool, note: Callable[[str], None] = _quiet
) -> str | None:
    """Within one ECR registry: mount only where BLOB_MOUNTING allows (read once per copy).
    Returns the setting (ENABLED, DISABLED, unknown; None when not read: the same repository)."""
    from ecrctl.core.copy.mounting import blob_mounting
    from ecrctl.core.ecr.api import EcrRegistry

    if plan.source.repository == plan.destination.repository:
        return None
    mounting = blob_mounting(EcrRegistry(dst.api(), dst.account), dst.account, dst.caller_account)
    plan.mounts = mounting.attempt
    if mounting.reason and dry_run:
        note(f"dry run: blob mounting of {dst.ref.host} unknown ({mounting.reason}): mounts tried")
    return mounting.state


def note_not_mounted(
    plan: Plan, dst: Side, *, dry_run: bool, note: Callable[[str], None] = _quiet
) -> None:
    """Say how many blobs are copied because the registry does not mount them."""
    from ecrctl.core.registry.settings import BLOB_MOUNTING

    count = sum(b.status == "copy" for b in plan.blobs.values())
    if count:
        verb = "would be copied" if dry_run else "are copied"
        note(
            f"{'dry run: ' if dry_run else ''}blob mounting is disabled in {dst.ref.host} "
            f"(account setting {BLOB_MOUNTING}): {count} blob(s) {verb}, not mounted; "
            "`ecrctl registry blob-mounting enable` turns it on"
        )
