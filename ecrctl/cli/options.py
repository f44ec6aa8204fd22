"""The global options: defined once here, accepted anywhere on the command line.

As in the aws CLI (``awscli/clidriver.py`` parses its globals out of the whole line), ``--region``,
``-o json`` and the rest work before the command, between a group and its subcommand
(``ecrctl repo -o json list``) and among the subcommand's own arguments
(``ecrctl tags app -o json``). Each command of the tree carries the same click parameters
(``attach``); their callbacks record what the line said into the root context, in the order
click processes them, which is the order of the line: given twice, the last one wins.

Nothing is resolved while the line is parsed. ``Globals.resolve`` turns what was recorded into
``Settings`` and a ``Renderer`` when the command first asks for them, after every option of
the line is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from typer._click import Command, Context, Parameter

    from ecrctl.cli.output import Renderer
    from ecrctl.session import Settings

SECTION = "Global options"
_RECORDED = "ecrctl.globals"


def complete_output(incomplete: str) -> list[str]:
    from ecrctl.cli.output import FORMATS

    return [f for f in FORMATS if f.startswith(incomplete)]


def declarations(
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
            autocompletion=complete_output,
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
) -> None:
    """The global options, as typer declares them (this function is never called)."""


_PARAMS: list[Parameter] = []


def params() -> list[Parameter]:
    """The click parameters of the global options, built once from ``declarations``."""
    if not _PARAMS:
        holder = typer.Typer(add_completion=False)
        holder.command()(declarations)
        built = typer.main.get_command(holder)
        for param in built.params:
            param.expose_value = False
            param.callback = _record
            _PARAMS.append(param)
    return _PARAMS


def names() -> frozenset[str]:
    return frozenset(p.name for p in params() if p.name is not None)


def is_global(param: Parameter) -> bool:
    return any(param is p for p in params())


def _record(ctx: Context, param: Parameter, value: object) -> object:
    """Note what the command line said; defaults (None, a flag not given) say nothing."""
    if value is not None and value is not False:
        ctx.find_root().meta.setdefault(_RECORDED, {})[param.name] = value
    return value


def attach(command: Command) -> None:
    """Give ``command`` and every subcommand below it the global options (once each)."""
    if not any(is_global(p) for p in command.params):
        command.params.extend(params())
    for sub in (getattr(command, "commands", None) or {}).values():
        attach(sub)


def recorded(ctx: Context) -> dict[str, Any]:
    """What the command line said so far (name -> value); the root context holds it."""
    found: dict[str, Any] = ctx.find_root().meta.setdefault(_RECORDED, {})
    return found


@dataclass
class Globals:
    """The global options of one command line, resolved on first use."""

    values: dict[str, Any]
    command: str = ""
    _resolved: tuple[Settings, Renderer] | None = field(default=None, repr=False)

    @property
    def debug(self) -> bool:
        return bool(self.values.get("debug"))

    @property
    def profile(self) -> str | None:
        profile = self.values.get("profile")
        return str(profile) if profile else None

    def resolve(self) -> tuple[Settings, Renderer]:
        """Settings and the renderer. Colour is not decided here: the renderer asks the stream
        owner (cli/streams.py: --no-color, NO_COLOR, TERM=dumb) when it draws."""
        if self._resolved is None:
            from ecrctl.cli.output import Renderer, check_format, compile_query, resolve_format
            from ecrctl.session import resolve_settings

            v = self.values
            settings = resolve_settings(
                profile=v.get("profile"),
                region=v.get("region"),
                endpoint_url=v.get("endpoint_url"),
                registry_id=v.get("registry_id"),
                debug=self.debug,
            )
            renderer = Renderer(
                resolve_format(v.get("output")), query=compile_query(v.get("query"))
            )
            check_format(renderer.format, self.command)
            self._resolved = (settings, renderer)
        return self._resolved
