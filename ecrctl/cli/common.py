"""What every command module shares: the app state, stderr messages, confirmation, the options
several commands take (one at a time, or as option groups)."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Protocol, TypeVar, get_type_hints

import typer

from ecrctl.cli.completion import complete_repository
from ecrctl.cli.options import Globals
from ecrctl.cli.output import Forms, Renderer, View
from ecrctl.cli.streams import Streams, current, install
from ecrctl.core.exceptions import Declined, InvalidInput
from ecrctl.core.names import Reference, parse_image_ref
from ecrctl.session import Clients, Settings


@dataclass
class AppState:
    """One command line's state: its global options (resolved on first use) and clients."""

    options: Globals
    _clients: dict[Settings, Clients] = field(default_factory=dict)
    streams: Streams = field(init=False)

    def __post_init__(self) -> None:
        # The command line's one stream owner; say() and the progress reporter find it too.
        self.streams = install(Streams(said=self.options.values))

    @property
    def settings(self) -> Settings:
        return self.options.resolve()[0]

    @property
    def renderer(self) -> Renderer:
        return self.options.resolve()[1]

    @property
    def color(self) -> bool:
        return self.streams.color

    def clients(self, settings: Settings | None = None) -> Clients:
        key = settings or self.settings
        if key not in self._clients:
            self._clients[key] = Clients(key, log=self.streams.say)
        return self._clients[key]

    @property
    def profile_in_use(self) -> str | None:
        """The one profile this command line's clients were made for (config.toml may have
        chosen it for a pasted URI), for the hints of errors; None when none or several."""
        profiles = {settings.profile for settings in self._clients}
        return profiles.pop() if len(profiles) == 1 else None

    def target(self, text: str, *, allow_reference: bool = True) -> tuple[Reference, Clients]:
        """Parse a repository or image reference; a full URI sets the region and registry id."""
        ref = parse_image_ref(text, allow_reference=allow_reference)
        if ref.registry is None:
            return ref, self.clients()
        return ref, self.clients(self.settings.for_registry(ref.registry))

    def emit(self, result: View | Forms) -> None:
        self.renderer.emit(result)

    def emit_bytes(self, data: bytes) -> None:
        self.renderer.emit_bytes(data)


def state(ctx: typer.Context) -> AppState:
    """The command line's state; the first command to ask names the command (for -o sarif)."""
    obj = ctx.find_root().obj
    if not isinstance(obj, AppState):  # pragma: no cover - the root callback always sets it
        raise RuntimeError("ecrctl state missing")
    if not obj.options.command:
        obj.options.command = ctx.command_path
    return obj


def say(message: str) -> None:
    """A message for the person (stderr), never a result."""
    current().say(message)


def interactive() -> bool:
    return current().interactive


def confirm(question: str, *, yes: bool) -> None:
    """Ask on a terminal; without one, require --yes. Declining ends the command (exit 1)."""
    if yes:
        return
    if not interactive():
        raise InvalidInput(f"{question.rstrip('?')}: no terminal to ask on; pass --yes to confirm")
    if not typer.confirm(question, default=False, err=True):
        raise Declined("nothing changed")


class Result(Protocol):
    def to_json(self) -> object: ...


def json_list(items: Sequence[Result]) -> list[object]:
    return [item.to_json() for item in items]


RepoArg = Annotated[
    str,
    typer.Argument(
        metavar="REPO", help="Repository name or URI.", autocompletion=complete_repository
    ),
]
Limit = Annotated[
    int | None, typer.Option("--limit", metavar="N", min=1, help="At most N entries.")
]
Registries = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="REGISTRY",
        help="Account id, registry host or image URI (default: your own registry); "
        "or the word 'status'.",
        show_default=False,
    ),
]
Profiles = Annotated[
    str | None,
    typer.Option(
        "--profiles",
        metavar="P1,P2",
        help="Run for each of these AWS profiles (dev,stage,prod), side by side.",
    ),
]
Regions = Annotated[
    str | None,
    typer.Option(
        "--regions",
        metavar="R1,R2|all",
        help="Run in each of these regions; 'all': every region enabled for the account.",
    ),
]
Accounts = Annotated[
    str | None,
    typer.Option(
        "--accounts",
        metavar="org|org:OU|ID,ID",
        help="Run in every ACTIVE account of your AWS Organization (org), of one unit "
        "(org:ou-...), or in these accounts, each through --role-name.",
    ),
]
RoleName = Annotated[
    str | None,
    typer.Option(
        "--role-name",
        metavar="NAME",
        help="With --accounts: the role assumed in each account "
        "(ECRCTL_ROLE_NAME; role_name in config.toml).",
    ),
]
ExternalId = Annotated[
    str | None,
    typer.Option(
        "--external-id",
        metavar="ID",
        help="With --accounts: the sts:ExternalId the role asks for "
        "(ECRCTL_EXTERNAL_ID; external_id in config.toml).",
    ),
]


Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")]


