"""The renderer: one document, three formats, and --query, as scripts and people rely on them."""

from __future__ import annotations

import io
import json

import pytest

from ecrctl.cli.output import Renderer, View, compile_query, resolve_format
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.models import human_size

DOC = [{"name": "a", "size": 1, "tags": ["x", "y"]}, {"name": "b", "size": 2, "tags": []}]
VIEW = View(doc=DOC, headers=("name", "size"), rows=[["a", "1"], ["b", "2"]], text=[["a"], ["b"]])


def render(fmt: str, view: View = VIEW, query: str | None = None) -> str:
    out = io.StringIO()
    Renderer(fmt, query=compile_query(query), stream=out).emit(view)  # type: ignore[arg-type]
    return out.getvalue()


def test_text_is_one_record_a_line_without_header() -> None:
    assert render("text") == "a\nb\n"


def test_json_is_the_document() -> None:
    assert json.loads(render("json")) == DOC


def test_table_has_headers_and_rows_and_no_escape_codes_without_color() -> None:
    table = render("table")
    assert "name" in table and "size" in table
    assert table.index("a") < table.index("b")
    assert "\x1b[" not in table


def test_empty_table_prints_nothing() -> None:
    assert render("table", View(doc=[], headers=("name",), rows=[])) == ""


def test_query_over_json() -> None:
    assert json.loads(render("json", query="[].name")) == ["a", "b"]


def test_query_in_text_is_tab_separated_like_aws() -> None:
    assert render("text", query="[].[name, size]") == "a\t1\nb\t2\n"
    assert render("text", query="[0].tags") == "x\ny\n"
    assert render("text", query="[?name=='zzz']") == ""


def test_invalid_query_is_bad_input() -> None:
    with pytest.raises(InvalidInput, match="invalid --query"):
        compile_query("[?")


def test_format_defaults_follow_the_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert resolve_format(None, {}, Tty()) == "table"
    assert resolve_format(None, {}, io.StringIO()) == "text"
    assert resolve_format(None, {"ECRCTL_OUTPUT": "json"}, Tty()) == "json"
    assert resolve_format("text", {"ECRCTL_OUTPUT": "json"}, Tty()) == "text"


def test_unknown_format_names_its_source() -> None:
    with pytest.raises(InvalidInput, match="ECRCTL_OUTPUT"):
        resolve_format(None, {"ECRCTL_OUTPUT": "yaml"})
    with pytest.raises(InvalidInput, match="--output"):
        resolve_format("xml", {})


def test_record_view_text_is_key_tab_value() -> None:
    view = View.record(
        {"name": "app", "scanOnPush": True, "kmsKey": None},
        [("name", "name"), ("scan on push", "scanOnPush"), ("kms", "kmsKey")],
    )
    assert render("text", view) == "name\tapp\nscanOnPush\tyes\nkmsKey\t-\n"


def test_human_sizes() -> None:
    assert human_size(999) == "999 B"
    assert human_size(1500) == "1.5 KB"
    assert human_size(2_500_000_000) == "2.5 GB"


def _fit(width: int) -> tuple[list[str], list[list[str]]]:
    from ecrctl.cli.output import Column, date_only, fit_table

    columns = [
        Column("digest"),
        Column("tags", min_width=8),
        Column("pushed", compact=date_only),
        Column("type", drop=2),
        Column("last pulled", compact=date_only, drop=1),
    ]
    rows = [["0123456789ab", "v1,latest,release-2026", "2026-01-02 03:04", "oci-index", "-"]]
    return fit_table(columns, rows, width)


def test_fit_table_keeps_everything_when_there_is_room() -> None:
    headers, rows = _fit(200)
    assert headers == ["digest", "tags", "pushed", "type", "last pulled"]
    assert rows == [
        ["0123456789ab", "v1,latest,release-2026", "2026-01-02 03:04", "oci-index", "-"]
    ]


def test_fit_table_compacts_then_drops_by_priority_then_cuts_with_an_ellipsis() -> None:
    # compact dates first: 12 + 22 + 10 + 9 + 11 + 4 gaps of 3 = 76
    headers, rows = _fit(76)
    assert rows[0][2] == "2026-01-02" and len(headers) == 5
    # then "last pulled" goes before "type"; tags are cut, never below their floor
    headers, rows = _fit(60)
    assert headers == ["digest", "tags", "pushed", "type"]
    assert rows[0][1].endswith("…") and len(rows[0][1]) == 60 - 12 - 10 - 9 - 9
    headers, rows = _fit(40)
    assert headers == ["digest", "tags", "pushed"]
    assert rows[0] == ["0123456789ab", "v1,latest,release-2026"[:11] + "…", "2026-01-02"]


def test_table_at_80_columns_never_folds_a_row() -> None:
    long = View(
        doc=[],
        headers=("name", "uri", "detail"),
        rows=[["team/app", "1" * 12 + ".dkr.ecr.us-east-1.amazonaws.com/team/app", "x " * 60]],
    )
    out = io.StringIO()
    Renderer("table", stream=out, width=80).emit(long)
    lines = out.getvalue().rstrip("\n").splitlines()
    assert len(lines) == 3 and all(len(line.rstrip()) <= 80 for line in lines)
    assert lines[2].startswith("team/app ") and lines[2].rstrip().endswith("…")
