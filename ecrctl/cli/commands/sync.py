"""ecrctl sync SOURCE DEST: many repositories and every tag, digest for digest, idempotent."""

from __future__ import annotations

from typing import Annotated

import typer

from ecrctl.cli import params
from ecrctl.cli.common import say, state, workers
from ecrctl.cli.output import Column, View, short_digest
from ecrctl.core.exceptions import ConfigurationError, InvalidInput, Refused
from ecrctl.core.names import validate_repository_name
from ecrctl.core.sync.image import ImageOptions
from ecrctl.core.sync.plan import Selection, check_shapes, display, parse_repositories
from ecrctl.core.sync.run import SyncResult

COLUMNS = (
    Column("source", min_width=20),
    Column("destination", min_width=20),
    Column("digest"),
    Column("status"),
)


def sync_view(result: SyncResult) -> View:
    rows = result.rows
    return View(
        doc=[r.to_json() for r in rows],
        headers=("source", "destination", "digest", "status"),
        rows=[
            [display(r.source), display(r.destination), short_digest(r.digest), r.status]
            for r in rows
        ],
        text=[[display(r.source), display(r.destination), r.digest or "-", r.status] for r in rows],
        columns=COLUMNS,
    )


def sync(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE",
            help="A repository (all its tags), or a prefix ending in '/': every repository "
            "under it (docker.io/connectedhome/, 127.0.0.1:5000/team/, team/).",
        ),
    ],
    dest: Annotated[
        str,
        typer.Argument(
            metavar="DEST",
            help="A repository, or a prefix ending in '/' under which each source repository "
            'keeps its path ("$(ecrctl uri)/" is your ECR registry\'s root).',
        ),
    ],
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", metavar="GLOB", help="Only tags matching GLOB (repeatable)."),
    ] = None,
    repo: Annotated[
        list[str] | None,
        typer.Option(
            "--repo",
            metavar="GLOB",
            help="Only repositories whose path below SOURCE (or full name) matches (repeatable).",
        ),
    ] = None,
    newest: Annotated[
        int | None,
        typer.Option(
            "--newest",
            metavar="N",
            min=1,
            help="Only the newest N tags of each repository, in natural version order.",
        ),
    ] = None,
    platform: Annotated[
        str | None,
        typer.Option(
            "--platform",
            metavar="OS/ARCH",
            help="Copy that platform of each index as its own image (its own digest).",
        ),
    ] = None,
    with_referrers: params.WithReferrers = False,
    create: Annotated[
        bool,
        typer.Option("--create", help="Create missing ECR destination repositories."),
    ] = False,
    settings_from: Annotated[
        str | None,
        typer.Option(
            "--settings-from",
            metavar="REPO",
            help="With --create: create them like this destination repository (settings and "
            "lifecycle policy).",
        ),
    ] = None,
    from_profile: params.FromProfile = None,
    to_profile: params.ToProfile = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="List what would be copied (HEADs only); change nothing."),
    ] = False,
    insecure_registry: params.InsecureRegistry = None,
) -> None:
    """Sync repositories and all their tags into another registry, digest for digest.

    A HEAD on each side decides first: an image already at DEST under its tag is up-to-date
    and costs nothing more, so a re-run with nothing new only reads digests. Layers shared by
    many images cross the wire once per destination registry (mounted after that); images and
    blobs go in parallel (ECRCTL_CONCURRENCY). Exit 1 when an image failed (the rest is done;
    run it again to finish), 3 when SOURCE names nothing.
    """
    from ecrctl.cli.progress import Reporter
    from ecrctl.cli.syncing import SyncMeter, build_end, summary_line
    from ecrctl.core.distribution.resume import UploadStates
    from ecrctl.core.sync.run import SyncRequest, Watcher, run_sync

    params.check_platform(platform)
    if settings_from and not create:
        raise InvalidInput("--settings-from names what --create creates repositories like")
    if settings_from:
        validate_repository_name(settings_from)
    selection = Selection(tuple(repo or ()), tuple(tag or ()), newest)
    src_repos = parse_repositories(source, what="SOURCE")
    dst_repos = parse_repositories(dest, what="DEST")
    check_shapes(src_repos, dst_repos)
    app_state = state(ctx)
    hosts = params.insecure_hosts(insecure_registry)
    count = workers()
    src = build_end(app_state, "source", src_repos, from_profile, hosts)
    dst = build_end(app_state, "destination", dst_repos, to_profile, hosts)
    template = None
    if dst.ecr is None and (create or settings_from):
        say(f"--create: {dst.where} is not ECR; its repositories are created by the push")
    elif settings_from and dst.ecr is not None:
        from ecrctl.core.sync.ecrdest import template_from

        template = template_from(dst.ecr, settings_from)
    options = ImageOptions(platform, with_referrers, dry_run, count, UploadStates())
    request = SyncRequest(src, dst, selection, options, create, template, count)
    meter = SyncMeter(Reporter(app_state.streams))
    watcher = Watcher(say, meter.on_listed, meter.on_image, meter.on_bytes)
    result = run_sync(request, watcher)
    app_state.emit(sync_view(result))
    say(summary_line(result.summary, dry_run=dry_run))
    if result.summary.limit_advice:
        raise Refused(result.summary.limit_advice)
    failed = result.failed
    if failed and len(failed) == len(result.rows) and all(r.denied for r in failed):
        reason = failed[0].error.removeprefix("access denied: ")
        raise ConfigurationError(f"access denied: {reason}")  # not one image went
    if failed and len(failed) == len(result.rows):
        raise Refused(
            f"all {len(failed)} image(s) failed (named above); fix the cause and run the same "
            "command again"
        )
    if failed:
        raise Refused(
            f"{len(failed)} of {len(result.rows)} image(s) failed (named above); the rest is "
            "in place: run the same command again to finish"
        )


def register(app: typer.Typer) -> None:
    app.command("sync")(sync)
