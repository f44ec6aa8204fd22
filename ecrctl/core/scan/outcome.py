"""The ``ecrctl scan`` use case: start a scan, wait for it or read it, apply ignores, decide the
``--fail-on`` gate, and hand back one ``ScanOutcome`` for the command to render.

The gate's decision is data: which severities failed and the error that ends the command (a
core exception that the one exit table maps: ``GateTripped`` is exit 5), or none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ecrctl.core.exceptions import EcrctlError, GateTripped, NotFound, Refused
from ecrctl.core.models import SEVERITIES
from ecrctl.core.names import Reference
from ecrctl.core.scan.findings import Finding, apply_ignores, tripping
from ecrctl.core.scan.scans import DONE, ScanReport, ScanService, StartOutcome, StatusCallback

MAX_GATE_IDS = 200  # characters of finding ids in the gate's message before ", ..."


@dataclass(frozen=True)
class GateDecision:
    """What ``--fail-on THRESHOLD`` decides about a report.

    ``verdict``: ``off`` (no threshold), ``passed``, ``tripped``, or ``undecided`` (the
    findings are not readable yet, so the gate cannot say the image is clean)."""

    threshold: str | None
    verdict: str
    tripping: tuple[Finding, ...] = ()
    error: EcrctlError | None = field(default=None, compare=False)

    @property
    def failed_severities(self) -> tuple[str, ...]:
        """The severities, worst first, of the findings that tripped the gate."""
        found = {f.severity for f in self.tripping}
        return tuple(s for s in SEVERITIES if s in found)

    @property
    def passed(self) -> bool:
        return self.error is None


def decide_gate(report: ScanReport, threshold: str | None, name: str) -> GateDecision:
    """The gate on a report whose ignores are applied already."""
    if threshold is None:
        return GateDecision(None, "off")
    if not report.ready:
        why = f"the {pending_reason(report)} ({report.status})"
        return GateDecision(
            threshold, "undecided", error=Refused(f"cannot apply --fail-on {threshold}: {why}")
        )
    bad = tripping(report.findings, threshold)
    if not bad:
        return GateDecision(threshold, "passed")
    ids = ", ".join(dict.fromkeys(f.id for f in bad))
    if len(ids) > MAX_GATE_IDS:
        ids = ids[:MAX_GATE_IDS].rsplit(", ", 1)[0] + ", ..."
    message = f"{len(bad)} finding(s) at {threshold} or worse in {name} (--fail-on {threshold})"
    return GateDecision(threshold, "tripped", tuple(bad), GateTripped(f"{message}: {ids}"))


def pending_reason(report: ScanReport) -> str:
    """Why a report has no findings to show: a finished scan whose findings are not readable
    yet, or a scan that is not done."""
    return "findings are not readable yet" if report.status in DONE else "scan is not done"


@dataclass(frozen=True)
class ScanOutcome:
    """One ``ecrctl scan``: the report (ignores applied), the start attempt, the gate."""

    name: str  # repository:tag or repository@digest, as the messages say it
    report: ScanReport
    gate: GateDecision
    started: StartOutcome | None = None  # None: --start was not asked for
    unmatched_ignores: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        return self.report.ready

    @property
    def pending_reason(self) -> str:
        return pending_reason(self.report)


def scan_image(
    service: ScanService,
    ref: Reference,
    *,
    start: bool = False,
    wait: bool = False,
    timeout: float = 600.0,
    ignore: Sequence[str] = (),
    fail_on: str | None = None,
    on_started: Callable[[StartOutcome], None] | None = None,
    on_status: StatusCallback | None = None,
) -> ScanOutcome:
    """Start (``start``), wait for (``wait``, up to ``timeout`` seconds) or read the scan of an
    image, then apply the ignored ids and the ``fail_on`` gate.

    ``on_started`` hears of the start attempt before any wait; ``on_status`` of each poll.
    Raises Refused when the scan itself ended without findings (FAILED, UNSUPPORTED_IMAGE ...),
    NotFound when there is no scan (and none was just started)."""
    image_id = ref.image_id
    name = ref.repository + ref.suffix
    started: StartOutcome | None = None
    if start:
        started = service.start(ref.repository, image_id)
        if on_started is not None:
            on_started(started)
    just_started = started is not None and started.started
    if wait:
        report = service.wait(
            ref.repository,
            image_id,
            timeout=timeout,
            on_status=on_status,
            just_started=just_started,
        )
    else:
        try:
            report = service.fetch(ref.repository, image_id)
        except NotFound:
            if not just_started:
                raise
            # Started a moment ago and not visible yet: nothing to show, which is not an error.
            report = ScanReport(ref.repository, None, ref.digest, ref.tag, "PENDING")
    if report.failed:
        reason = f": {report.description}" if report.description else ""
        raise Refused(f"the scan of {name} ended {report.status}{reason}")
    findings, unmatched = apply_ignores(report.findings, list(ignore))
    report = replace(report, findings=findings)
    return ScanOutcome(
        name=name,
        report=report,
        gate=decide_gate(report, fail_on, name),
        started=started,
        unmatched_ignores=tuple(unmatched),
    )
