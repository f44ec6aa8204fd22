"""Shell completion for bash, zsh and fish: ecrctl's own small protocol over the command tree.

The scripts in ``completions/`` run ``ecrctl`` with ``_ECRCTL_COMPLETE=complete_bash`` (or
``complete_zsh``, ``complete_fish``) and, as arguments, the words of the command line up to the
cursor: the command's own name first, the word being completed last (possibly empty). ecrctl
answers on stdout: a first line naming the kind of answer (``plain``, or ``file`` when the shell
should complete file names itself), then one candidate a line, in the shell's own form:

- bash: the value;
- zsh: ``value:description`` for ``_describe`` (``\\`` and ``:`` in the value escaped);
- fish: ``value<TAB>description``.

The words are walked over the command tree with public click API only (``list_commands``,
``get_command``, each parameter's ``opts``, ``is_flag``, ``nargs`` and ``shell_complete``), so
the root group loads just the command modules the line names. Candidates: subcommands with their
short help, the current command's options (global ones included) for a word starting with ``-``,
else the values of the option before the cursor or of the next argument (repository names from
the registry, the ``-o`` formats, ...).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TypeGuard

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from ecrctl.cli.streams import current

# Every command of ecrctl is typer's (cli/app.py's classes derive from these); public types only.
Command = TyperCommand | TyperGroup

SHELLS = {"complete_bash": "bash", "complete_zsh": "zsh", "complete_fish": "fish"}
COMPLETION_FILES = {"bash": "ecrctl.bash", "zsh": "_ecrctl", "fish": "ecrctl.fish"}


def complete_repository(ctx: typer.Context, incomplete: str) -> list[str]:
    """Repository names from the registry (best effort, quick, silent)."""
    if "/" in incomplete and "." in incomplete.split("/", 1)[0]:
        return []  # a pasted URI: nothing to offer
    try:
        from ecrctl.cli import options
        from ecrctl.core.ecr.api import EcrRegistry
        from ecrctl.core.repos.repositories import RepositoryService
        from ecrctl.session import Clients, resolve_settings

        said = options.recorded(ctx)  # the global options given on the line so far
        settings = resolve_settings(
            profile=said.get("profile"),
            region=said.get("region"),
            endpoint_url=said.get("endpoint_url"),
            registry_id=said.get("registry_id"),
            debug=False,
        )
        registry = EcrRegistry(Clients(settings).quick_ecr(), settings.registry_id)
        names = [r.name for r in RepositoryService(registry).list_all(incomplete)]
    except Exception:
        if os.environ.get("ECRCTL_DEBUG_COMPLETION"):
            raise
        return []
    return names


@dataclass
class Candidate:
    value: str
    help: str = ""


@dataclass
class Position:
    """Where the cursor is in the command tree once the words before it are read."""

    ctx: typer.Context
    command: Command
    pending: TyperOption | None = None  # an option still waiting for a value
    arguments: int = 0  # positional words the command has been given
    only_arguments: bool = False  # after `--`


def _is_group(command: Command) -> TypeGuard[TyperGroup]:
    return isinstance(command, TyperGroup)


def _options(command: Command, ctx: typer.Context) -> list[TyperOption]:
    return [p for p in command.get_params(ctx) if isinstance(p, TyperOption)]


def _find_option(command: Command, ctx: typer.Context, name: str) -> TyperOption | None:
    for param in _options(command, ctx):
        if name in param.opts or name in param.secondary_opts:
            return param
    return None


def _takes_value(option: TyperOption) -> bool:
    return not (getattr(option, "is_flag", False) or getattr(option, "count", False))


def _note(ctx: typer.Context, option: TyperOption, value: str) -> None:
    """Keep a global option's value (``--region``, ``--profile``...) for the value lookups."""
    from ecrctl.cli import options

    if options.is_global(option) and option.name is not None:
        options.recorded(ctx)[option.name] = value


