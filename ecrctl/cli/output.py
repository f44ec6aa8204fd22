"""The only place that writes results to stdout: table, json or text, after an optional --query.

Commands build a ``View`` (the JSON document plus how to show it as a table and as text), or
``Forms`` when a form is costly to build (a SARIF log, a cheaper text listing), and hand it to
``Renderer.emit``; none of them branches on the output format. The renderer writes through the
stream owner (cli/streams.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

from ecrctl.cli.query import run_query
from ecrctl.cli.streams import Streams, current
from ecrctl.core.exceptions import InvalidInput

OutputFormat = Literal["table", "json", "text", "sarif"]
FORMATS: tuple[str, ...] = ("table", "json", "text", "sarif")


ELLIPSIS = "\u2026"
# Columns of a table are set apart by this many cells (padding, rule, padding; no edges).
COLUMN_GAP = 3


@dataclass(frozen=True)
class Column:
    """How a table column gives way when the terminal is narrow.

    ``compact`` is a shorter form of every cell, tried first (a date without its time);
    ``min_width`` lets cells be cut with an ellipsis down to that width (None: never cut);
    ``drop`` is the order in which whole columns go when cutting is not enough (1 goes first;
    None: never dropped). A cell is never folded onto a second line.
    """

    header: str
    min_width: int | None = None
    drop: int | None = None
    compact: Callable[[str], str] | None = None


def date_only(text: str) -> str:
    """``2026-01-02 03:04`` -> ``2026-01-02``: the compact form of a ``short_time``."""
    return text[:10]


@dataclass
class View:
    """A result: ``doc`` is the JSON document; ``rows`` its table; ``text`` its script lines.

    ``columns`` (one per header) says how the table fits a narrow terminal; without it, every
    column may be cut with an ellipsis down to its header's width.
    """

    doc: object  # the JSON document: a to_json() result, a list of them, a JsonObject ...
    headers: Sequence[str] = ()
    rows: list[list[str]] = field(default_factory=list)
    text: list[list[str]] | None = None
    title: str | None = None
    json_lines: bool = False  # json as one compact line (a stream of records: events listen)
    columns: Sequence[Column] | None = None

    @classmethod
    def record(
        cls, doc: Mapping[str, object], fields: list[tuple[str, str]], title: str | None = None
    ) -> View:
        """A single object: a two-column table, and ``key<TAB>value`` lines as text."""
        rows = [[label, cell(doc.get(key))] for label, key in fields]
        text = [[key, cell(doc.get(key))] for _, key in fields]
        return cls(doc=doc, headers=("field", "value"), rows=rows, text=text, title=title)

    @classmethod
    def lines(cls, doc: object, values: list[str]) -> View:
        """Plain values, one a line in every format but json."""
        return cls(doc=doc, headers=(), rows=[[v] for v in values], text=[[v] for v in values])


@dataclass
class Forms:
    """A result whose forms are built only when shown: the renderer, not the command, picks.

    ``view`` builds the View (table, json, --query); ``text`` builds script lines cheaper than
    the view's (None: the view's); ``sarif`` builds a SARIF 2.1.0 log (None: -o sarif refused).
    """

    view: Callable[[], View]
    text: Callable[[], list[list[str]]] | None = None
    sarif: Callable[[], Mapping[str, object]] | None = None


SARIF_COMMANDS = ("scan",)  # the commands whose results have a SARIF form (Forms.sarif)


def refuse_sarif() -> InvalidInput:
    return InvalidInput("-o sarif is only for ecrctl scan")


def check_format(fmt: str, command: str) -> None:
    """Refuse -o sarif for a command without a SARIF form, before the command changes anything
    (``ecrctl repo create -o sarif`` must not create the repository, then fail)."""
    if fmt == "sarif" and command.split()[1:2] != list(SARIF_COMMANDS):
        raise refuse_sarif()


def cell(value: object) -> str:
    """How one value is written in a table or text cell."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ",".join(cell(v) for v in value) if value else "-"
    if isinstance(value, dict):
        return ",".join(f"{k}={cell(v)}" for k, v in value.items()) if value else "-"
    return str(value)


