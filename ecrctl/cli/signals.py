"""Signals that are not lost between the interpreter's last check and a blocking call.

CPython runs a Python signal handler in the main thread, between two bytecodes. A signal that
lands after the interpreter's last check but before the main thread enters a blocking call (the
poll() of a socket read, the futex of a lock's wait) is acted on only when that call returns:
Ctrl-C on a request to a server that never answers waited for botocore's 60-second read
timeout, and the sandbox's ``Event.wait()`` for SIGTERM waited forever. The C-level handler has
run, though, and written the signal's number to the wakeup fd (``signal.set_wakeup_fd``). One
daemon thread reads that fd:

- a signal someone waits for (``stop_event``): the thread sets their ``threading.Event``. It is
  an ordinary thread, so taking the event's lock there is safe;
- SIGINT under ecrctl's own handler: if the handler has not run soon after, the thread sends
  SIGURG to the main thread (ignored by default and used by nothing here; Go's runtime preempts
  with it for the same reason). That interrupts the blocking call, and the interpreter then
  runs the pending SIGINT handler. Again, until it has run.

The handlers themselves take no lock and set no Event (the main thread, which runs them, may
hold that very lock): they assign a number or raise.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

NUDGE = signal.SIGURG
GRACE_SECONDS = 0.25  # how long a SIGINT's handler may take to run before the main thread is nudged
NUDGE_FOR_SECONDS = 10.0  # then the handler is left to run whenever it can
RECENT_SECONDS = 1.0  # a handler run this shortly before the signal was read counts as its run


def _nothing(_signum: int, _frame: Any) -> None:
    """A nudge, or a signal someone waits for: the watching thread acts on it."""


class _Watch:
    """The wakeup fd's reader: sets waiters' events, sees that SIGINT's handler runs."""

    def __init__(self, read_fd: int) -> None:
        self.read_fd = read_fd
        self.waiting: dict[int, threading.Event] = {}
        self.interrupted_at = float("-inf")  # when ecrctl's SIGINT handler last ran
        self.main_thread = threading.main_thread().ident

    def on_interrupt(self, _signum: int, _frame: Any) -> None:
        """ecrctl's SIGINT handler: Python's own (KeyboardInterrupt), noting when it ran."""
        self.interrupted_at = time.monotonic()
        raise KeyboardInterrupt

    def run(self) -> None:
        while True:
            try:
                numbers = os.read(self.read_fd, 512)
            except InterruptedError:
                continue
            except OSError:
                return
            if not numbers:
                return
            for number in set(numbers):
                self._dispatch(number)

    def _dispatch(self, number: int) -> None:
        waiter = self.waiting.get(number)
        if waiter is not None:
            waiter.set()
        elif number == signal.SIGINT and signal.getsignal(signal.SIGINT) == self.on_interrupt:
            self._see_interrupt_handled(time.monotonic())

    def _see_interrupt_handled(self, read_at: float) -> None:
        deadline = read_at + NUDGE_FOR_SECONDS
        while self.interrupted_at < read_at - RECENT_SECONDS and time.monotonic() < deadline:
            time.sleep(GRACE_SECONDS)  # the handler's time to run, as it does but for the race
            if self.interrupted_at >= read_at - RECENT_SECONDS or self.main_thread is None:
                return
            with contextlib.suppress(OSError):
                signal.pthread_kill(self.main_thread, NUDGE)


_watch: _Watch | None = None


def install() -> None:
    """Once, from the main thread: the wakeup fd, its reading thread, ecrctl's SIGINT handler.

    A SIGINT inherited as ignored (a background job of a non-interactive shell) stays ignored,
    and one that another handler owns is left to it."""
    global _watch
    if _watch is not None or threading.current_thread() is not threading.main_thread():
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    try:
        signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    except ValueError:
        os.close(read_fd)
        os.close(write_fd)
        return
    watch = _Watch(read_fd)
    signal.signal(NUDGE, _nothing)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, watch.on_interrupt)
    threading.Thread(target=watch.run, name="ecrctl-signals", daemon=True).start()
    _watch = watch


@contextlib.contextmanager
def stop_event(numbers: tuple[signal.Signals, ...]) -> Iterator[threading.Event]:
    """An Event set when one of ``numbers`` arrives, from now until the block ends.

    A signal inherited as ignored stays ignored (SIGINT in a background job)."""
    install()
    if _watch is None:
        raise RuntimeError("signals are handled from the main thread only")
    stop = threading.Event()
    previous: dict[signal.Signals, Any] = {}
    for number in numbers:
        if signal.getsignal(number) is signal.SIG_IGN:
            continue
        _watch.waiting[number] = stop  # before the handler: a signal right after is not missed
        previous[number] = signal.signal(number, _nothing)
    try:
        yield stop
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
            _watch.waiting.pop(number, None)
