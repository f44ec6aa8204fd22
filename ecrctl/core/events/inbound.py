"""What ``events listen`` accepts as an event, and how its fields are made safe to print."""

from __future__ import annotations

import json
from typing import Any


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
)


def parse_event(body: bytes) -> dict[str, Any]:
    """The event in a request body; BadEvent says in a few words what is wrong with it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadEvent("the body is not UTF-8") from None
    try:
        event = json.loads(text)
    except RecursionError:
        raise BadEvent("the body is nested too deeply") from None
    except ValueError:
        raise BadEvent("the body is not JSON") from None
    if not isinstance(event, dict):
        raise BadEvent("the body is not a JSON object")
    _check_text(event, _EVENT_TEXT, "")
    detail = event.get("detail")
    if detail is None:
        return event
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
    return event


def _check_text(doc: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    for key in keys:
        value = doc.get(key)
        if value is not None and not isinstance(value, str):
            raise BadEvent(f"{where}{key} is not a string")
