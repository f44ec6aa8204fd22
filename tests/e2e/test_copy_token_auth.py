"""ecrctl copy through the registry token flow of a real registry (docker-registry with
``auth: token``, tests/oci_token_auth.py): anonymous pulls get a pull-only token, docker's
credentials buy a push token, and no token ever shows up in ecrctl's output or errors."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests import oci_registries, oci_token_auth
from tests.oci_registries import push_image, skopeo_digest
from tests.oci_token_auth import PASSWORD, USER, TokenRegistry

registries = oci_registries.registries
token_registry = oci_token_auth.token_registry
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("registries", "token_registry")]


def docker_login(host: str, user: str, password: str) -> Path:
    """What `docker login` leaves in the docker config (auths, base64 user:password)."""
    path = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    path.write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return path


def assert_no_secret(registry: TokenRegistry, *texts: str) -> None:
    assert registry.service.issued, "the token service issued nothing: the flow was not used"
    for text in texts:
        assert PASSWORD not in text
        for token in registry.service.issued:
            assert token not in text and token.rsplit(".", 1)[1] not in text


def test_push_with_docker_credentials_then_pull_anonymously(
    cli: Any, registries: Any, token_registry: TokenRegistry
) -> None:
    one, two = registries
    service = token_registry.service
    digest, _ = push_image(one.host, "tok/src", "1", [os.urandom(20_000), os.urandom(5_000)])
    config = docker_login(token_registry.host, USER, PASSWORD)
    pushed = cli(
        "copy", f"{one.host}/tok/src:1", f"{token_registry.host}/team/app", "-o", "json", "--debug"
    )
    assert pushed.exit_code == 0, pushed.stderr
    assert json.loads(pushed.stdout)["verifiedDigest"] == digest
    assert (USER, ["repository:team/app:pull,push"]) in service.asked
    # skopeo, anonymous through the same token service, reads back the digest ecrctl reported.
    assert skopeo_digest(token_registry.host, "team/app", "1") == digest

    config.unlink()  # no credentials at all: an anonymous, pull-only token
    pulled = cli("copy", f"{token_registry.host}/team/app:1", f"{two.host}/fromtok", "-o", "json")
    assert pulled.exit_code == 0, pulled.stderr
    assert json.loads(pulled.stdout)["verifiedDigest"] == digest
    assert (None, ["repository:team/app:pull"]) in service.asked
    assert skopeo_digest(two.host, "fromtok", "1") == digest
    assert_no_secret(token_registry, pushed.stdout, pushed.stderr, pulled.stdout, pulled.stderr)


def test_anonymous_push_is_refused_exit_4_without_the_token(
    cli: Any, registries: Any, token_registry: TokenRegistry
) -> None:
    one, _ = registries
    push_image(one.host, "tok/anon", "1", [os.urandom(1000)])
    out = cli("copy", f"{one.host}/tok/anon:1", f"{token_registry.host}/anon/app", "--debug")
    assert out.exit_code == 4, out.stderr
    last = out.stderr.strip().splitlines()[-1]  # --debug shows the traceback above it
    assert last.startswith("ecrctl: access denied: destination " + token_registry.host)
    assert "POST /v2/anon/app/blobs/uploads/: HTTP 401" in last
    assert (None, ["repository:anon/app:pull,push"]) in token_registry.service.asked
    assert_no_secret(token_registry, out.stdout, out.stderr)


def test_wrong_password_exit_4_names_the_token_service_not_the_password(
    cli: Any, registries: Any, token_registry: TokenRegistry
) -> None:
    one, _ = registries
    push_image(one.host, "tok/wrong", "1", [os.urandom(1000)])
    docker_login(token_registry.host, USER, "not-" + PASSWORD)
    out = cli("copy", f"{one.host}/tok/wrong:1", f"{token_registry.host}/wrong/app")
    assert out.exit_code == 4, out.stderr
    assert "token service refused the credentials" in out.stderr
    assert "not-" + PASSWORD not in out.stderr + out.stdout
    assert_no_secret(token_registry, out.stdout, out.stderr)
