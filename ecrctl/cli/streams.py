"""The one owner of the process's streams, as httpie's ``Environment``.

stdin, stdout and stderr, whether each is a terminal, whether colour is wanted (``--no-color``,
``NO_COLOR``, ``TERM=dumb``), the terminal's width and the rich consoles built from all that
live in one object. The renderer, ``say()``, the progress reporter, the error boundary and the
``--debug`` call log write through it; tests hand it fake streams instead of patching ``sys``.

Streams not given are looked up on ``sys`` when used, not when the object is built, so a test
runner that swaps ``sys.stdout`` for one command line is honoured. rich is imported only when a
console is asked for (start-up time is a feature): this module imports nothing but the stdlib.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console

DEFAULT_WIDTH = 80  # a pipe or a file: the width rich and click assume


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # closed, or not a real stream
        return False


class Streams:
    """stdin/stdout/stderr of one command line, their tty-ness, colour and width.

    ``said`` is what the command line said (the global options' live record): ``--no-color``
    may come after the command's own arguments, so it is read when colour is asked for.
    """

    def __init__(
        self,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        environ: Mapping[str, str] | None = None,
        said: Mapping[str, object] | None = None,
        width: int | None = None,
    ) -> None:
        self._stdin = stdin
        self._stdout = stdout
        self._stderr = stderr
        self._environ = environ
        self._said: Mapping[str, object] = said if said is not None else {}
        self._width = width
        self._consoles: dict[bool, Console] = {}

    @property
    def stdin(self) -> TextIO:
        return self._stdin or sys.stdin

    @property
    def stdout(self) -> TextIO:
        return self._stdout or sys.stdout

    @property
    def stderr(self) -> TextIO:
        return self._stderr or sys.stderr

    @property
    def environ(self) -> Mapping[str, str]:
        return os.environ if self._environ is None else self._environ

    @property
    def stdin_isatty(self) -> bool:
        return _isatty(self.stdin)

    @property
    def stdout_isatty(self) -> bool:
        return _isatty(self.stdout)

    @property
    def stderr_isatty(self) -> bool:
        return _isatty(self.stderr)

    @property
    def interactive(self) -> bool:
        """A person is there to answer (stdin and stderr are both terminals)."""
        return self.stdin_isatty and self.stderr_isatty

    @property
    def color(self) -> bool:
        """Colour unless --no-color, NO_COLOR (any non-empty value) or a dumb terminal."""
        env = self.environ
        return (
            not self._said.get("no_color")
            and not env.get("NO_COLOR")
            and env.get("TERM", "").strip().lower() != "dumb"
        )

    @property
    def width(self) -> int:
        """Cells a line may take: as given, else COLUMNS, else the terminal's (the first of
        stdin, stdout, stderr that is one, as rich measures), else 80."""
        if self._width is not None:
            return self._width
        columns = self.environ.get("COLUMNS", "").strip()
        if columns.isdigit() and int(columns) > 0:
            return int(columns)
        for stream in (self.stdin, self.stdout, self.stderr):
            try:
                found = os.get_terminal_size(stream.fileno()).columns
            except (AttributeError, ValueError, OSError):  # not a terminal, or not a real file
                continue
            if found:
                return found
        return DEFAULT_WIDTH

    def console(self, *, stderr: bool = False) -> Console:
        """The rich Console for stdout (results) or stderr (progress), built on first use."""
        if stderr not in self._consoles:
            from rich.console import Console

            color = self.color
            self._consoles[stderr] = Console(
                # None: rich looks sys.stdout / sys.stderr up when it writes, as we do.
                file=self._stderr if stderr else self._stdout,
                stderr=stderr,
                no_color=not color,
                color_system="auto" if color else None,
                highlight=False,
                soft_wrap=False,
                width=self._width if stderr else self.width,
            )
        return self._consoles[stderr]

    def say(self, message: str) -> None:
        """A message for the person (stderr), never a result."""
        stream = self.stderr
        stream.write(message + "\n")
        stream.flush()

    def error(self, message: str) -> None:
        """The error boundary's one line: ``ecrctl: <message>``."""
        self.say(f"ecrctl: {message}")

    def traceback(self, error: BaseException) -> None:
        """--debug: the whole traceback on stderr."""
        import traceback

        traceback.print_exception(error, file=self.stderr)

    def overwrite(self, text: str, *, last: bool = False) -> None:
        """Rewrite the current stderr line (a counter on a terminal); ``last`` ends the line."""
        stream = self.stderr
        stream.write("\r" + text + ("\n" if last else ""))
        stream.flush()

    def write(self, text: str) -> None:
        """Raw text to stdout (a completion script, the demo's transcript), flushed."""
        stream = self.stdout
        stream.write(text)
        stream.flush()

    def write_bytes(self, data: bytes) -> None:
        """Bytes to stdout exactly as they are (a manifest, a blob), flushed."""
        stream = self.stdout
        stream.flush()
        buffer = getattr(stream, "buffer", None)
        if buffer is None:  # a text-only stream (a test's StringIO)
            stream.write(data.decode("utf-8", "replace"))
            stream.flush()
            return
        buffer.write(data)
        buffer.flush()


_CURRENT: list[Streams] = []


def current() -> Streams:
    """The command line's stream owner (one on sys's streams until a command installs its own)."""
    if not _CURRENT:
        _CURRENT.append(Streams())
    return _CURRENT[-1]


def install(streams: Streams) -> Streams:
    """Make ``streams`` the one ``current()`` answers (each command line installs its own)."""
    _CURRENT[:] = [streams]
    return streams
