"""Test-only: a registry behind the distribution token flow, as Docker Hub, GHCR and Harbor run it.

A real ``docker-registry`` configured with ``auth: token`` (realm, service, issuer,
rootcertbundle) trusts JWTs signed by a test key whose self-signed certificate is its root
bundle; a tiny token service here issues them. Anyone may pull (an anonymous request gets
``pull`` only); the one user may also push. Every token issued is kept, so a test can check that
none of them ever reaches ecrctl's output.
"""

from __future__ import annotations

import base64
import datetime
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fakehttp import FakeServer, Reply, Request, json_reply
from tests.needed import unavailable
from tests.oci_registries import LocalRegistry, missing_tools, start_registry, stop_registry

SERVICE = "ecrctl-test-registry"
ISSUER = "ecrctl-test-token-issuer"
USER, PASSWORD = "pusher", "s3cret-push-password"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenService:
    """Issues RS256 JWTs the registry verifies against ``cert`` (sent along as ``x5c``)."""

    key: Any
    cert_der: bytes
    issued: list[str] = field(default_factory=list)
    asked: list[tuple[str | None, list[str]]] = field(default_factory=list)  # (user, scopes)
    url: str = ""

    def token(self, user: str | None, scopes: list[str]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        access = []
        for scope in scopes:
            kind, name, actions = scope.split(":")
            wanted = set(actions.split(","))
            granted = wanted if user == USER else wanted & {"pull"}
            access.append({"type": kind, "name": name, "actions": sorted(granted)})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(self.cert_der).decode()]}
        claims = {
            "iss": ISSUER,
            "sub": user or "",
            "aud": SERVICE,
            "exp": now + 600,
            "nbf": now - 60,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        signing_input = (
            f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        )
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        token = f"{signing_input}.{_b64url(signature)}"
        self.issued.append(token)
        return token


def _token_endpoint(service: TokenService) -> Callable[[Request], Reply]:
    def answer(request: Request) -> Reply:
        if request.method != "GET":  # the GET token flow only: no OAuth2 POST
            return json_reply(501, {"details": f"unsupported method {request.method}"})
        query = parse_qs(urlsplit(request.path).query)
        user = None
        header = request.headers.get("Authorization") or ""
        if header.startswith("Basic "):
            name, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            if (name, secret) != (USER, PASSWORD):
                return json_reply(401, {"details": "wrong user name or password"})
            user = name
        if query.get("service") != [SERVICE]:
            return json_reply(400, {"details": "unknown service"})
        scopes = query.get("scope", [])
        service.asked.append((user, scopes))
        return json_reply(200, {"token": service.token(user, scopes), "expires_in": 600})

    return answer


def _key_and_cert(root: Path) -> tuple[Any, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (root / "token-root.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert.public_bytes(serialization.Encoding.DER)


@dataclass
class TokenRegistry:
    registry: LocalRegistry
    service: TokenService

    @property
    def host(self) -> str:
        return self.registry.host


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """A docker-registry that takes only tokens from the test token service (and the service)."""
    reason = missing_tools()
    if reason:
        unavailable(reason)
    root = tmp_path_factory.mktemp("token-registry")
    key, cert_der = _key_and_cert(root)
    service = TokenService(key, cert_der)
    server = FakeServer(_token_endpoint(service))
    service.url = f"{server.url}/token"
    auth = (
        "auth:\n  token:\n"
        f"    realm: {service.url}\n    service: {SERVICE}\n    issuer: {ISSUER}\n"
        f"    rootcertbundle: {root}/token-root.pem\n"
    )
    try:
        registry = start_registry(root, auth=auth)
    except BaseException:
        server.stop()
        raise
    try:
        yield TokenRegistry(registry, service)
    finally:
        stop_registry(registry)
        server.stop()
