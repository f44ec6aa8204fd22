"""Sample ECR events in AWS's format (the documented examples of the ECR user guide).

``sample(kind)`` returns a fresh event each call with the current time and a new id, so a
receiver can tell deliveries apart; ``documented(kind)`` is the example verbatim, for tests.
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime

from ecrctl.core.events.inbound import EcrEvent
from ecrctl.core.events.pattern import (
    ACTION,
    EVERY_KIND,
    PULL_THROUGH,
    REFERRER,
    REPLICATION,
    SCAN,
    SCAN_CHANGE,
    SOURCE,
)
from ecrctl.core.exceptions import InvalidInput

_DOCUMENTED: dict[str, EcrEvent] = {
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
    "replication": {
        "version": "0",
        "id": "c8b133b1-6029-ee73-e2a1-4f466b8ba999",
        "detail-type": REPLICATION,
        "source": SOURCE,
        "account": "123456789012",
        "time": "2024-05-08T20:44:54Z",
        "region": "us-east-1",
        "resources": ["arn:aws:ecr:us-east-1:123456789012:repository/docker-hub/alpine"],
        "detail": {
            "result": "SUCCESS",
            "repository-name": "docker-hub/alpine",
            "image-digest": ("sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234"),
            "source-account": "123456789012",
            "action-type": "REPLICATE",
            "source-region": "us-west-2",
            "image-tag": "3.17.2",
        },
    },
    "replication-failed": {
        "version": "0",
        "id": "d9c244c2-7130-ff84-f3b2-5g577c9cb000",
        "detail-type": REPLICATION,
        "source": SOURCE,
        "account": "123456789012",
        "time": "2024-05-08T20:45:12Z",
        "region": "us-east-1",
        "resources": ["arn:aws:ecr:us-east-1:123456789012:repository/my-app"],
        "detail": {
            "result": "FAILED",
            "repository-name": "my-app",
            "image-digest": ("sha256:8g6c3751gf7gc5g47603ege4511d5a80ead5g90f5893543f1489bde2345"),
            "source-account": "123456789012",
            "action-type": "REPLICATE",
            "source-region": "us-west-2",
            "image-tag": "latest",
        },
    },
    "pull-through": {
        "version": "0",
        "id": "85fc3613-e913-7fc4-a80c-a3753e4aa9ae",
        "detail-type": PULL_THROUGH,
        "source": SOURCE,
        "account": "123456789012",
        "time": "2023-02-29T02:36:48Z",
        "region": "us-west-2",
        "resources": ["arn:aws:ecr:us-west-2:123456789012:repository/docker-hub/alpine"],
        "detail": {
            "rule-version": "1",
            "sync-status": "SUCCESS",
            "ecr-repository-prefix": "docker-hub",
            "repository-name": "docker-hub/alpine",
            "upstream-registry-url": "public.ecr.aws",
            "image-tag": "3.17.2",
            "image-digest": "sha256:4aa08ef415aecc80814cb42fa41b658480779d80c77ab15EXAMPLE",
        },
    },
    "referrer": {
        "version": "0",
        "id": "8c9gd6f7-6fg6-9ccf-c268-EXAMPLE",
        "detail-type": REFERRER,
        "source": SOURCE,
        "account": "123456789012",
        "time": "2019-08-06T01:20:45Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "action-type": "UPDATE_STORAGE_CLASS",
            "target-storage-class": "STANDARD",
            "image-digest": (
                "sha256:f98d67af8e53a536502bfc600de3266556b06ed635a32d60aa7a5fe6d7e609d7"
            ),
            "repository-name": "sbom",
            "result": "SUCCESS",
            "manifest-media-type": "application/vnd.cncf.oras.artifact.manifest.v1+json",
            "artifact-media-type": "text/sbom+json",
            "last-activated-at": "2025-10-10T19:13:02.74Z",
        },
    },
    "scan-resource-change": {
        "version": "0",
        "id": "0c18352a-a4d4-6853-ef53-0ab8638973bf",
        "detail-type": SCAN_CHANGE,
        "source": SOURCE,
        "account": "123456789012",
        "time": "2021-10-14T20:53:46Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "action-type": "SCAN_FREQUENCY_CHANGE",
            "repositories": [
                {
                    "repository-name": "repository-1",
                    "repository-arn": "arn:aws:ecr:us-east-1:123456789012:repository/repository-1",
                    "scan-frequency": "SCAN_ON_PUSH",
                    "previous-scan-frequency": "MANUAL",
                }
            ],
            "resource-type": "REPOSITORY",
            "scan-type": "ENHANCED",
        },
    },
}
# AWS documents no failed push or delete; these are its examples with the result a failure has.
_DERIVED = {"push-failed": "push", "delete-failed": "delete"}
SAMPLE_KINDS = EVERY_KIND


def documented(kind: str) -> EcrEvent:
    """The example event of the ECR user guide, unchanged."""
    if kind in _DERIVED:
        event = copy.deepcopy(_DOCUMENTED[_DERIVED[kind]])
        event["detail"]["result"] = "FAILED"
        return event
    if kind not in _DOCUMENTED:
        raise InvalidInput(f"invalid event kind {kind!r}: use {', '.join(SAMPLE_KINDS)}")
    return copy.deepcopy(_DOCUMENTED[kind])


def sample(
    kind: str,
    *,
    repository: str | None = None,
    account: str | None = None,
    region: str | None = None,
    now: datetime | None = None,
) -> EcrEvent:
    """A realistic event of ``kind`` with a fresh id and time; fields overridable."""
    event = documented(kind)
    when = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    event["id"] = str(uuid.uuid4())
    event["time"] = when.isoformat().replace("+00:00", "Z")
    if account:
        event["account"] = account
    if region:
        event["region"] = region
    if repository and kind == "scan-resource-change":
        for entry in event["detail"]["repositories"]:
            entry["repository-name"] = repository
            entry["repository-arn"] = (
                f"arn:aws:ecr:{event['region']}:{event['account']}:repository/{repository}"
            )
    elif repository:
        event["detail"]["repository-name"] = repository
    if event["resources"] and kind != "scan-resource-change":
        event["resources"] = [
            f"arn:aws:ecr:{event['region']}:{event['account']}:repository/"
            f"{event['detail']['repository-name']}"
        ]
    return event
