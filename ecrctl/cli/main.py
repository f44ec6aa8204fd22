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


def _version(value: bool) -> None:
    if value:
        print(f"ecrctl {__version__}")
        raise typer.Exit()


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


# The command modules in the order they register (the help's order), and the module of each
# top-level command. A command line names one command, so only its module is imported and only
# its options are built: typer builds every parameter of every command it is given, and the
# whole app costs ~100 ms more than one module.
MODULES = (
    "repo",
    "images",
    "uri",
    "sandbox",
    "lifecycle",
    "scan",
    "login",
    "transfer",
    "retag",
    "events",
)
COMMANDS: dict[str, str] = {
    "repo": "repo",
    "tags": "images",
    "images": "images",
    "uri": "uri",
    "policy": "uri",
    "sandbox": "sandbox",
    "demo": "sandbox",
    "lifecycle": "lifecycle",
    "scan": "scan",
    "login": "login",
    "logout": "login",
    "push": "transfer",
    "pull": "transfer",
    "retag": "retag",
    "untag": "retag",
    "events": "events",
}
# The root options that take a value (a test keeps these in step with root()'s parameters).
VALUE_OPTIONS = frozenset(
    {"--profile", "--region", "--endpoint-url", "--registry-id", "--output", "-o", "--query"}
)
FLAG_OPTIONS = frozenset({"--no-color", "--debug"})


def build(command: str | None = None) -> typer.Typer:
    """The app: with every command, or with only the module that registers ``command``."""
    import importlib

    built = typer.Typer(
        name="ecrctl",
        cls=EcrctlGroup,
        no_args_is_help=True,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    built.callback()(root)
    for module in (COMMANDS[command],) if command in COMMANDS else MODULES:
        importlib.import_module(f"ecrctl.cli.{module}").register(built)
    return built


def command_of(args: list[str]) -> str | None:
    """The command a command line runs, past the root options; None where only the whole app
    can answer (root help, a misspelt command or option, a missing value, shell completion)."""
    if "_ECRCTL_COMPLETE" in os.environ:
        return None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in VALUE_OPTIONS:
            i += 2
        elif arg.partition("=")[0] in VALUE_OPTIONS or (arg.startswith("-o") and arg != "-o"):
            i += 1  # --output=json, -ojson
        elif arg in FLAG_OPTIONS:
            i += 1
        else:
            return arg if arg in COMMANDS else None
    return None


def __getattr__(name: str) -> Any:
    """``from ecrctl.cli.main import app``: the whole app, built on first use."""
    if name == "app":
        whole = globals()["app"] = build()
        return whole
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    build(command_of(sys.argv[1:]))(prog_name="ecrctl")
