"""The ecrctl root: global options, the error boundary, and the command groups."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ecrctl import __version__
from ecrctl.errors import ExitStatus, classify


class EcrctlGroup(TyperGroup):
    """Every command runs inside this boundary: exceptions become one line and an exit code."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from ecrctl.cli.fastparams import defer_coercion

        defer_coercion()  # no pydantic import for values that need no coercion
        return list(super().parse_args(ctx, args))

    def invoke(self, ctx: Any) -> Any:  # typer vendors click; its Context is private
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.TyperException):
            raise  # click's own usage errors and exits keep their codes (2 for usage)
        except typer.Abort:
            print("ecrctl: interrupted", file=sys.stderr)
            raise typer.Exit(ExitStatus.INTERRUPTED) from None
        except (Exception, KeyboardInterrupt) as error:
            raise typer.Exit(report(error, ctx)) from None


def report(error: BaseException, ctx: typer.Context | None = None) -> int:
    """Print the one-line message (and, with --debug, the traceback); return the exit code."""
    if isinstance(error, BrokenPipeError):
        # `ecrctl tags app | head -1`: the reader left early, which is not a failure
        # (scripts run with `set -o pipefail` rely on that).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return int(ExitStatus.OK)
    obj = ctx.find_root().obj if ctx is not None else None
    settings = getattr(obj, "settings", None)
    debug = bool(getattr(settings, "debug", False)) or "--debug" in sys.argv
    profile = getattr(settings, "profile", None) or os.environ.get("AWS_PROFILE")
    failure = classify(error, profile=profile)
    if debug:
        import traceback

        traceback.print_exception(error, file=sys.stderr)
    print(f"ecrctl: {failure.message}", file=sys.stderr)
    return int(failure.status)


app = typer.Typer(
    name="ecrctl",
    cls=EcrctlGroup,
    help="Everyday Amazon ECR work: login, repositories, tags, retag, lifecycle, scans, events.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"ecrctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option(metavar="PROFILE", help="AWS profile (SSO profiles too). Env: AWS_PROFILE."),
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(metavar="REGION", help="AWS region. Env: AWS_REGION, AWS_DEFAULT_REGION."),
    ] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(
            metavar="URL", help="Another endpoint, e.g. a local emulator. Env: AWS_ENDPOINT_URL."
        ),
    ] = None,
    registry_id: Annotated[
        str | None, typer.Option(metavar="ID", help="Another account's registry (12 digits).")
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="table, json, text, or sarif for scan (default: table on a tty, else text). "
            "Env: ECRCTL_OUTPUT.",
            metavar="FORMAT",
        ),
    ] = None,
    query: Annotated[
        str | None,
        typer.Option(
            metavar="EXPR", help="JMESPath expression over the JSON result, as in aws --query."
        ),
    ] = None,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="Plain output. Env: NO_COLOR.")
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help="Log each API call to stderr (never a secret); show tracebacks."
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Everyday Amazon ECR work: login, repositories, tags, retag, lifecycle, scans, events."""
    from ecrctl.cli.common import AppState
    from ecrctl.render import Renderer, compile_query, resolve_format
    from ecrctl.session import resolve_settings

    settings = resolve_settings(
        profile=profile,
        region=region,
        endpoint_url=endpoint_url,
        registry_id=registry_id,
        debug=debug,
    )
    color = not no_color and not os.environ.get("NO_COLOR")
    renderer = Renderer(resolve_format(output), query=compile_query(query), color=color)
    if renderer.format == "sarif" and ctx.invoked_subcommand != "scan":
        # Refused before the command runs, so nothing is changed for output it cannot give.
        from ecrctl.core.exceptions import InvalidInput

        raise InvalidInput("-o sarif is only for ecrctl scan")
    ctx.obj = AppState(settings=settings, renderer=renderer, color=color)


def _register() -> None:
    from ecrctl.cli import images, repo, sandbox, uri

    app.add_typer(repo.app, name="repo")
    images.register(app)
    uri.register(app)
    app.add_typer(uri.policy_app, name="policy")
    sandbox.register(app)
    from ecrctl.cli import lifecycle

    app.add_typer(lifecycle.app, name="lifecycle")
    from ecrctl.cli import scan

    scan.register(app)
    from ecrctl.cli import login

    login.register(app)
    from ecrctl.cli import transfer

    transfer.register(app)
    from ecrctl.cli import retag

    retag.register(app)
    from ecrctl.cli import events

    app.add_typer(events.app, name="events")


_register()


def main() -> None:
    app(prog_name="ecrctl")
