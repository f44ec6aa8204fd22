"""ecrctl scan: read an image's scan findings, wait for them, gate CI on them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer

from ecrctl.cli.common import say, state
from ecrctl.cli.completers import complete_repository
from ecrctl.cli.output import Column, Forms, View, cell, short_digest, short_time
from ecrctl.cli.params import fail_on_option
from ecrctl.cli.progress import Reporter, StatusLine
from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import InvalidInput, Refused
from ecrctl.core.models import SEVERITIES, iso
from ecrctl.core.names import (
    Reference,
    image_uri,
    parse_image_ref,
    parse_tag_or_digest,
    registry_host,
)
from ecrctl.core.scan.findings import parse_ignore_list, parse_severity, severity_counts
from ecrctl.core.scan.outcome import ScanOutcome, scan_image
from ecrctl.core.scan.scans import ScanReport, ScanService, StartOutcome, parse_duration
from ecrctl.session import Clients

if TYPE_CHECKING:  # built only for -o sarif
    from ecrctl.core.scan.sarif import SarifLog

# At 80 columns the link goes first (a cut link is no link; -o json has it), then versions
# are cut with an ellipsis; the id, severity and state always stay whole.
COLUMNS = (
    Column("id"),
    Column("severity"),
    Column("package", min_width=12),
    Column("installed", min_width=9),
    Column("fixed", min_width=7),
    Column("link", drop=1),
    Column("state"),
)
HEADERS = tuple(c.header for c in COLUMNS)


def _image(repo: str, reference: str | None) -> Reference:
    ref = parse_image_ref(repo)
    if reference is None:
        # No tag means :latest, as in docker.
        return ref if ref.tag or ref.digest else replace(ref, tag="latest")
    if ref.tag or ref.digest:
        raise InvalidInput(f"{repo!r} already names a tag or digest; drop {reference!r}")
    image_id = parse_tag_or_digest(reference)
    return Reference(
        repository=ref.repository,
        tag=image_id.get("imageTag"),
        digest=image_id.get("imageDigest"),
        host=ref.host,
    )


MAX_IGNORE_CHARS = 1 << 20  # a list of finding ids, one a line: thousands fit in a megabyte


def _ignored_ids(ignore: list[str], ignore_file: str | None) -> list[str]:
    ids = list(ignore)
    if ignore_file is not None:
        from ecrctl.core.inputs import read_file_at_most

        what = f"--ignore-file {ignore_file}"
        ids += parse_ignore_list(read_file_at_most(ignore_file, MAX_IGNORE_CHARS, what=what))
    return ids


def _uri(ref: Reference, report: ScanReport, clients: Clients) -> str:
    if ref.registry is not None:
        host = ref.registry
    elif report.registry_id:
        try:
            host = registry_host(report.registry_id, clients.region)
        except InvalidInput:
            return report.repository
    else:
        return report.repository
    return image_uri(host, report.repository, digest=report.digest, tag=report.tag)


def _title(report: ScanReport, name: str) -> str:
    counts = severity_counts(report.findings)
    ignored = sum(1 for f in report.findings if f.ignored)
    summary = "  ".join(f"{s} {counts[s]}" for s in SEVERITIES)
    when = f" {short_time(iso(report.completed_at))}" if report.completed_at else ""
    digest = f" ({short_digest(report.digest)})" if report.digest else ""
    head = f"{name}{digest}  scan {report.status}{when} ({report.scanner})"
    if not report.ready:
        return f"{head}\nno findings to show yet"
    tail = f"  ({ignored} ignored)" if ignored else ""
    return f"{head}\n{summary}{tail}"


def _view(report: ScanReport, name: str) -> View:
    rows = []
    text = []
    for f in report.findings:
        row = [
            f.id,
            f.severity,
            cell(f.package),
            cell(f.installed_version),
            cell(f.fixed_version),
            cell(f.link),
            "ignored" if f.ignored else "open",
        ]
        rows.append(row)
        text.append(row)
    return View(
        doc=report.to_json(),
        headers=HEADERS,
        columns=COLUMNS,
        rows=rows,
        text=text,
        title=_title(report, name),
    )


OnStatus = Callable[[str, str | None, float], None]


def _waiting(name: str, timeout: str, status: StatusLine) -> OnStatus:
    """The scan's state as it changes, on the status line (--wait)."""

    def report(scan_status: str, reason: str | None, elapsed: float) -> None:
        state = f"{scan_status}: {reason}" if reason else scan_status
        line = f"scan of {name} {state}; waiting (up to {timeout})"
        status.update(f"{line}, {elapsed:.0f}s so far", plain=line, state=state)

    return report


