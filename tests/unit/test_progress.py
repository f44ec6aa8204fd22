"""The progress reporter: drawn on a terminal's stderr, plain lines (or nothing) anywhere else."""

from __future__ import annotations

import io
import os
import pty
from typing import Any

import pytest

from ecrctl.cli.copying import Meter
from ecrctl.cli.engine import LayerProgress
from ecrctl.cli.progress import Reporter
from ecrctl.cli.streams import Streams
from ecrctl.core.copy.plan import BlobItem


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def colour_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")  # rich draws only on a terminal that is not dumb


def on(stderr: io.StringIO, *, stdin: Any = None) -> tuple[Reporter, io.StringIO]:
    out = io.StringIO()
    streams = Streams(stdin=stdin or io.StringIO(), stdout=out, stderr=stderr)
    return Reporter(streams), out


def feed_status(reporter: Reporter) -> None:
    with reporter.status("waiting for the scan of app:v1") as status:
        for state, elapsed in (("PENDING", 1), ("PENDING", 2), ("IN_PROGRESS", 3)):
            line = f"scan of app:v1 {state}; waiting"
            status.update(f"{line}, {elapsed}s so far", plain=line, state=state)


def test_off_a_terminal_a_status_line_is_one_plain_line_per_change_of_state() -> None:
    err = io.StringIO()
    reporter, out = on(err)
    assert reporter.live is False
    feed_status(reporter)
    assert err.getvalue() == (
        "scan of app:v1 PENDING; waiting\nscan of app:v1 IN_PROGRESS; waiting\n"
    )
    assert out.getvalue() == ""


def test_on_a_terminal_a_status_line_is_drawn_not_logged() -> None:
    err = Tty()
    reporter, out = on(err)
    assert reporter.live is True
    feed_status(reporter)
    drawn = err.getvalue()
    assert "scan of app:v1 IN_PROGRESS; waiting, 3s so far" in drawn  # the last state, drawn
    assert "\x1b[" in drawn  # a spinner, redrawn in place
    assert "scan of app:v1 PENDING; waiting\n" not in drawn  # no log lines
    assert out.getvalue() == ""


def test_no_color_keeps_the_spinner_but_not_its_colours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    err = Tty()
    reporter, _ = on(err)
    feed_status(reporter)
    assert "IN_PROGRESS; waiting, 3s so far" in err.getvalue()
    assert "\x1b[3" not in err.getvalue()  # no foreground colour codes


def test_a_counter_is_rewritten_in_place_on_a_terminal_and_absent_elsewhere() -> None:
    tty = Tty()
    reporter, _ = on(tty)
    reporter.overwrite("untag: 100/250 ids")
    reporter.overwrite("untag: 250/250 ids", last=True)
    assert tty.getvalue() == "\runtag: 100/250 ids\runtag: 250/250 ids\n"
    pipe = io.StringIO()
    reporter, _ = on(pipe)
    reporter.overwrite("untag: 250/250 ids", last=True)
    assert pipe.getvalue() == ""


def test_a_real_pseudo_terminal_is_live() -> None:
    leader, follower = pty.openpty()
    try:
        with os.fdopen(follower, "w", encoding="utf-8") as stderr:
            reporter = Reporter(Streams(stderr=stderr))
            assert reporter.live is True
            reporter.overwrite("copy: 1/2 blobs", last=True)
            assert os.read(leader, 1024).replace(b"\r\n", b"\n") == b"\rcopy: 1/2 blobs\n"
    finally:
        os.close(leader)


def blob(digest: str, status: str = "copied") -> BlobItem:
    return BlobItem(digest=digest, size=2048, media_type="x", status=status)


def test_copy_off_a_terminal_says_one_line_per_blob() -> None:
    err = io.StringIO()
    reporter, _ = on(err)
    meter = Meter(4096, 2, reporter)
    meter.on_bytes(4096)
    meter.on_blob(blob("sha256:" + "a" * 64))
    meter.on_blob(blob("sha256:" + "b" * 64, "mounted"))
    assert err.getvalue() == (
        "copied sha256:aaaaaaaaaaaa (2.0 KB)\nmounted sha256:bbbbbbbbbbbb (2.0 KB)\n"
    )


def test_copy_on_a_terminal_rewrites_one_counter_ended_by_the_last_blob() -> None:
    err = Tty()
    reporter, _ = on(err)
    meter = Meter(4096, 2, reporter)
    meter.on_blob(blob("sha256:" + "a" * 64))
    meter.on_blob(blob("sha256:" + "b" * 64))
    drawn = err.getvalue()
    assert drawn.startswith("\rcopy: 1/2 blobs, ") and "\rcopy: 2/2 blobs, " in drawn
    assert drawn.endswith("/s\n") and drawn.count("\n") == 1


EVENTS = [
    {"id": "abc", "status": "Preparing"},
    {"id": "abc", "status": "Pushing", "progressDetail": {"current": 512, "total": 2048}},
    {"id": "abc", "status": "Pushing", "progressDetail": {"current": 2048, "total": 2048}},
    {"id": "abc", "status": "Pushed"},
    {"status": "latest: digest: sha256:0 size: 528"},
]


def test_layers_off_a_terminal_one_line_per_layer_step() -> None:
    err = io.StringIO()
    reporter, _ = on(err)
    with LayerProgress(reporter) as progress:
        for event in EVENTS:
            progress(event)
    assert err.getvalue() == "abc: Preparing\nabc: Pushed\n"


def test_layers_on_a_terminal_a_bar_per_layer() -> None:
    err = Tty()
    reporter, _ = on(err, stdin=Tty())
    with LayerProgress(reporter) as progress:
        for event in EVENTS:
            progress(event)
    drawn = err.getvalue()
    assert "abc Pushed" in drawn and "2.0/2.0 kB" in drawn
    assert "abc: Preparing\n" not in drawn
