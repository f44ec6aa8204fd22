"""The stream owner: colour, tty-ness and width decided once, for every writer of the CLI."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import termios
from collections.abc import Iterator
from typing import Any

import pytest

from ecrctl.cli.output import Column, Forms, Renderer, View
from ecrctl.cli.streams import Streams
from ecrctl.core.exceptions import InvalidInput
from ecrctl.session import Clients, resolve_settings


class Tty(io.StringIO):
    """A stream that says it is a terminal (rich then draws on it)."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal() -> Iterator[tuple[Any, int]]:
    """A real pseudo-terminal 123 columns wide: its follower side as a text stream."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 123, 0, 0))
    stream = os.fdopen(follower, "w", encoding="utf-8")
    try:
        yield stream, leader
    finally:
        stream.close()
        os.close(leader)


COLOUR_TERM = {"TERM": "xterm-256color"}


@pytest.mark.parametrize(
    ("environ", "said", "color"),
    [
        (COLOUR_TERM, {}, True),
        ({**COLOUR_TERM, "NO_COLOR": "1"}, {}, False),
        ({"TERM": "dumb"}, {}, False),
        ({"TERM": "DUMB"}, {}, False),
        (COLOUR_TERM, {"no_color": True}, False),
        ({**COLOUR_TERM, "NO_COLOR": ""}, {}, True),  # no-color.org: only a non-empty value
    ],
    ids=["terminal", "NO_COLOR", "TERM=dumb", "TERM=DUMB", "--no-color", "empty NO_COLOR"],
)
def test_colour_is_off_for_no_color_a_dumb_terminal_or_the_flag(
    environ: dict[str, str], said: dict[str, Any], color: bool
) -> None:
    assert Streams(environ=environ, said=said).color is color


def test_no_color_given_after_the_command_is_still_honoured() -> None:
    said: dict[str, Any] = {}
    streams = Streams(environ=COLOUR_TERM, said=said)
    said["no_color"] = True  # recorded while the subcommand's own arguments are parsed
    assert streams.color is False


def test_tty_ness_of_each_stream() -> None:
    streams = Streams(stdin=Tty(), stdout=io.StringIO(), stderr=Tty())
    assert (streams.stdin_isatty, streams.stdout_isatty, streams.stderr_isatty) == (
        True,
        False,
        True,
    )
    assert streams.interactive
    assert not Streams(stdin=io.StringIO(), stderr=Tty()).interactive


def test_a_closed_stream_is_not_a_terminal() -> None:
    closed = io.StringIO()
    closed.close()
    assert Streams(stderr=closed).stderr_isatty is False


def test_width_given_then_columns_then_80_off_a_terminal() -> None:
    plain = {"stdin": io.StringIO(), "stdout": io.StringIO(), "stderr": io.StringIO()}
    assert Streams(**plain, environ={"COLUMNS": "200"}, width=60).width == 60
    assert Streams(**plain, environ={"COLUMNS": "200"}).width == 200
    assert Streams(**plain, environ={"COLUMNS": "wide"}).width == 80
    assert Streams(**plain, environ={}).width == 80


def test_width_of_a_real_terminal(terminal: tuple[Any, int]) -> None:
    stream, _ = terminal
    streams = Streams(stdin=io.StringIO(), stdout=stream, stderr=io.StringIO(), environ={})
    assert streams.stdout_isatty
    assert streams.width == 123


def test_the_table_fits_the_stream_owners_width() -> None:
    out = io.StringIO()
    streams = Streams(stdout=out, environ={}, width=30)
    view = View(
        doc=[],
        headers=("name", "note"),
        columns=(Column("name"), Column("note", min_width=4)),
        rows=[["repository-one", "a rather long note that cannot fit"]],
    )
    Renderer("table", streams=streams).emit(view)
    lines = out.getvalue().splitlines()
    assert lines and max(len(line) for line in lines) <= 30
    assert "repository-one" in out.getvalue()


def table_on(stream: io.StringIO, *, color: bool = True) -> str:
    said = {"no_color": not color}  # what --no-color records
    Renderer("table", streams=Streams(stdout=stream, width=40, said=said)).emit(
        View(doc=[], headers=("name",), rows=[["a"]])
    )
    return stream.getvalue()


def test_colour_on_a_terminal_and_none_for_no_color_dumb_or_a_pipe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # rich reads the process environment too: the stream owner and rich see the same one.
    monkeypatch.setenv("TERM", "xterm-256color")
    assert "\x1b[" in table_on(Tty())
    assert "\x1b[" not in table_on(Tty(), color=False)
    assert "\x1b[" not in table_on(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in table_on(Tty())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert "\x1b[" not in table_on(Tty())


def test_say_and_error_write_lines_to_the_owners_stderr_only() -> None:
    out, err = io.StringIO(), io.StringIO()
    streams = Streams(stdout=out, stderr=err)
    streams.say("a note")
    streams.error("no such repository")
    assert (out.getvalue(), err.getvalue()) == ("", "a note\necrctl: no such repository\n")


def test_debug_call_log_goes_to_the_writer_it_is_given(
    ecr: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    lines: list[str] = []
    settings = resolve_settings(
        profile=None, region=None, endpoint_url=None, registry_id=None, debug=True
    )
    Clients(settings, log=lines.append).ecr().describe_repositories()
    assert [line.split(" ", 3)[:3] for line in lines] == [
        ["debug:", "->", "ecr.DescribeRepositories"],
        ["debug:", "<-", "ecr.DescribeRepositories"],
    ]
    assert capsys.readouterr().err == ""


def test_forms_build_only_the_form_shown() -> None:
    built: list[str] = []

    def view() -> View:
        built.append("view")
        return View(doc=[{"tag": "v1"}], headers=("tag",), rows=[["v1"]], text=[["v1"]])

    def text() -> list[list[str]]:
        built.append("text")
        return [["v1"]]

    def run(fmt: str, query: Any = None) -> str:
        out = io.StringIO()
        Renderer(fmt, query=query, stream=out).emit(Forms(view=view, text=text))  # type: ignore[arg-type]
        return out.getvalue()

    assert run("text") == "v1\n" and built == ["text"]
    built.clear()
    assert '"tag": "v1"' in run("json") and built == ["view"]
    built.clear()
    from ecrctl.cli.output import compile_query

    assert run("text", compile_query("[0].tag")) == "v1\n" and built == ["view"]


def test_sarif_is_refused_for_a_result_without_a_sarif_form() -> None:
    out = io.StringIO()
    with pytest.raises(InvalidInput, match="-o sarif is only for ecrctl scan"):
        Renderer("sarif", stream=out).emit(View(doc=[]))
    with pytest.raises(InvalidInput, match="-o sarif is only for ecrctl scan"):
        Renderer("sarif", stream=out).emit(Forms(view=lambda: View(doc=[])))
    Renderer("sarif", stream=out).emit(Forms(view=lambda: View(doc=[]), sarif=lambda: {"v": 1}))
    assert out.getvalue() == '{\n  "v": 1\n}\n'
