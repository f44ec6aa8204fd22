"""What ``events listen`` accepts: any body is either refused as a BadEvent (400) or an event the
listener can show both ways, the one-line summary and strict JSON (-o json).

The bodies are generated: JSON documents shaped like ECR events with every field replaced, at
random, by any JSON value (and the non-JSON constants Python's parser takes). 500 bodies by
default; ECRCTL_EVENT_EXAMPLES=4000 explores more (about 45 s).
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecrctl.core.events.inbound import BadEvent, parse_event, summary
from ecrctl.core.events.pattern import DETAIL_TYPES
from ecrctl.core.events.samples import SAMPLE_KINDS, sample
from ecrctl.core.inputs import printable

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
DETAIL_KEYS = [
    "repository-name",
    "repositories",
    "action-type",
    "result",
    "image-tag",
    "image-tags",
    "image-digest",
    "scan-status",
    "scan-type",
    "finding-severity-counts",
    "sync-status",
    "upstream-registry-url",
]


@st.composite
def event_bodies(draw: st.DrawFn) -> bytes:
    event: dict[str, Any] = sample(draw(st.sampled_from(SAMPLE_KINDS)))
    if draw(st.booleans()):
        event["detail-type"] = draw(st.sampled_from(DETAIL_TYPES))
    detail = event["detail"]
    for key in draw(st.lists(st.sampled_from(DETAIL_KEYS), max_size=4)):
        detail[key] = draw(VALUES)
    if draw(st.integers(0, 3)) == 0:
        event["detail"] = draw(VALUES)
    if draw(st.integers(0, 3)) == 0:
        event[draw(st.sampled_from(["time", "id", "detail-type", "account"]))] = draw(VALUES)
    if draw(st.integers(0, 3)) == 0:
        entry = draw(st.dictionaries(st.sampled_from(["repository-name", "x"]), VALUES))
        detail["repositories"] = [entry, draw(VALUES)]
    text = json.dumps(event)
    if draw(st.integers(0, 5)) == 0:  # what json.dumps never writes but a peer may
        constant = draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", '"\\ud800"']))
        text = text.replace('"version": "0"', f'"version": "0", "n": {constant}')
    return text.encode()


@settings(
    max_examples=int(os.environ.get("ECRCTL_EVENT_EXAMPLES", "500")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(body=event_bodies())
def test_an_event_is_refused_400_or_can_be_shown_both_ways(body: bytes) -> None:
    try:
        event = parse_event(body)
    except BadEvent as error:
        assert str(error) and "\n" not in str(error)
        return
    line = [printable(field) for field in summary(event)]
    assert len(line) == 6 and all(isinstance(field, str) for field in line)
    assert all(field.isprintable() for field in line)
    json.dumps(event, ensure_ascii=False, allow_nan=False).encode("utf-8")


@pytest.mark.parametrize("kind", SAMPLE_KINDS)
def test_every_sample_event_is_accepted(kind: str) -> None:
    event = sample(kind, repository="team/app")
    assert parse_event(json.dumps(event).encode()) == event
    assert "team/app" in summary(event)[2]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            {"detail-type": "ECR Scan Resource Change", "detail": {"repositories": [1]}},
            "detail.repositories is not a list of repositories",
        ),
        ({"detail": {"scan-type": ["ENHANCED"]}}, "detail.scan-type is not a string"),
    ],
)
def test_what_the_summary_cannot_show_is_named(body: dict[str, Any], reason: str) -> None:
    with pytest.raises(BadEvent, match=reason):
        parse_event(json.dumps(body).encode())


def _imports(module: str) -> set[str]:
    """Every ecrctl module ``module`` imports, wherever the import is (TYPE_CHECKING too)."""
    path = Path(__file__).resolve().parents[2] / (module.replace(".", "/") + ".py")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("ecrctl.")}


def test_the_listener_and_its_handler_do_not_import_each_other() -> None:
    handler, listener = "ecrctl.core.events.handler", "ecrctl.core.events.listener"
    assert handler in _imports(listener)
    assert listener not in _imports(handler)
