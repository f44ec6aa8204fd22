"""The console entry point: ``ecrctl --version`` and ``ecrctl --help`` without loading the app.

Importing every command module and building the command tree costs 100-150 ms, most of the
start-up budget, and the root help is the same text every time. So ``ecrctl --help`` keeps the
text the real app printed in ``$XDG_CACHE_HOME/ecrctl/help/`` (else ``~/.cache/ecrctl/help/``),
like Python keeps bytecode: the file is named by a CRC of every source of the ecrctl package,
of the Python version and of typer's version, so any change to the code makes a new one. It is
used only where click wraps at its full width (80 columns or more); anything else runs the app.
"""

from __future__ import annotations

import os
import sys
import zlib
from typing import TYPE_CHECKING

from ecrctl.cli.version import print_version

if TYPE_CHECKING:
    from collections.abc import Mapping

HELP_WIDTH_COLUMNS = 80  # click wraps help at min(terminal columns, 80) - 2
HELP_LIMIT = 256 * 1024  # the root help is ~3 KB


def fingerprint() -> str:
    """CRC-32 of the help text's sources: the ecrctl package, the Python and typer in use."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    crc = zlib.crc32(sys.version.encode())
    for folder, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                with open(os.path.join(folder, name), "rb") as source:
                    crc = zlib.crc32(name.encode() + source.read(), crc)
    for entry in sys.path:  # typer's installed version, without importing it
        marker = os.path.join(entry, "typer", "__init__.py")
        try:
            status = os.stat(marker)
        except (OSError, ValueError):
            continue
        crc = zlib.crc32(f"{marker}:{status.st_size}:{status.st_mtime_ns}".encode(), crc)
        break
    return f"{crc:08x}"


def help_cache_path(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or "~", ".cache")
    return os.path.join(os.path.expanduser(base), "ecrctl", "help", f"root-{fingerprint()}.txt")


def _columns() -> int:
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def _root_help() -> bool:
    """Print the root help from the cache, or run the app and keep what it printed."""
    if _columns() < HELP_WIDTH_COLUMNS:
        return False
    from ecrctl.core.privatefile import read_private

    path = help_cache_path()
    # Only a file of ours in directories of ours (0700, not a symlink, not writable by others):
    # a help text planted by another user is never printed.
    data = read_private(path, HELP_LIMIT, dir_levels=2)
    text = data.decode("utf-8", errors="replace") if data else ""
    if text:
        sys.stdout.write(text)
        sys.stdout.flush()
        return True
    import typer

    from ecrctl.cli.app import app

    # The text click's --help prints (it echoes ``ctx.get_help()`` and a newline), asked of the
    # command itself: resilient parsing, so no-arguments-is-help does not print it instead.
    command = typer.main.get_command(app)
    with command.make_context("ecrctl", [], resilient_parsing=True) as ctx:
        text = ctx.get_help() + "\n"
    sys.stdout.write(text)
    sys.stdout.flush()
    from ecrctl.core.privatefile import UnsafePath, ensure_private_dir, write_private

    try:
        ensure_private_dir(os.path.dirname(path), levels=2)
        write_private(path, text)
    except (OSError, UnsafePath):
        pass  # a read-only or foreign cache: the help was printed, the next run renders it again
    return True


def main() -> None:
    try:
        args = sys.argv[1:]
        if args == ["--version"]:
            print_version()
            return
        if args in (["--help"], ["-h"]) and _root_help():
            return
        from ecrctl.cli.signals import install

        install()  # Ctrl-C stops a blocking call even when it lands just before the call
        if args[:1] == ["digest"]:
            from ecrctl.cli.fastdigest import fast_digest

            if fast_digest(args):
                return
        from ecrctl.cli.app import main as run

        run()
    except KeyboardInterrupt:
        # Ctrl-C while modules load, before the app's own error boundary is in place.
        print("ecrctl: interrupted", file=sys.stderr)
        sys.exit(130)
