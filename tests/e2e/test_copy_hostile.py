"""ecrctl copy against registries that misbehave on purpose: the installed ``ecrctl`` as a
subprocess, a hand-written malicious registry (tests/hostile_registry.py) and its second
listener on another port, both small servers on 127.0.0.1.

What the copy path must guarantee, as login and the events listener already do:
credentials only to the origin that challenged; bounded memory against endless answers; a
malformed answer refused in one line naming the host (exit 1), never a crash; a registry's
text escaped on the terminal, its error code kept. Retries are in test_copy_faults.py.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests import fakehttp
from tests.conftest import ecrctl_command
from tests.fakehttp import Reply, Request, endless, json_reply
from tests.hostile_registry import (
    OCI_INDEX,
    PASSWORD,
    HostileRegistry,
    digest_of,
    docker_login,
    run_measured,
)

pytestmark = pytest.mark.e2e
fake_server = fakehttp.fake_server
PEAK_LIMIT_MIB = 100  # ecrctl copies in ~30 MiB; an answer read whole would be gigabytes


@pytest.fixture
def hostile() -> Iterator[Callable[..., HostileRegistry]]:
    made: list[HostileRegistry] = []

    def make(auth: str = "") -> HostileRegistry:
        made.append(HostileRegistry(auth))
        return made[-1]

    yield make
    for registry in made:
        registry.stop()


def ecrctl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ecrctl_command(), *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and "unexpected error" not in stderr
    return lines[0]


def authorizations(requests: list[Request]) -> list[str | None]:
    return [r.headers.get("Authorization") for r in requests]


# -- credentials go only to the origin that challenged -----------------------------------


def test_an_upload_location_on_another_port_gets_no_credentials(
    hostile: Any, fake_server: Any
) -> None:
    """The destination challenges for Basic credentials and hands out upload locations on a
    second listener (another port, plain HTTP): the uploads go there, without Authorization,
    and the copy completes (signed-URL style uploads still work)."""
    source, destination = hostile(), hostile(auth="basic")
    storage = fake_server(destination.storage)
    destination.upload_base = storage.url
    digest = source.push_image("app", "1", [os.urandom(3000), os.urandom(70_000)])
    docker_login(destination.host)
    out = ecrctl("copy", f"{source.host}/app:1", f"{destination.host}/team/app", "-o", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["verifiedDigest"] == digest
    assert destination.manifests[("team/app", "1")][1] == source.manifests[("app", "1")][1]
    uploads = storage.seen()
    assert {r.method for r in uploads} >= {"PATCH", "PUT"}
    assert authorizations(uploads) == [None] * len(uploads)  # the password stayed home
    own = [r for r in destination.server.seen() if r.route != "/v2/"]
    assert own and all(a and a.startswith("Basic ") for a in authorizations(own))
    assert PASSWORD not in out.stderr + out.stdout


def test_a_blob_redirect_to_another_port_gets_no_credentials(
    hostile: Any, fake_server: Any
) -> None:
    """The source redirects blob GETs to a storage listener on another port: the registry's
    credentials do not follow."""
    source, destination = hostile(auth="basic"), hostile()
    storage = fake_server(source.storage)
    source.blob_base = storage.url
    digest = source.push_image("app", "2", [os.urandom(5000)])
    docker_login(source.host)
    out = ecrctl("copy", f"{source.host}/app:2", f"{destination.host}/app", "-o", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["verifiedDigest"] == digest
    fetched = storage.seen("GET")
    assert len(fetched) == 2  # the config and the layer
    assert authorizations(fetched) == [None, None]


# -- bounded memory against endless answers ----------------------------------------------


def _endless_at(route: str, status: int = 200, **headers: str) -> Callable[[Request], Any]:
    def misbehave(request: Request) -> Reply | None:
        if request.route == route:
            return Reply(status, headers, endless())
        return None

    return misbehave


ENDLESS = {
    # case: (route, status, headers, options, expected exit code, expected text)
    "ping": ("/v2/", 200, {}, (), 1, "the answer to GET /v2/ is larger than 4 MiB"),
    "manifest": (
        "/v2/app/manifests/1",
        200,
        {"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
        (),
        1,
        "the answer to GET /v2/app/manifests/1 is larger than 4 MiB",
    ),
    "error body": ("/v2/app/manifests/1", 500, {}, (), 1, "GET /v2/app/manifests/1: HTTP 500"),
    "referrers": (
        "/v2/app/referrers/{digest}",
        200,
        {"Content-Type": OCI_INDEX},
        ("--with-referrers",),
        1,
        "is larger than 4 MiB",
    ),
}


@pytest.mark.parametrize("case", list(ENDLESS))
def test_an_endless_answer_is_cut_and_memory_stays_bounded(hostile: Any, case: str) -> None:
    route, status, headers, options, code, text = ENDLESS[case]
    source, destination = hostile(), hostile()
    digest = source.push_image("app", "1", [os.urandom(1000)])
    source.misbehave = _endless_at(route.format(digest=digest), status, **headers)
    out = run_measured("copy", f"{source.host}/app:1", f"{destination.host}/app", *options)
    assert out.exit_code == code, out.stderr
    line = one_line(out.stderr)
    assert line.startswith(f"ecrctl: source {source.host}: ") and text in line
    assert out.peak_mib < PEAK_LIMIT_MIB, out.peak_mib


def test_an_endless_401_body_is_cut_and_the_copy_goes_on(hostile: Any) -> None:
    """The challenge's body is not what a client needs: 64 KiB of it is read, then the copy
    goes on with the credentials the challenge asked for."""
    source, destination = hostile(auth="basic"), hostile()
    digest = source.push_image("app", "1", [os.urandom(1000)])
    docker_login(source.host)

    def misbehave(request: Request) -> Reply | None:
        if request.route == "/v2/" and not request.headers.get("Authorization"):
            challenge = {"WWW-Authenticate": 'Basic realm="hostile"'}
            return Reply(401, challenge, endless())
        return None

    source.misbehave = misbehave
    out = run_measured("copy", f"{source.host}/app:1", f"{destination.host}/app", "-o", "json")
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)["verifiedDigest"] == digest
    assert out.peak_mib < PEAK_LIMIT_MIB, out.peak_mib


def test_an_endless_token_answer_is_cut(hostile: Any) -> None:
    source, destination = hostile(auth="bearer"), hostile()
    source.push_image("app", "1", [os.urandom(1000)])
    source.misbehave = _endless_at("/token", 200, **{"Content-Type": "application/json"})
    out = run_measured("copy", f"{source.host}/app:1", f"{destination.host}/app")
    assert out.exit_code == 1, out.stderr
    line = one_line(out.stderr)
    assert line == f"ecrctl: source {source.host}: the answer to GET /token is larger than 4 MiB"
    assert out.peak_mib < PEAK_LIMIT_MIB, out.peak_mib


# -- malformed answers: refused in one line naming the host -------------------------------

BAD_DIGEST = "sha256:../../../../v2/other/manifests/x"


def _manifest_doc(**changes: Any) -> bytes:
    doc = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": digest_of(b"{}"),
            "size": 2,
        },
        "layers": [],
    }
    doc.update(changes)
    return json.dumps(doc).encode()


MALFORMED = {
    # case: (manifest bytes, media type, expected text)
    "not JSON": (b"<html>502 Bad Gateway</html>", None, "manifest 1 is not JSON"),
    "nested too deeply": (b"[" * 100_000, None, "manifest 1 is nested too deeply"),
    "a layer without digest": (
        _manifest_doc(layers=[{"mediaType": "application/x", "size": 3}]),
        None,
        "layers[0] of manifest 1 has no digest",
    ),
    "a digest that is not sha256:<64 hex>": (
        _manifest_doc(layers=[{"mediaType": "application/x", "digest": BAD_DIGEST, "size": 3}]),
        None,
        "the digest of layers[0] of manifest 1 is not a sha256 digest: sha256:../../",
    ),
    "an index whose manifests is not a list": (
        json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": {"a": 1}}).encode(),
        OCI_INDEX,
        "manifests of manifest 1 is not a list",
    ),
    "a size that is not a number": (
        _manifest_doc(layers=[{"digest": digest_of(b"x"), "size": "12; rm -rf"}]),
        None,
        "the size of layers[0] of manifest 1 is not a byte count",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_manifest_is_refused_naming_the_host(hostile: Any, case: str) -> None:
    data, media_type, text = MALFORMED[case]
    source, destination = hostile(), hostile()
    source.push_raw("app", "1", data, media_type or "application/vnd.oci.image.manifest.v1+json")
    out = ecrctl("copy", f"{source.host}/app:1", f"{destination.host}/app")
    assert out.returncode == 1, out.stderr
    line = one_line(out.stderr)
    assert line.startswith(f"ecrctl: source {source.host}: ") and text in line, line
    # An unchecked digest never reaches a request path, on either side.
    for registry in (source, destination):
        assert not any(".." in r.path for r in registry.server.seen())
    assert destination.manifests == {}


@pytest.mark.parametrize(
    "token",
    ["abc\r\nX-Injected: yes", "abc def", "tok\x1b[2J"],
    ids=["CR/LF", "space", "escape"],
)
def test_a_token_with_line_breaks_or_controls_is_refused(hostile: Any, token: str) -> None:
    source, destination = hostile(auth="bearer"), hostile()
    source.push_image("app", "1", [os.urandom(100)])

    def misbehave(request: Request) -> Reply | None:
        return json_reply(200, {"token": token}) if request.route == "/token" else None

    source.misbehave = misbehave
    out = ecrctl("copy", f"{source.host}/app:1", f"{destination.host}/app")
    assert out.returncode == 1, out.stderr
    line = one_line(out.stderr)
    assert line == (
        f"ecrctl: source {source.host}: the token answer holds a token with spaces, CR/LF or "
        "controls"
    )
    assert not any("X-Injected" in str(r.headers) for r in source.server.seen())


def test_a_destination_digest_header_that_is_not_a_digest_is_refused(hostile: Any) -> None:
    source, destination = hostile(), hostile()
    source.push_image("app", "1", [os.urandom(100)])

    def misbehave(request: Request) -> Reply | None:
        if request.method == "HEAD" and "/manifests/" in request.route:
            return Reply(200, {"Docker-Content-Digest": "sha256:\x1b]0;owned\x07"})
        return None

    destination.misbehave = misbehave
    out = ecrctl("copy", f"{source.host}/app:1", f"{destination.host}/app")
    assert out.returncode == 1, out.stderr
    line = one_line(out.stderr)
    assert line.startswith(f"ecrctl: destination {destination.host}: the Docker-Content-Digest")
    assert "\x1b" not in out.stderr and "\\x1b]0;owned\\x07" in line


# -- a registry's text reaches the terminal escaped, its error code kept ------------------


def test_a_registry_error_message_is_escaped_and_its_code_kept(hostile: Any) -> None:
    source, destination = hostile(), hostile()
    source.push_image("app", "1", [os.urandom(2000)])
    hostile_text = "\x1b[2J\x1b]0;pwned\x07digest bad\r\nfake: line"

    def misbehave(request: Request) -> Reply | None:
        if request.method == "PUT" and "digest=" in request.path:
            error = {"errors": [{"code": "DIGEST_INVALID", "message": hostile_text}]}
            return json_reply(400, error)
        return None

    destination.misbehave = misbehave
    out = ecrctl("copy", f"{source.host}/app:1", f"{destination.host}/app")
    assert out.returncode == 1, out.stderr
    line = one_line(out.stderr)
    assert "HTTP 400 DIGEST_INVALID: \\x1b[2J\\x1b]0;pwned\\x07digest bad\\r\\nfake: line" in line
    assert not any(c in out.stderr for c in "\x1b\x07\r")
    assert line.startswith(f"ecrctl: copy to {destination.host}/app:1 interrupted: destination ")


@pytest.mark.parametrize(
    ("challenge", "asked"),
    [('Negotiate realm="x"', "negotiate authentication"), ("", "an empty challenge")],
)
def test_a_challenge_ecrctl_cannot_answer_is_said_in_one_line(
    hostile: Any, challenge: str, asked: str
) -> None:
    source, destination = hostile(), hostile()
    source.push_image("app", "1", [os.urandom(100)])

    def misbehave(request: Request) -> Reply | None:
        headers = {"WWW-Authenticate": challenge} if challenge else {}
        return Reply(401, headers, b"") if request.route == "/v2/" else None

    source.misbehave = misbehave
    out = ecrctl("copy", f"{source.host}/app:1", f"{destination.host}/app")
    assert out.returncode == 1, out.stderr
    assert one_line(out.stderr) == (
        f"ecrctl: source {source.host}: /v2/ asks for {asked} (ecrctl does Basic, Bearer)"
    )
