"""What ``events listen`` accepts as an event, and its one-line summary (each field is made
safe for a terminal by ``core.inputs.printable``).

An event is accepted only when it can be shown both ways: ``summary`` works on it (every field
it reads has the type it expects) and it is strict JSON in UTF-8 again (no NaN or Infinity, no
number beyond a double, no lone surrogate), for ``-o json``. Anything else is a ``BadEvent``,
which the listener answers 400 before it goes on serving.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import NoReturn, TypedDict, cast

from ecrctl.core.events.pattern import PULL_THROUGH, SCAN, SCAN_CHANGE
from ecrctl.core.jsontypes import JsonValue

# The fields an ECR event is read by (as EventBridge documents them); an event may carry others,
# which are kept and printed by -o json as they came.
EventDetail = TypedDict(
    "EventDetail",
    {
        "repository-name": str,
        "action-type": str,
        "result": str,
        "image-tag": str,
        "image-tags": list[str],
        "image-digest": str,
        "scan-status": str,
        "scan-type": str,
        "finding-severity-counts": dict[str, int],
        "repositories": list[dict[str, JsonValue]],
        "sync-status": str,
        "upstream-registry-url": str,
        "ecr-repository-prefix": str,
        "rule-version": str,
        "source-account": str,
        "source-region": str,
        "target-storage-class": str,
        "manifest-media-type": str,
        "artifact-media-type": str,
        "last-activated-at": str,
        "resource-type": str,
    },
    total=False,
)
EcrEvent = TypedDict(
    "EcrEvent",
    {
        "version": str,
        "id": str,
        "detail-type": str,
        "source": str,
        "account": str,
        "time": str,
        "region": str,
        "resources": list[str],
        "detail": EventDetail,
    },
    total=False,
)


class BadEvent(ValueError):
    """A request body that is not an event this listener can record (answered 400)."""


_EVENT_TEXT = ("version", "id", "detail-type", "source", "account", "time", "region")
_DETAIL_TEXT = (
    "repository-name",
    "action-type",
    "result",
    "image-tag",
    "image-digest",
    "scan-status",
    "scan-type",
    "sync-status",
    "upstream-registry-url",
)


def _no_constant(name: str) -> NoReturn:
    raise BadEvent(f"the body has {name}, which JSON does not allow")


def parse_event(body: bytes) -> EcrEvent:
    """The event in a request body; BadEvent says in a few words what is wrong with it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadEvent("the body is not UTF-8") from None
    try:
        event = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise BadEvent("the body is nested too deeply") from None
    except BadEvent:
        raise
    except ValueError:
        raise BadEvent("the body is not JSON") from None
    if not isinstance(event, dict):
        raise BadEvent("the body is not a JSON object")
    _check_shape(event)
    try:  # what -o json will print must be JSON, and UTF-8, again
        json.dumps(event, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadEvent("the body has a lone surrogate (\\ud800-\\udfff): not text") from None
    except ValueError:
        raise BadEvent("the body has a number beyond what JSON carries (1e400)") from None
    except RecursionError:
        raise BadEvent("the body is nested too deeply") from None
    return cast(EcrEvent, event)  # _check_shape checked every field summary reads


def _check_shape(event: dict[str, JsonValue]) -> None:
    """Every field ``summary`` reads has the type it expects."""
    _check_text(event, _EVENT_TEXT, "")
    detail = event.get("detail")
    if detail is None:
        return
    if not isinstance(detail, dict):
        raise BadEvent("detail is not a JSON object")
    _check_text(detail, _DETAIL_TEXT, "detail.")
    tags = detail.get("image-tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        raise BadEvent("detail.image-tags is not a list of strings")
    counts = detail.get("finding-severity-counts")
    if counts is not None and not (
        isinstance(counts, dict)
        and all(isinstance(n, int) and not isinstance(n, bool) for n in counts.values())
    ):
        raise BadEvent("detail.finding-severity-counts is not an object of counts")
    repositories = detail.get("repositories")
    if repositories is not None and not (
        isinstance(repositories, list)
        and all(
            isinstance(r, dict) and isinstance(r.get("repository-name", ""), str)
            for r in repositories
        )
    ):
        raise BadEvent("detail.repositories is not a list of repositories")


def summary(event: EcrEvent) -> list[str]:
    """One line for a person: time, kind, repository, what happened, tag(s), digest; for an
    event ``parse_event`` accepted (or made by ``samples``)."""
    found = event.get("detail")
    detail: EventDetail = found if isinstance(found, dict) else {}
    kind = str(event.get("detail-type", "-"))
    if kind == SCAN:
        counts = detail.get("finding-severity-counts") or {}
        what = f"scan {detail.get('scan-status', '-')}"
        if counts:
            what += " " + ",".join(f"{k}={v}" for k, v in counts.items())
        tags = ",".join(detail.get("image-tags") or []) or "-"
    elif kind == PULL_THROUGH:
        what = (
            f"sync {detail.get('sync-status', '-')} from {detail.get('upstream-registry-url', '-')}"
        )
        tags = str(detail.get("image-tag") or "-")
    elif kind == SCAN_CHANGE:
        repos = [str(r.get("repository-name", "-")) for r in detail.get("repositories") or []]
        detail = {**detail, "repository-name": ",".join(repos) or "-"}
        what = f"{detail.get('action-type', '-')} {detail.get('scan-type', '')}".strip()
        tags = "-"
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


def _check_text(doc: Mapping[str, JsonValue], keys: tuple[str, ...], where: str) -> None:
    for key in keys:
        value = doc.get(key)
        if value is not None and not isinstance(value, str):
            raise BadEvent(f"{where}{key} is not a string")
