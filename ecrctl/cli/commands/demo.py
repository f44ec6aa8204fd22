"""ecrctl demo: the main workflow with real ecrctl commands on the embedded sandbox."""

from __future__ import annotations

import typer

from ecrctl.cli.common import say
from ecrctl.cli.streams import current
from ecrctl.core.exceptions import Refused


def demo() -> None:
    """Walk through the main workflow with real ecrctl commands on a local emulator."""
    from ecrctl.sandbox.demo import run_demo
    from ecrctl.sandbox.emulator import running_emulator

    with running_emulator() as emulator:
        ecr = emulator.client("ecr")
        say(f"demo: emulator on {emulator.endpoint}")
        failures = run_demo(emulator, current().stdout, ecr=ecr)
    if failures:
        raise Refused(f"demo: {failures} step(s) did not behave as expected")
    say("demo: every step behaved as expected")
    say(
        "demo: to explore further, run `ecrctl sandbox --seed` (sample data; Ctrl-C stops it) "
        "and paste the export lines it prints into another shell: the README's examples run "
        "there as written"
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