def walk(root: Command, words: list[str]) -> Position:
    """Read the complete words of the line (after the command name) as click would."""
    at = Position(typer.Context(root, info_name="ecrctl", resilient_parsing=True), root)
    owed = 0
    for word in words:
        if at.pending is not None:
            if word == "=":  # bash splits `--output=json` at the `=`
                continue
            _note(at.ctx, at.pending, word)
            owed -= 1
            if owed <= 0:
                at.pending = None
            continue
        if word == "--" and not at.only_arguments:
            at.only_arguments = True
            continue
        if word.startswith("-") and word != "-" and not at.only_arguments:
            name, equals, value = word.partition("=")
            option = _find_option(at.command, at.ctx, name)
            if option is None and not word.startswith("--") and len(word) > 2:
                name, equals, value = word[:2], "=", word[2:]  # -ojson
                option = _find_option(at.command, at.ctx, name)
            if option is not None and _takes_value(option):
                if equals:
                    _note(at.ctx, option, value)
                else:
                    at.pending, owed = option, max(option.nargs, 1)
            continue
        if _is_group(at.command):
            sub = at.command.get_command(at.ctx, word)
            if isinstance(sub, TyperCommand | TyperGroup):
                at.ctx = typer.Context(sub, parent=at.ctx, info_name=word, resilient_parsing=True)
                at.command, at.arguments = sub, 0
                continue
        at.arguments += 1
    return at


def _values(
    param: TyperOption | TyperArgument, ctx: typer.Context, incomplete: str
) -> tuple[str, list[Candidate]]:
    """A parameter's own candidates; file names (by the shell) for a FILE."""
    if "FILE" in (param.metavar or ""):
        return "file", []
    items = param.shell_complete(ctx, incomplete)
    if any(item.type in ("file", "dir") for item in items):
        return "file", []
    return "plain", [Candidate(str(item.value), item.help or "") for item in items]


def _argument(command: Command, ctx: typer.Context, given: int) -> TyperArgument | None:
    """The argument the next positional word fills, if any."""
    for param in command.get_params(ctx):
        if not isinstance(param, TyperArgument):
            continue
        if param.nargs < 0:
            return param
        if given < param.nargs:
            return param
        given -= param.nargs
    return None


def _option_names(command: Command, ctx: typer.Context, incomplete: str) -> list[Candidate]:
    found = []
    for param in _options(command, ctx):
        if getattr(param, "hidden", False):
            continue
        for name in (*param.opts, *param.secondary_opts):
            if name.startswith(incomplete):
                found.append(Candidate(name, param.help or ""))
    return found


def _subcommands(group: TyperGroup, ctx: typer.Context, incomplete: str) -> list[Candidate]:
    found = []
    for name in group.list_commands(ctx):
        if not name.startswith(incomplete):
            continue  # not loaded: only the commands that match are imported
        command = group.get_command(ctx, name)
        if command is not None and not getattr(command, "hidden", False):
            found.append(Candidate(name, command.get_short_help_str(limit=80)))
    return found


def candidates(root: Command, words: list[str], incomplete: str) -> tuple[str, list[Candidate]]:
    """What completes ``incomplete`` after ``words`` (the command name left out)."""
    at = walk(root, words)
    if at.pending is not None:
        return _values(at.pending, at.ctx, "" if incomplete == "=" else incomplete)
    if incomplete.startswith("-") and not at.only_arguments:
        name, equals, value = incomplete.partition("=")
        option = _find_option(at.command, at.ctx, name) if equals else None
        if option is not None and _takes_value(option):  # --output=js
            kind, found = _values(option, at.ctx, value)
            return kind, [Candidate(f"{name}={c.value}", c.help) for c in found]
        return "plain", _option_names(at.command, at.ctx, incomplete)
    if _is_group(at.command) and not at.only_arguments:
        return "plain", _subcommands(at.command, at.ctx, incomplete)
    argument = _argument(at.command, at.ctx, at.arguments)
    if argument is not None:
        return _values(argument, at.ctx, incomplete)
    if not incomplete:  # nothing left to give but options
        return "plain", _option_names(at.command, at.ctx, incomplete)
    return "plain", []


def _one_line(text: str) -> str:
    return " ".join(text.split())  # no newline or tab may reach the shell's parser


def format_candidate(shell: str, candidate: Candidate) -> str:
    value, description = candidate.value, _one_line(candidate.help)
    if shell == "zsh":  # _describe: the first unescaped colon ends the value
        value = value.replace("\\", "\\\\").replace(":", "\\:")
        return f"{value}:{description}" if description else value
    if shell == "fish":
        return f"{value}\t{description}" if description else value
    return value


