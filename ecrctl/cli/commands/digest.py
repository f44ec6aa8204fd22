"""ecrctl digest IMAGE: the manifest digest, one line."""

from __future__ import annotations

import typer

from ecrctl.cli.common import state
from ecrctl.cli.imageview import ImageArg, PlatformOption, open_image
from ecrctl.cli.output import View
from ecrctl.core.images.inspect import check_platform, digest_of


def digest(ctx: typer.Context, image: ImageArg, platform: PlatformOption = None) -> None:
    """Print an image's manifest digest: a multi-platform index's own digest, or with
    --platform its image for that platform (a single image: itself, if its config names that
    platform; exit 3 if not). One HEAD request where the registry allows.

    ecrctl digest docker.io/library/alpine:3.20 --platform linux/arm64
    """
    check_platform(platform)
    app_state = state(ctx)
    store, ref = open_image(app_state, image)
    found = digest_of(store, ref, platform)
    doc = {"reference": str(ref), "platform": platform, "digest": found}
    app_state.emit(View.lines(doc, [found]))


def register(app: typer.Typer) -> None:
    app.command("digest")(digest)