def scan(
    ctx: typer.Context,
    repo: Annotated[
        str,
        typer.Argument(
            metavar="REPO",
            help="Repository, repo:tag, repo@sha256:... or a full image URI.",
            autocompletion=complete_repository,
        ),
    ],
    reference: Annotated[
        str | None,
        typer.Argument(metavar="TAG|@DIGEST", help="The image's tag or @digest [default: latest]."),
    ] = None,
    start: Annotated[
        bool, typer.Option("--start", help="Start a basic scan first (ECR allows one a day).")
    ] = False,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="Wait until the findings are readable (spinner on stderr)."),
    ] = False,
    timeout: Annotated[
        str,
        typer.Option("--timeout", metavar="DURATION", help="How long --wait waits: 90s, 10m, 1h."),
    ] = "10m",
    fail_on: Annotated[
        str | None, fail_on_option("a finding not ignored is this severe or worse")
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", metavar="ID", help="A finding id to ignore (repeatable)."),
    ] = None,
    ignore_file: Annotated[
        str | None,  # read by ecrctl (a bounded read, one-line errors), not typer's Path
        typer.Option(
            "--ignore-file", metavar="FILE", help="Finding ids to ignore, one a line, # comments."
        ),
    ] = None,
) -> None:
    """Scan findings of an image, worst first; --fail-on gates CI (exit 5), -o sarif for code
    scanning."""
    app_state = state(ctx)
    threshold = parse_severity(fail_on) if fail_on is not None else None
    seconds = parse_duration(timeout)
    ignored_ids = _ignored_ids(ignore or [], ignore_file)
    ref = _image(repo, reference)
    _, clients = app_state.target(repo)
    service = ScanService(EcrRegistry(clients.ecr(), clients.settings.registry_id))
    name = ref.repository + ref.suffix

    def run(on_status: OnStatus | None) -> ScanOutcome:
        return scan_image(
            service,
            ref,
            start=start,
            wait=wait,
            timeout=seconds,
            ignore=ignored_ids,
            fail_on=threshold,
            on_started=lambda started: say(_start_note(started, name)),
            on_status=on_status,
        )

    if wait:
        with Reporter(app_state.streams).status(f"waiting for the scan of {name}") as status:
            outcome = run(_waiting(name, timeout, status))
    else:
        outcome = run(None)
    report = outcome.report
    for unused in outcome.unmatched_ignores:
        say(f"note: ignored id {unused} matched no finding")
    what = outcome.pending_reason

    def sarif() -> SarifLog:
        # An empty log would close every open alert in code scanning: refuse instead.
        if not report.ready:
            raise Refused(f"no SARIF log: the {what} ({report.status}); pass --wait")
        return _sarif(report, ref, clients)

    # The SARIF log is built only for -o sarif: 5,000 findings make a large document.
    app_state.emit(Forms(view=lambda: _view(report, name), sarif=sarif))
    if not report.ready:
        say(f"the {what} ({report.status}); pass --wait to wait for them")
    if outcome.gate.error is not None:
        raise outcome.gate.error


def _start_note(started: StartOutcome, name: str) -> str:
    if started.started:
        return f"started a scan of {name}"
    return (
        f"ECR allows one manual scan per image every 24 hours and {name} was already "
        "scanned; showing the last results"
    )


def _sarif(report: ScanReport, ref: Reference, clients: Clients) -> SarifLog:
    from ecrctl.core.scan.sarif import MAX_RESULTS, to_sarif

    log = to_sarif(report, _uri(ref, report, clients))
    dropped = log["runs"][0]["properties"]["droppedResults"]
    if dropped:
        kept = len(log["runs"][0]["results"])
        counts = ", ".join(f"{s} {dropped[s]:,}" for s in SEVERITIES if s in dropped)
        say(
            f"note: GitHub code scanning takes at most {MAX_RESULTS:,} results a run: kept the "
            f"{kept:,} most severe findings, dropped {sum(dropped.values()):,} ({counts}); "
            "-o json lists them all"
        )
    return log


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)