def answer(instruction: str, words: list[str], app: typer.Typer) -> int:
    """Print the candidates for a completion request (the hook in ``app.main``)."""
    from ecrctl.cli.errors import ExitStatus

    shell = SHELLS.get(instruction)
    if shell is None:
        current().error(f"unknown completion request {instruction!r}")
        return int(ExitStatus.USAGE)
    kind = "plain"
    found: list[Candidate] = []  # nothing to offer is still an answer
    if len(words) >= 2:  # the command's name, ..., the word being completed
        try:
            root = typer.main.get_command(app)
            if isinstance(root, TyperGroup):  # cli/app.py's EcrctlGroup
                kind, found = candidates(root, words[1:-1], words[-1])
        except Exception:
            if os.environ.get("ECRCTL_DEBUG_COMPLETION"):
                raise
    lines = [kind]
    lines += [format_candidate(shell, c) for c in found if "\n" not in c.value]
    current().write("\n".join(lines) + "\n")
    return int(ExitStatus.OK)


_HEADER = """\
# {shell} completion for ecrctl, generated by `python -m ecrctl.cli.completion completions/`.
# {install}
# ecrctl answers itself: _ECRCTL_COMPLETE=complete_{shell} ecrctl WORD... (the words up to the
# cursor, the command's name first), a first line `plain` or `file`, then one candidate a line.
"""

_BASH = r"""
_ecrctl() {
    local line cur=${COMP_WORDS[COMP_CWORD]}
    local -a reply=()
    COMPREPLY=()
    while IFS= read -r line; do
        reply+=("$line")
    done < <(_ECRCTL_COMPLETE=complete_bash "$1" "${COMP_WORDS[@]:0:COMP_CWORD+1}" 2>/dev/null)
    if [[ ${reply[0]-} == file ]]; then
        compopt -o filenames 2>/dev/null
        while IFS= read -r line; do
            COMPREPLY+=("$line")
        done < <(compgen -f -- "$cur")
    else
        COMPREPLY=("${reply[@]:1}")
    fi
}

complete -F _ecrctl ecrctl
"""

_ZSH = r"""
_ecrctl() {
  local -a line reply described
  line=("${(@Q)words[1,CURRENT-1]}" "${(Q)PREFIX}")
  reply=("${(@f)$(_ECRCTL_COMPLETE=complete_zsh ${words[1]} "${(@)line}" 2>/dev/null)}")
  if [[ ${reply[1]} == file ]]; then
    _files
  elif (( ${#reply} > 1 )); then
    described=("${(@)reply[2,-1]}")
    _describe -t values ecrctl described
  else
    return 1
  fi
}

# Autoloaded from $fpath, this file is the completion function itself: complete now, on the
# first Tab. Sourced (after compinit), it registers the function for later.
if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
  _ecrctl "$@"
else
  compdef _ecrctl ecrctl
fi
"""

_FISH = r"""
function __ecrctl_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    set -l reply (env _ECRCTL_COMPLETE=complete_fish $words[1] $words "$current" 2>/dev/null)
    if test "$reply[1]" = file
        __fish_complete_path "$current"
        return
    end
    if set -q reply[2]
        printf '%s\n' $reply[2..-1]
    end
end

complete --command ecrctl --no-files --arguments '(__ecrctl_complete)'
"""

_INSTALL = {
    "bash": "Install: source it from ~/.bashrc.",
    "zsh": "Install: copy it to a directory on $fpath before compinit, or source it after.",
    "fish": "Install: copy it to ~/.config/fish/completions/.",
}


def completion_scripts() -> dict[str, str]:
    """The checked-in scripts of completions/ (file name -> text)."""
    bodies = {"bash": _BASH, "zsh": _ZSH, "fish": _FISH}
    scripts = {}
    for shell, body in bodies.items():
        header = _HEADER.format(shell=shell, install=_INSTALL[shell])
        if shell == "zsh":
            header = "#compdef ecrctl\n" + header
        scripts[COMPLETION_FILES[shell]] = header + body
    return scripts


if __name__ == "__main__":  # python -m ecrctl.cli.completion completions/
    from pathlib import Path

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "completions")
    target.mkdir(exist_ok=True)
    for name, text in completion_scripts().items():
        (target / name).write_text(text)
        current().write(f"{target / name}\n")