def short_digest(digest: str | None) -> str:
    if not digest:
        return "-"
    return digest.split(":", 1)[-1][:12]


def short_time(iso_text: str | None) -> str:
    """``2026-01-02T03:04:05Z`` -> ``2026-01-02 03:04``."""
    if not iso_text:
        return "-"
    return iso_text.replace("T", " ")[:16]


def _cut(text: str, width: int, cell_len: Callable[[str], int]) -> str:
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    while text and cell_len(text) > width - 1:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def _fitted_width(headers: Sequence[str], rows: list[list[str]]) -> int:
    from rich.cells import cell_len

    widths = [max([cell_len(h)] + [cell_len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    return sum(widths) + COLUMN_GAP * max(len(widths) - 1, 0)


def fit_table(
    columns: Sequence[Column], rows: list[list[str]], width: int
) -> tuple[list[str], list[list[str]]]:
    """Headers and rows that fit ``width`` cells, each row on one line.

    In order, until the table fits: every column's compact form (lowest ``drop`` first); then
    whole columns dropped by ``drop`` order until the narrowest table left fits; then the widest
    cuttable columns cut with an ellipsis, never below their ``min_width`` nor their header.
    """
    from rich.cells import cell_len

    cells = [list(row) for row in rows]
    keep = list(range(len(columns)))

    def natural(i: int) -> int:
        return max([cell_len(columns[i].header)] + [cell_len(row[i]) for row in cells])

    def floor(i: int) -> int:
        column = columns[i]
        if column.min_width is None:
            return natural(i)
        return min(natural(i), max(cell_len(column.header), column.min_width))

    def total(widths: dict[int, int]) -> int:
        return sum(widths[i] for i in keep) + COLUMN_GAP * max(len(keep) - 1, 0)

    widths = {i: natural(i) for i in keep}
    by_drop = sorted(
        (i for i, c in enumerate(columns) if c.drop is not None or c.compact is not None),
        key=lambda i: columns[i].drop or 0,
    )
    for i in by_drop:
        compact = columns[i].compact
        if total(widths) <= width:
            break
        if compact is not None:
            for row in cells:
                row[i] = compact(row[i])
            widths[i] = natural(i)
    droppable = sorted(
        (i for i, c in enumerate(columns) if c.drop is not None),
        key=lambda i: columns[i].drop or 0,
    )
    while total({i: floor(i) for i in keep}) > width and droppable:
        keep.remove(droppable.pop(0))
    widths = {i: natural(i) for i in keep}
    while total(widths) > width:
        room = [i for i in keep if widths[i] > floor(i)]
        if not room:
            break  # the narrowest table left is still too wide: the terminal crops it
        widest = max(room, key=lambda i: (widths[i] - floor(i), widths[i]))
        widths[widest] -= 1
    headers = [columns[i].header for i in keep]
    fitted = [[_cut(row[i], widths[i], cell_len) for i in keep] for row in cells]
    return headers, fitted


def resolve_format(
    flag: str | None, environ: dict[str, str] | None = None, stdout: TextIO | None = None
) -> OutputFormat:
    env = os.environ if environ is None else environ
    value = (flag or env.get("ECRCTL_OUTPUT") or "").strip().lower()
    if not value:
        tty = Streams(stdout=stdout).stdout_isatty if stdout else current().stdout_isatty
        return "table" if tty else "text"
    if value not in FORMATS:
        source = "--output" if flag else "ECRCTL_OUTPUT"
        raise InvalidInput(f"invalid {source} {value!r}: use table, json, text or sarif")
    return value  # type: ignore[return-value]


def compile_query(expression: str | None) -> Any:
    if expression is None:
        return None
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        return jmespath.compile(expression)
    except JMESPathError as error:
        message = " ".join(str(error).split())
        raise InvalidInput(f"invalid --query {expression!r}: {message}") from None
    except RecursionError:
        raise InvalidInput(f"invalid --query {expression[:40]!r}...: nested too deeply") from None


def _text_value(value: object) -> str:
    if isinstance(value, dict):
        return "\t".join(_text_value(v) for v in value.values())
    if isinstance(value, list):
        return "\t".join(_text_value(v) for v in value)
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Renderer:
    """Writes results to the stream owner's stdout, in colour when the owner says so;
    ``stream`` and ``width`` (tests) give it a stream owner of its own."""

    def __init__(
        self,
        fmt: OutputFormat,
        *,
        query: Any = None,
        stream: TextIO | None = None,
        width: int | None = None,
        streams: Streams | None = None,
    ) -> None:
        self.format = fmt
        self.query = query
        if streams is None and (stream is not None or width is not None):
            streams = Streams(stdout=stream, width=width)
        self._streams = streams

    @property
    def streams(self) -> Streams:
        return self._streams or current()

    @property
    def stream(self) -> TextIO:
        return self.streams.stdout

    @property
    def color(self) -> bool:
        return self.streams.color

    def emit(self, result: View | Forms) -> None:
        forms = result if isinstance(result, Forms) else None
        if self.format == "sarif":
            if forms is None or forms.sarif is None:
                raise refuse_sarif()
            log = forms.sarif()
            self._json(run_query(self.query, log) if self.query is not None else log)
        elif forms is not None and forms.text is not None and self._plain_text:
            self._lines(forms.text())
        else:
            self._view(forms.view() if forms is not None else result)  # type: ignore[arg-type]
        self.stream.flush()

    def emit_bytes(self, data: bytes) -> None:
        """A result that is bytes (``inspect --raw``, ``--config``): written exactly, in every
        format (their sha256 is their digest)."""
        self.streams.write_bytes(data)

    @property
    def _plain_text(self) -> bool:
        return self.format == "text" and self.query is None

    def _view(self, view: View) -> None:
        if self.query is not None:
            self._emit_queried(run_query(self.query, view.doc))
        elif self.format == "json":
            self._json(view.doc, compact=view.json_lines)
        elif self.format == "text":
            self._lines(view.text if view.text is not None else view.rows)
        else:
            self._table(view)

    def _lines(self, rows: list[list[str]]) -> None:
        for row in rows:
            self.stream.write("\t".join(row) + "\n")

    def _json(self, doc: object, *, compact: bool = False) -> None:
        indent = None if compact else 2
        self.stream.write(json.dumps(doc, indent=indent, ensure_ascii=False) + "\n")

    def _emit_queried(self, value: object) -> None:
        if self.format != "text":
            self._json(value)
            return
        if value is None:
            return
        items = value if isinstance(value, list) else [value]
        for item in items:
            self.stream.write(_text_value(item) + "\n")

    def _table(self, view: View) -> None:
        if not view.headers:
            self._lines(view.rows)
            return
        if not view.rows:
            if view.title:
                self.stream.write(view.title + "\n")
            return
        from rich import box
        from rich.table import Table

        console = self.streams.console()
        columns = view.columns or [Column(h, min_width=len(h)) for h in view.headers]
        headers, rows = fit_table(columns, view.rows, console.width)
        if view.title:
            self.stream.write(view.title + "\n")
        # Still wider than the terminal (columns that are never cut: an account id, a URI):
        # laid out at its own width, lines left whole for the terminal, never every column cut.
        wide = _fitted_width(headers, rows)
        table = Table(
            box=box.SIMPLE_HEAD,
            header_style="bold" if self.color else "",
            pad_edge=False,
            show_edge=False,
            width=wide if wide > console.width else None,
        )
        for header in headers:
            table.add_column(header, no_wrap=True, overflow="ellipsis")
        for row in rows:
            table.add_row(*row)
        console.print(table, crop=wide <= console.width)
