"""ecrctl sandbox / ecrctl demo: a local ECR emulator, no AWS account needed."""

from __future__ import annotations

import sys
import threading
from typing import Annotated

import typer

from ecrctl.cli.common import say, state
from ecrctl.core.exceptions import Refused
from ecrctl.render import View


def sandbox(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port on 127.0.0.1.")
    ] = 5000,
) -> None:
    """Run a local ECR emulator (ECR, EventBridge, IAM, STS, Secrets Manager) until Ctrl-C."""
    from ecrctl.emulator import running_emulator

    app_state = state(ctx)
    with running_emulator(port) as emulator:
        env = emulator.environment()
        app_state.emit(
            View(
                doc=env,
                rows=[[f"export {k}={v}"] for k, v in env.items()],
                text=[[f"export {k}={v}"] for k, v in env.items()],
            )
        )
        say(
            f"sandbox: ECR emulator on {emulator.endpoint}; eval the lines above in a shell, "
            "then use ecrctl or aws as usual. Ctrl-C stops it."
        )
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            say("sandbox: stopped")


def demo() -> None:
    """Walk through the main workflow with real ecrctl commands on a local emulator."""
    from ecrctl.demo import run_demo
    from ecrctl.emulator import running_emulator

    with running_emulator() as emulator:
        ecr = emulator.client("ecr")
        say(f"demo: emulator on {emulator.endpoint}")
        failures = run_demo(emulator, sys.stdout, ecr=ecr)
    if failures:
        raise Refused(f"demo: {failures} step(s) did not behave as expected")
    say("demo: every step behaved as expected")


def register(app: typer.Typer) -> None:
    app.command("sandbox")(sandbox)
    app.command("demo")(demo)
