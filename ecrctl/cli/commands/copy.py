"""ecrctl copy SRC DST: an image between repositories, regions, accounts and registries,
digest for digest."""

from __future__ import annotations

from typing import Annotated

import typer

from ecrctl.cli import params
from ecrctl.cli.common import state, workers
from ecrctl.cli.copying import copy_access, render, watch
from ecrctl.core.copy.ends import open_end
from ecrctl.core.copy.run import CopyOptions, run_copy
from ecrctl.core.exceptions import InvalidInput


def copy(
    ctx: typer.Context,
    src: Annotated[
        str,
        typer.Argument(
            metavar="SRC",
            help="Image: repo:tag, repo@sha256:..., any registry's reference, oci:DIR[:TAG] "
            "or docker-archive:FILE[:REF].",
        ),
    ],
    dst: Annotated[
        str,
        typer.Argument(
            metavar="DST",
            help="Repository (keeps the tag) or repo:tag, in any registry; oci:DIR[:TAG] or "
            "docker-archive:FILE[:REF].",
        ),
    ],
    from_profile: params.FromProfile = None,
    to_profile: params.ToProfile = None,
    create: Annotated[
        bool,
        typer.Option(
            "--create", help="Create the destination ECR repository with the source's settings."
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Show what would move (manifests, blobs, bytes); change nothing."
        ),
    ] = False,
    platform: Annotated[
        str | None,
        typer.Option(
            "--platform",
            metavar="OS/ARCH",
            help="Copy one platform of an index as its own image (its digest, not the index's); "
            "a single image must be that platform.",
        ),
    ] = None,
    all_platforms: Annotated[
        bool, typer.Option("--all-platforms", help="Copy the whole index (the default).")
    ] = False,
    with_referrers: params.WithReferrers = False,
    no_clobber: Annotated[
        bool,
        typer.Option(
            "--no-clobber",
            help="Refuse (exit 1, nothing changed) if DST's tag names another image.",
        ),
    ] = False,
    insecure_registry: params.InsecureRegistry = None,
) -> None:
    """Copy an image between repositories, regions, accounts and registries, digest for digest.

    Blobs are streamed in parallel, mounted within one registry, skipped when already there; an
    index's children go first, the index last, the tag last of all. DST ends with exactly the
    source digest. Bare names (app:1.4) are the profile's own ECR registry; no tag means
    :latest. oci:DIR[:TAG] is an OCI image layout (the digest kept byte for byte),
    docker-archive:FILE[:REF] a `docker save` tarball (its manifest is built; the digest is
    printed): no docker daemon is needed.
    """
    if platform and all_platforms:
        raise InvalidInput("--platform and --all-platforms exclude each other")
    params.check_platform(platform)
    src_store, src_ref = open_end(src, None)
    dst_store, dst_ref = open_end(dst, src_ref)
    if platform and dst_ref.digest:
        raise InvalidInput("--platform copies the platform's own manifest: give DST a tag")
    app_state = state(ctx)
    options = CopyOptions(
        platform=platform,
        referrers=with_referrers,
        create=create,
        dry_run=dry_run,
        no_clobber=no_clobber,
        insecure=params.insecure_hosts(insecure_registry),
        workers=workers(),
    )
    outcome = run_copy(
        src_ref,
        dst_ref,
        copy_access(app_state),
        from_profile=from_profile,
        to_profile=to_profile,
        options=options,
        watch=watch(app_state),
        stores=(src_store, dst_store),
    )
    render(app_state, outcome)


def register(app: typer.Typer) -> None:
    app.command("copy")(copy)
