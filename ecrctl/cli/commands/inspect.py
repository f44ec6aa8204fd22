"""ecrctl inspect IMAGE: the manifest resolved: platforms, config, layers, referrers."""

from __future__ import annotations

from typing import Annotated

import typer

from ecrctl.cli.common import state
from ecrctl.cli.imageview import ImageArg, PlatformOption, inspection_view, open_image
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.images.inspect import check_platform, inspect


def inspect_command(
    ctx: typer.Context,
    image: ImageArg,
    platform: PlatformOption = None,
    raw: Annotated[
        bool,
        typer.Option(
            "--raw", help="Print the manifest bytes exactly as stored (sha256: the digest)."
        ),
    ] = False,
    config: Annotated[
        bool, typer.Option("--config", help="Print the image config blob exactly as stored.")
    ] = False,
) -> None:
    """Show an image: reference, digest, media type, size; an index's platforms and their
    digests; the config's created time, os/arch, entrypoint, cmd, env, user, working dir and
    labels; the layers; the referrers (signatures, SBOMs) the registry lists.

    ecrctl inspect docker.io/library/alpine:3.20 --platform linux/amd64 -o json
    """
    if raw and config:
        raise InvalidInput("--raw and --config exclude each other")
    check_platform(platform)
    app_state = state(ctx)
    if (raw or config) and app_state.renderer.query is not None:
        flag = "--raw" if raw else "--config"
        raise InvalidInput(f"--query does not apply to {flag} (it prints bytes as stored)")
    store, ref = open_image(app_state, image)
    result = inspect(store, ref, platform, referrers=not (raw or config))
    if raw:
        app_state.emit_bytes(result.manifest.data)
    elif config:
        if result.config is None:
            raise InvalidInput(
                f"{ref} is a multi-platform index, which has no config: pass --platform"
            )
        app_state.emit_bytes(result.config)
    else:
        app_state.emit(inspection_view(result))


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect_command)
