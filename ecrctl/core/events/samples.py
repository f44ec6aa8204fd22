"""Sample ECR events in AWS's format (the documented examples of the ECR user guide).

``sample(kind)`` returns a fresh event each call with the current time and a new id, so a
receiver can tell deliveries apart; ``documented(kind)`` is the example verbatim, for tests.
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

from ecrctl.core.events.pattern import ACTION, KINDS, SCAN, SOURCE
from ecrctl.core.exceptions import InvalidInput

_DOCUMENTED: dict[str, dict[str, Any]] = {
    "push": {
        "version": "0",
        "id": "13cde686-328b-6117-af20-0e5566167482",
        "detail-type": ACTION,
        "source": SOURCE,
        "account": "123456789012",
        "time": "2019-11-16T01:54:34Z",
        "region": "us-west-2",
        "resources": [],
        "detail": {
            "result": "SUCCESS",
            "repository-name": "my-repository-name",
            "image-digest": ("sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234"),
            "action-type": "PUSH",
            "image-tag": "latest",
        },
    },
    "delete": {
        "version": "0",
        "id": "dd3b46cb-2c74-f49e-393b-28286b67279d",
        "detail-type": ACTION,
        "source": SOURCE,
        "account": "123456789012",
        "time": "2019-11-16T02:01:05Z",
        "region": "us-west-2",
        "resources": [],
        "detail": {
            "result": "SUCCESS",
            "repository-name": "my-repository-name",
            "image-digest": (
                "sha256:f98d67af8e53a536502bfc600de3266556b06ed635a32d60aa7a5fe6d7e609d7"
            ),
            "action-type": "DELETE",
            "image-tag": "latest",
        },
    },
    "scan": {
        "version": "0",
        "id": "85fc3613-e913-7fc4-a80c-a3753e4aa9ae",
        "detail-type": SCAN,
        "source": SOURCE,
        "account": "123456789012",
        "time": "2019-10-29T02:36:48Z",
        "region": "us-east-1",
        "resources": ["arn:aws:ecr:us-east-1:123456789012:repository/my-repository-name"],
        "detail": {
            "scan-status": "COMPLETE",
            "repository-name": "my-repository-name",
            "finding-severity-counts": {"CRITICAL": 10, "MEDIUM": 9},
            "image-digest": ("sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234"),
            "image-tags": [],
        },
    },
}


def documented(kind: str) -> dict[str, Any]:
    """The example event of the ECR user guide, unchanged."""
    if kind not in _DOCUMENTED:
        raise InvalidInput(f"invalid event kind {kind!r}: use {', '.join(KINDS)}")
    return copy.deepcopy(_DOCUMENTED[kind])


def sample(
    kind: str,
    *,
    repository: str | None = None,
    account: str | None = None,
    region: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A realistic event of ``kind`` with a fresh id and time; fields overridable."""
    event = documented(kind)
    when = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    event["id"] = str(uuid.uuid4())
    event["time"] = when.isoformat().replace("+00:00", "Z")
    if account:
        event["account"] = account
    if region:
        event["region"] = region
    if repository:
        event["detail"]["repository-name"] = repository
    if kind == "scan":
        event["resources"] = [
            f"arn:aws:ecr:{event['region']}:{event['account']}:repository/"
            f"{event['detail']['repository-name']}"
        ]
    return event


def summary(event: dict[str, Any]) -> list[str]:
    """One line for a person: time, kind, repository, what happened, tag(s), digest."""
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    assert isinstance(detail, dict)
    kind = str(event.get("detail-type", "-"))
    if kind == SCAN:
        counts = detail.get("finding-severity-counts") or {}
        what = f"scan {detail.get('scan-status', '-')}"
        if counts:
            what += " " + ",".join(f"{k}={v}" for k, v in counts.items())
        tags = ",".join(detail.get("image-tags") or []) or "-"
    else:
        what = f"{detail.get('action-type', '-')} {detail.get('result', '-')}".strip()
        tags = str(detail.get("image-tag") or "-")
    return [
        str(event.get("time", "-")),
        kind,
        str(detail.get("repository-name", "-")),
        what,
        tags,
        str(detail.get("image-digest", "-")),
    ]
