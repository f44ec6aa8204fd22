"""ecrctl sandbox: a local ECR emulator, no AWS account needed."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import typer

from ecrctl.cli.common import say, state
from ecrctl.cli.output import View
from ecrctl.cli.signals import stop_event

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def sandbox(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port on 127.0.0.1.")
    ] = 5000,
    seed: Annotated[
        bool,
        typer.Option(
            "--seed",
            help="Load sample data: team/app (version tags, an untagged image, a multi-arch "
            "index, scan findings, a lifecycle policy), team/web, tools/ci.",
        ),
    ] = False,
    data: Annotated[
        str | None,  # checked by _data_dir (one-line errors), not typer's Path
        typer.Option(
            "--data",
            metavar="DIR",
            help="Keep the registry's blobs (and unfinished uploads) in DIR across runs; "
            "repositories and manifests are not kept (default: a temporary directory).",
        ),
    ] = None,
) -> None:
    """Run a local ECR emulator until Ctrl-C or SIGTERM (then exit 0, port closed).

    It serves ECR, ECR Public's login token, EventBridge, IAM and STS on 127.0.0.1, and the
    registry itself (/v2/) on the same port: `ecrctl login` there, then docker, podman or
    skopeo push and pull 127.0.0.1:PORT/REPO:TAG.
    """
    from ecrctl.sandbox.emulator import running_emulator

    app_state = state(ctx)
    with stop_event(STOP_SIGNALS) as stop, running_emulator(port, _data_dir(data)) as emulator:
        if seed:
            from ecrctl.sandbox.seed import seed_sandbox

            for line in seed_sandbox(emulator.client("ecr"), emulator.blobs).lines():
                say(f"sandbox: seeded {line}")
        env = emulator.environment()
        app_state.emit(
            View(
                doc=env,
                rows=[[f"export {k}={v}"] for k, v in env.items()],
                text=[[f"export {k}={v}"] for k, v in env.items()],
            )
        )
        app_state.streams.stdout.flush()
        say(
            f"sandbox: ECR emulator on {emulator.endpoint}; eval the lines above in a shell, "
            "then use ecrctl or aws as usual. Ctrl-C stops it."
        )
        say(
            f"sandbox: images at {emulator.registry}/REPO:TAG (plain HTTP; `ecrctl login` "
            f"logs docker in); blobs in {data or 'a temporary directory'}"
        )
        stop.wait()
    say("sandbox: stopped")


def _data_dir(data: str | None) -> Path | None:
    if data is None:
        return None
    from ecrctl.core.exceptions import InvalidInput
    from ecrctl.core.inputs import printable

    path = Path(data)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InvalidInput(f"--data {printable(data)}: {error.strerror or error}") from None
    except ValueError:  # a NUL in the path
        raise InvalidInput(
            f"--data {printable(data)}: a path cannot hold a NUL character"
        ) from None
    return path.resolve()


def register(app: typer.Typer) -> None:
    app.command("sandbox")(sandbox)
