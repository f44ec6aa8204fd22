"""``images --fail-on``: a gate on the findings summary DescribeImages carries for each image
(no DescribeImageScanFindings call), over one registry or every account of an organisation.
Ignoring finding ids needs the findings themselves: that is ``scan --ignore``."""

from __future__ import annotations

from collections.abc import Iterable

from ecrctl.core.exceptions import GateTripped
from ecrctl.core.models import SEVERITIES, Image
from ecrctl.core.scan.findings import parse_severity

MAX_NAMED = 5  # images named in the gate's message before "and N more"


def summary_gate(found: Iterable[tuple[str, Image]], threshold: str) -> GateTripped | None:
    """``found``: (where, image) pairs. The error to raise when an image has a finding at
    ``threshold`` or worse in its summary; None when none has."""
    worst = SEVERITIES[: SEVERITIES.index(parse_severity(threshold)) + 1]
    hits = []
    for where, image in found:
        count = sum(image.severity_counts.get(severity, 0) for severity in worst)
        if count:
            hits.append((where, image, count))
    if not hits:
        return None
    total = sum(count for _, _, count in hits)
    named = [f"{where} {image.digest[:19]} ({count})" for where, image, count in hits[:MAX_NAMED]]
    more = f" and {len(hits) - MAX_NAMED} more" if len(hits) > MAX_NAMED else ""
    return GateTripped(
        f"{total} finding(s) at {threshold.upper()} or worse in {len(hits)} image(s) "
        f"(--fail-on {threshold.upper()}): {', '.join(named)}{more}"
    )
