"""Image references for ecrctl copy, read as docker / crane / skopeo read them."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from ecrctl.core.copy.credentials import docker_credentials
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.names import Reference, destination, parse_reference, scheme_for


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("app:1.4", Reference("app", "1.4")),
        ("team/app", Reference("team/app")),
        ("docker.io/nginx:1.27", Reference("library/nginx", "1.27", host="registry-1.docker.io")),
        ("ghcr.io/org/img:tag", Reference("org/img", "tag", host="ghcr.io")),
        ("localhost:5000/x:1", Reference("x", "1", host="localhost:5000")),
        ("localhost/x", Reference("x", host="localhost")),
        (
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:" + "a" * 64,
            Reference(
                "app",
                None,
                "sha256:" + "a" * 64,
                host="123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            ),
        ),
        ("h.io/app:1@sha256:" + "b" * 64, Reference("app", "1", "sha256:" + "b" * 64, host="h.io")),
    ],
)
def test_parse(text: str, expected: Reference) -> None:
    assert parse_reference(text) == expected


def test_ecr_and_scheme() -> None:
    assert parse_reference("123456789012.dkr.ecr.eu-west-1.amazonaws.com/a:1").registry is not None
    assert parse_reference("ghcr.io/a/b:1").registry is None
    assert scheme_for("127.0.0.1:5000") == "http" == scheme_for("localhost:5000")
    assert scheme_for("registry.internal:5000") == "https"
    assert scheme_for("registry.internal:5000", frozenset({"registry.internal:5000"})) == "http"


def test_destination_repository_keeps_the_source_tag() -> None:
    src = parse_reference("h.io/app:1.4")
    assert destination("other.io/team/app", src) == Reference("team/app", "1.4", host="other.io")
    assert destination("other.io/app:prod", src).tag == "prod"


@pytest.mark.parametrize("text", ["", "App:1", "h.io/a:b c", "a@sha256:xyz", "h_o:/x"])
def test_bad_references(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_reference(text)


def test_docker_config_auths_and_hub_keys(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    auth = base64.b64encode(b"me:s3cret").decode()
    config.write_text(
        json.dumps(
            {"auths": {"https://index.docker.io/v1/": {"auth": auth}, "ghcr.io": {"auth": auth}}}
        )
    )
    assert docker_credentials("registry-1.docker.io", config) == ("me", "s3cret")
    assert docker_credentials("ghcr.io", config) == ("me", "s3cret")
    assert docker_credentials("quay.io", config) is None  # anonymous


def test_a_source_without_a_tag_means_latest_on_both_sides() -> None:
    from ecrctl.core.names import destination, parse_reference

    source = parse_reference("a/x")
    assert source.identifier == "latest"
    assert destination("b/x", source).tag == "latest"  # was None: "x names None"
    pinned = parse_reference("a/x@sha256:" + "a" * 64)
    assert destination("b/x", pinned).digest == pinned.digest
    assert destination("b/x", pinned).tag is None
