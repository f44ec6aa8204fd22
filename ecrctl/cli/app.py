"""The ecrctl root: lazy command loading, the global options on every command, the error boundary.

Commands load the way click's documentation shows ("lazily loading subcommands"): the root
group knows the command names, and ``get_command`` imports the one module that defines a
command when the command line (or help, or completion) asks for it. A command line therefore
builds only its own command's parameters, which typer otherwise does for every command of the
app (~100 ms).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from ecrctl.cli import options
from ecrctl.cli.errors import ExitStatus, classify
from ecrctl.cli.streams import current
from ecrctl.cli.version import print_version

if TYPE_CHECKING:
    # click as typer 0.28 carries it: the types its command classes are declared with.
    from typer._click import Command, Context, HelpFormatter, Parameter

# The top-level commands, in the help's order; each is defined by ecrctl/cli/commands/<name>.py.
COMMANDS: tuple[str, ...] = (
    "repo",
    "tags",
    "images",
    "digest",
    "inspect",
    "uri",
    "where",
    "whoami",
    "policy",
    "sandbox",
    "demo",
    "lifecycle",
    "scan",
    "login",
    "logout",
    "sso",
    "push",
    "pull",
    "retag",
    "untag",
    "copy",
    "promote",
    "events",
    "registry",
)


def _format_options(command: Command, ctx: Context, formatter: HelpFormatter) -> None:
    """Arguments and the command's own options, then the global options in their own section."""
    sections: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": [], "": []}
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None:
            continue
        if options.is_global(param):
            sections[""].append(record)
        elif param.param_type_name == "argument":
            sections["Arguments"].append(record)
        else:
            sections["Options"].append(record)
    for title, records in sections.items():
        if records:
            with formatter.section(title or options.SECTION):
                formatter.write_dl(records)


def _usage_argument(param: Parameter) -> str:
    name = str(param.metavar or (param.name or "").upper())
    if param.nargs != 1 and not name.endswith("..."):
        name += "..."
    return name if param.required else f"[{name}]"


class EcrctlCommand(TyperCommand):
    """A command whose help lists the global options in a section of their own, and whose
    usage line reads as click writes it (``REPO``, ``[TAG]``), not typer 0.29's ``{REPO}``."""

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        _format_options(self, ctx, formatter)

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        try:
            return list(super().parse_args(ctx, args))
        except Exception as error:
            # A password typed as an argument by mistake is never echoed back.
            message = str(getattr(error, "message", ""))
            takes_secret = any("password" in (p.name or "") for p in self.params)
            if takes_secret and message.startswith("Got unexpected extra argument"):
                error.message = (  # type: ignore[attr-defined]
                    "Got unexpected extra argument(s), not shown: this command takes a "
                    "password on stdin (--password-stdin), never as an argument"
                )
            raise

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                pieces.append(_usage_argument(param))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces


class EcrctlSubgroup(TyperGroup):
    """A group of subcommands (repo, lifecycle, ...), with the same help layout."""

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        _format_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)


def _default_classes(app: typer.Typer) -> None:
    """Every command and group a module registered uses ecrctl's classes (typer's public
    ``cls``), so its help shows the global options apart."""
    for info in app.registered_commands:
        if info.cls in (None, TyperCommand):  # typer's command() fills in TyperCommand
            info.cls = EcrctlCommand
    for group in app.registered_groups:
        if not group.cls or group.cls is TyperGroup:
            group.cls = EcrctlSubgroup
        if group.typer_instance is not None:
            _default_classes(group.typer_instance)


def load(name: str) -> dict[str, Command]:
    """The click command ``name`` (from its own module), with the global options attached."""
    holder = typer.Typer(rich_markup_mode=None, add_completion=False)
    holder.callback()(lambda: None)  # a group even when the module registers one command
    importlib.import_module(f"ecrctl.cli.commands.{name.replace('-', '_')}").register(holder)
    _default_classes(holder)
    group = typer.main.get_command(holder)
    if not isinstance(group, TyperGroup):  # pragma: no cover - a callback makes it a group
        raise TypeError(f"ecrctl.cli.commands.{name} did not make a group")
    commands = dict(group.commands)
    for command in commands.values():
        options.attach(command)
    return commands


class EcrctlGroup(TyperGroup):
    """The root: loads commands on demand; every command runs inside the error boundary."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        options.attach(self)

    def list_commands(self, ctx: Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands.update(load(cmd_name))
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        name = args[0] if args else ""
        command = self.get_command(ctx, name)
        if command is not None:
            return name, command, args[1:]
        if name.startswith("-") and not ctx.resilient_parsing:
            self.parse_args(ctx, args)  # click's own "No such option"
        from difflib import get_close_matches

        message = f"No such command {name!r}."
        matches = get_close_matches(name, list(COMMANDS))
        if matches:
            message = f"No such command {name!r}. Did you mean {', '.join(map(repr, matches))}?"
        if ctx.resilient_parsing:
            return None, None, args
        ctx.fail(message)

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        _format_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def invoke(self, ctx: Context) -> object:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.TyperException):
            raise  # click's own usage errors and exits keep their codes (2 for usage)
        except typer.Abort:
            current().error("interrupted")
            raise typer.Exit(ExitStatus.INTERRUPTED) from None
        except (Exception, KeyboardInterrupt) as error:
            raise typer.Exit(report(error, ctx)) from None


def report(error: BaseException, ctx: Context | None = None) -> int:
    """Print the one-line message (and, with --debug, the traceback); return the exit code."""
    said = options.recorded(ctx) if ctx is not None else {}
    debug = bool(said.get("debug")) or "--debug" in sys.argv
    # The profile the command used (config.toml's for a pasted URI), else the one asked for.
    in_use = getattr(ctx.find_root().obj, "profile_in_use", None) if ctx is not None else None
    profile = in_use or said.get("profile") or os.environ.get("AWS_PROFILE")
    failure = classify(error, profile=profile)
    streams = current()
    if isinstance(error, BrokenPipeError):
        # Nothing more can reach the reader that left; Python's flush at exit must not fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), streams.stdout.fileno())
    if debug:
        streams.traceback(error)
    if failure.message:
        streams.error(failure.message)
    return int(failure.status)


def _version(value: bool) -> None:
    if value:
        print_version()
        raise typer.Exit()


def root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Everyday Amazon ECR work: login, repositories, tags, retag, lifecycle, scans, events."""
    from ecrctl.cli.common import AppState

    ctx.obj = AppState(options=options.Globals(options.recorded(ctx)))


def build() -> typer.Typer:
    """The app: a root group that loads each command when it is asked for."""
    built = typer.Typer(
        name="ecrctl",
        cls=EcrctlGroup,
        no_args_is_help=True,
        rich_markup_mode=None,
        add_completion=False,  # completions/ holds ecrctl's own scripts (cli/completion.py)
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    built.callback()(root)
    return built


app = build()


def main() -> None:
    if "_ECRCTL_COMPLETE" in os.environ:  # a shell asks for candidates (completions/)
        from ecrctl.cli.completion import answer

        sys.exit(answer(os.environ["_ECRCTL_COMPLETE"], sys.argv[1:], app))
    app(prog_name="ecrctl")
