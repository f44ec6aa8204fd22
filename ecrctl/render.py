"""The only place that writes results to stdout: table, json or text, after an optional --query.

Commands build a ``View`` (the JSON document plus how to show it as a table and as text) and
hand it to ``Renderer.emit``; none of them branches on the output format.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

from ecrctl.core.exceptions import InvalidInput

OutputFormat = Literal["table", "json", "text", "sarif"]
FORMATS: tuple[str, ...] = ("table", "json", "text", "sarif")


@dataclass
class View:
    """A result: ``doc`` is the JSON document; ``rows`` its table; ``text`` its script lines."""

    doc: Any
    headers: Sequence[str] = ()
    rows: list[list[str]] = field(default_factory=list)
    text: list[list[str]] | None = None
    title: str | None = None
    sarif: dict[str, Any] | None = None  # a SARIF 2.1.0 log, for commands that have one
    json_lines: bool = False  # json as one compact line (a stream of records: events listen)

    @classmethod
    def record(
        cls, doc: dict[str, Any], fields: list[tuple[str, str]], title: str | None = None
    ) -> View:
        """A single object: a two-column table, and ``key<TAB>value`` lines as text."""
        rows = [[label, cell(doc.get(key))] for label, key in fields]
        text = [[key, cell(doc.get(key))] for _, key in fields]
        return cls(doc=doc, headers=("field", "value"), rows=rows, text=text, title=title)

    @classmethod
    def lines(cls, doc: Any, values: list[str]) -> View:
        """Plain values, one a line in every format but json."""
        return cls(doc=doc, headers=(), rows=[[v] for v in values], text=[[v] for v in values])


def cell(value: Any) -> str:
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


def human_size(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def short_digest(digest: str | None) -> str:
    if not digest:
        return "-"
    return digest.split(":", 1)[-1][:12]


def short_time(iso_text: str | None) -> str:
    """``2026-01-02T03:04:05Z`` -> ``2026-01-02 03:04``."""
    if not iso_text:
        return "-"
    return iso_text.replace("T", " ")[:16]


def resolve_format(
    flag: str | None, environ: dict[str, str] | None = None, stdout: TextIO | None = None
) -> OutputFormat:
    env = os.environ if environ is None else environ
    value = (flag or env.get("ECRCTL_OUTPUT") or "").strip().lower()
    if not value:
        stream = stdout or sys.stdout
        return "table" if stream.isatty() else "text"
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


def _text_value(value: Any) -> str:
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
    def __init__(
        self,
        fmt: OutputFormat,
        *,
        query: Any = None,
        color: bool = True,
        stream: TextIO | None = None,
    ) -> None:
        self.format = fmt
        self.query = query
        self.color = color
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stdout

    def emit(self, view: View) -> None:
        if self.format == "sarif":
            if view.sarif is None:
                raise InvalidInput("-o sarif is only for ecrctl scan")
            if self.query is not None:
                self._json(self.query.search(view.sarif))
            else:
                self._json(view.sarif)
        elif self.query is not None:
            self._emit_queried(self.query.search(view.doc))
        elif self.format == "json":
            self._json(view.doc, compact=view.json_lines)
        elif self.format == "text":
            for row in view.text if view.text is not None else view.rows:
                self.stream.write("\t".join(row) + "\n")
        else:
            self._table(view)
        self.stream.flush()

    def _json(self, doc: Any, *, compact: bool = False) -> None:
        indent = None if compact else 2
        self.stream.write(json.dumps(doc, indent=indent, ensure_ascii=False) + "\n")

    def _emit_queried(self, value: Any) -> None:
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
            for row in view.rows:
                self.stream.write("\t".join(row) + "\n")
            return
        if not view.rows:
            if view.title:
                self.stream.write(view.title + "\n")
            return
        from rich import box
        from rich.console import Console
        from rich.table import Table

        table = Table(
            box=box.SIMPLE_HEAD,
            title=view.title,
            title_justify="left",
            header_style="bold" if self.color else "",
            pad_edge=False,
        )
        for header in view.headers:
            table.add_column(header, overflow="fold")
        for row in view.rows:
            table.add_row(*row)
        console = Console(
            file=self.stream,
            no_color=not self.color,
            highlight=False,
            color_system="auto" if self.color else None,
            soft_wrap=False,
        )
        console.print(table)
