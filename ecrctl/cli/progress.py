"""The one progress reporter: what a long command shows on stderr while it works.

Progress is for a person watching a terminal. On a terminal (the stream owner's stderr is a
tty) it draws: a status line that updates in place (a spinner: scan --wait, lifecycle preview
--remote), bars per task (push and pull, per layer), or a counter rewritten in place (copy,
untag). Anywhere else (a pipe, a CI log) it never draws: a status line becomes one plain line
per change of state, and the callers say what a log should keep. rich is imported only when
something is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecrctl.cli.streams import Streams, current

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID
    from rich.status import Status


class Reporter:
    """Progress on the stream owner's stderr; ``live`` (default: stderr is a terminal) says
    whether to draw."""

    def __init__(self, streams: Streams | None = None, *, live: bool | None = None) -> None:
        self.streams = streams or current()
        self.live = self.streams.stderr_isatty if live is None else live

    def say(self, message: str) -> None:
        """A plain line, kept in a log."""
        self.streams.say(message)

    def overwrite(self, text: str, *, last: bool = False) -> None:
        """A counter rewritten in place on a terminal (``last`` ends its line); nothing
        otherwise."""
        if self.live:
            self.streams.overwrite(text, last=last)

    def status(self, first: str) -> StatusLine:
        """A line that changes as the work goes on (use as a context manager)."""
        return StatusLine(self, first)

    def bars(self) -> Bars:
        """A bar per task, each counting bytes (use as a context manager)."""
        return Bars(self)


class StatusLine:
    """A spinner with a message on a terminal; one plain line per change of state otherwise."""

    def __init__(self, reporter: Reporter, first: str) -> None:
        self.reporter = reporter
        self.first = first
        self.last: str | None = None
        self._spinner: Status | None = None

    def __enter__(self) -> StatusLine:
        if self.reporter.live:
            console = self.reporter.streams.console(stderr=True)
            self._spinner = console.status(self.first)
            self._spinner.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._spinner is not None:
            self._spinner.stop()
            self._spinner = None

    def update(self, live: str, *, plain: str | None = None, state: str | None = None) -> None:
        """Show ``live`` on the spinner; without one, say ``plain`` (else ``live``) when
        ``state`` (else the text) differs from the last one."""
        key = live if state is None else state
        if self._spinner is not None:
            self._spinner.update(live)
        elif key != self.last:
            self.reporter.say(live if plain is None else plain)
        self.last = key


class Bars:
    """rich bars on a terminal (description, bar, bytes done of total); nothing otherwise."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter
        self._tasks: dict[str, TaskID] = {}
        self._progress: Progress | None = None
        if reporter.live:
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                console=reporter.streams.console(stderr=True),
                transient=False,
            )

    @property
    def live(self) -> bool:
        return self._progress is not None

    def __enter__(self) -> Bars:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(
        self, key: str, description: str, *, completed: int | None, total: int | None
    ) -> None:
        """Task ``key`` (made on first sight) now reads ``description``; a total of None
        shows a bar of unknown length."""
        if self._progress is None:
            return
        task = self._tasks.get(key)
        if task is None:
            task = self._tasks[key] = self._progress.add_task(description, total=None)
        self._progress.update(task, description=description, completed=completed, total=total)

    def finish(self, key: str) -> None:
        """Task ``key`` is done: its bar full (at its total, or at 1 when none was known)."""
        task = self._tasks.get(key)
        if self._progress is None or task is None:
            return
        done = self._progress.tasks[task].total or 1
        self._progress.update(task, total=done, completed=done)