@dataclass(frozen=True)
class Consent:
    """--yes and --dry-run, the option group of the commands that change something: make the
    change without asking (off a terminal too), or only show it."""

    yes: Yes = False
    dry_run: DryRun = False


R = TypeVar("R")


def grouped(command: Callable[..., R]) -> Callable[..., R]:
    """``command`` with each option-group parameter spread into the group's own options.

    An option group is a frozen dataclass whose fields are typer parameters, declared once
    (``FleetOptions``). A command names the group as one parameter; typer is shown a signature
    with the group's fields in that parameter's place, in their order (the help lists them
    there), and the command is called with the group built from what the line said. Public
    API only: typer reads a command's parameters with ``inspect.signature``, which honours
    ``__signature__``."""
    signature = inspect.signature(command, eval_str=True)
    parameters: list[inspect.Parameter] = []
    groups: dict[str, tuple[Callable[..., object], tuple[str, ...]]] = {}
    for parameter in signature.parameters.values():
        group = parameter.annotation
        if not (isinstance(group, type) and dataclasses.is_dataclass(group)):
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
            continue
        hints = get_type_hints(group, include_extras=True)
        fields = dataclasses.fields(group)
        parameters += [
            inspect.Parameter(
                f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=hints[f.name]
            )
            for f in fields
        ]
        groups[parameter.name] = (group, tuple(f.name for f in fields))
    names = [p.name for p in parameters]
    if len(set(names)) != len(names):
        raise TypeError(f"{command.__qualname__}: an option group repeats a parameter's name")

    @functools.wraps(command)
    def run(**given: object) -> R:
        for name, (group, options) in groups.items():
            given[name] = group(**{option: given.pop(option) for option in options})
        return command(**given)

    run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    run.__annotations__["return"] = signature.return_annotation
    return run


@dataclass(frozen=True)
class FleetOptions:
    """--profiles, --regions, --accounts, --role-name, --external-id as given: the option group
    of the commands that run in every environment at once (``grouped`` spreads it into the
    command's options; cli/fleet.py, imported only when one is given, reads it)."""

    profiles: Profiles = None
    regions: Regions = None
    accounts: Accounts = None
    role_name: RoleName = None
    external_id: ExternalId = None

    @property
    def org_given(self) -> bool:
        """--accounts, --role-name or --external-id given."""
        return any(v is not None for v in (self.accounts, self.role_name, self.external_id))

    @property
    def wanted(self) -> bool:
        """Whether they ask for every environment at once."""
        return self.profiles is not None or self.regions is not None or self.org_given


MAX_NOTES = 20  # stderr lines of one kind before "... and N more"
DEFAULT_WORKERS = 4


def workers() -> int:
    """Concurrent calls in flight (ECRCTL_CONCURRENCY, 1 to 16; default 4)."""
    raw = os.environ.get("ECRCTL_CONCURRENCY", "").strip()
    if not raw:
        return DEFAULT_WORKERS
    if not raw.isdigit() or not 1 <= int(raw) <= 16:
        raise InvalidInput(f"invalid ECRCTL_CONCURRENCY {raw!r}: use a number from 1 to 16")
    return int(raw)


def say_capped(lines: list[str]) -> None:
    """Messages of one kind, at most MAX_NOTES of them, then "... and N more"."""
    for line in lines[:MAX_NOTES]:
        say(line)
    if len(lines) > MAX_NOTES:
        say(f"... and {len(lines) - MAX_NOTES} more")
