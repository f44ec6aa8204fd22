"""ecrctl promote REPO:TAG --from PROFILE --to PROFILE: the same name, tag and digest in
another profile's registry."""

from __future__ import annotations

from typing import Annotated

import typer

from ecrctl.cli.common import state, workers
from ecrctl.cli.copying import copy_access, render, watch
from ecrctl.cli.params import WithReferrers
from ecrctl.core.copy.run import CopyOptions, run_copy
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.names import destination, parse_reference


def promote(
    ctx: typer.Context,
    image: Annotated[
        str, typer.Argument(metavar="REPO:TAG", help="The image, in the --from profile's registry.")
    ],
    from_profile: Annotated[
        str, typer.Option("--from", metavar="PROFILE", help="AWS profile that holds the image.")
    ],
    to_profile: Annotated[
        str, typer.Option("--to", metavar="PROFILE", help="AWS profile to copy it to.")
    ],
    create: Annotated[
        bool, typer.Option("--create", help="Create the repository with the source's settings.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would move; change nothing.")
    ] = False,
    with_referrers: WithReferrers = False,
) -> None:
    """Copy REPO:TAG from one profile's ECR registry to another's: same name, tag and digest."""
    ref = parse_reference(image, what="image")
    if ref.host is not None:
        raise InvalidInput(
            f"promote takes REPO:TAG in the --from profile's registry, not {image!r}"
        )
    app_state = state(ctx)
    outcome = run_copy(
        ref,
        destination(ref.repository, ref),
        copy_access(app_state),
        from_profile=from_profile,
        to_profile=to_profile,
        options=CopyOptions(
            referrers=with_referrers, create=create, dry_run=dry_run, workers=workers()
        ),
        watch=watch(app_state),
    )
    render(app_state, outcome)


def register(app: typer.Typer) -> None:
    app.command("promote")(promote)
