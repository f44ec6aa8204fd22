"""Registry tokens: which registries a login names, and GetAuthorizationToken turned into logins.

An ECR token is base64 of ``AWS:<password>``, valid 12 hours; ``proxyEndpoint`` is the registry.
Registries in the same region (and profile, and FIPS-ness) are asked for in one call.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from ecrctl.core.exceptions import InvalidInput, Refused
from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.models import iso
from ecrctl.core.names import RegistryHost, parse_host, validate_registry_id

if TYPE_CHECKING:
    from ecrctl.core.ecr.api import EcrRegistry

PUBLIC_HOST = "public.ecr.aws"
PUBLIC_REGION = "us-east-1"  # ECR Public issues tokens there only
TOKEN_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class LoginTarget:
    """One REGISTRY argument: an account id (``host`` None), a registry host, or ECR Public."""

    account: str | None = None
    host: RegistryHost | None = None
    public: bool = False


def parse_target(text: str) -> LoginTarget:
    """An account id, a registry host (``https://`` tolerated) or a full image URI."""
    value = text.strip()
    if not value:
        raise InvalidInput("empty registry")
    bare = value.removeprefix("https://").removeprefix("http://").split("/", 1)[0]
    if bare.lower() == PUBLIC_HOST:
        return LoginTarget(public=True)
    if value.isdigit():
        return LoginTarget(account=validate_registry_id(value))
    host = parse_host(value)
    if host is None:
        raise InvalidInput(
            f"{value!r} is not an ECR registry: give an account id (12 digits), a registry host "
            "(ACCOUNT.dkr.ecr.REGION.amazonaws.com), an image URI, or public.ecr.aws"
        )
    return LoginTarget(account=host.account, host=host)


@dataclass(frozen=True)
class TokenRequest:
    """One GetAuthorizationToken call: registries of one profile, region and endpoint kind."""

    profile: str | None
    region: str | None  # None: the session's region
    fips: bool = False
    registry_ids: tuple[str, ...] = ()  # empty: the caller's own registry
    hosts: dict[str, str] = field(default_factory=dict, compare=False)  # account -> host asked
    public: bool = False


def plan_requests(
    texts: Sequence[str],
    *,
    registry_id: str | None,
    region: str | None,
    profile_for: Callable[[str | None], str | None],
    public: bool = False,
) -> list[TokenRequest]:
    """Group the REGISTRY arguments into as few calls as possible (one per region).

    ``profile_for(host)`` gives the AWS profile for a registry host (None: an account id, in
    ``region``, the session's); ``registry_id`` stands in for an empty list.
    """
    targets = [parse_target(t) for t in texts]
    if public:
        targets.append(LoginTarget(public=True))
    if not texts and not public:
        targets.append(LoginTarget(account=registry_id))
    # (profile, region, fips, public) -> (registry ids, account -> host), in first-seen order.
    groups: dict[tuple[str | None, str | None, bool, bool], tuple[list[str], dict[str, str]]] = {}
    for target in targets:
        if target.public:
            groups.setdefault((profile_for(PUBLIC_HOST), PUBLIC_REGION, False, True), ([], {}))
            continue
        host = target.host
        key = (
            profile_for(str(host) if host else None),
            host.region if host else region,
            bool(host and host.fips),
            False,
        )
        ids, hosts = groups.setdefault(key, ([], {}))
        if target.account is not None and target.account not in ids:
            ids.append(target.account)
        if target.account is not None and host is not None:
            hosts[target.account] = str(host)
    return [
        TokenRequest(profile, region, fips, tuple(ids), hosts, public)
        for (profile, region, fips, public), (ids, hosts) in groups.items()
    ]


@dataclass(frozen=True)
class RegistryToken:
    """A login for one registry. ``password`` is a secret: it is never in ``to_json``."""

    host: str
    username: str
    password: str
    issued_at: datetime
    expires_at: datetime
    # The service said the token had expired before it was issued (moto's fixed 2015 date):
    # ECR's documented 12 hours is assumed instead.
    expiry_assumed: bool = False

    def to_json(self) -> JsonObject:
        return {
            "registry": self.host,
            "username": self.username,
            "issuedAt": iso(self.issued_at),
            "expiresAt": iso(self.expires_at),
        }


def decode_token(authorization_token: str) -> tuple[str, str]:
    """``base64("AWS:<password>")`` -> ("AWS", password)."""
    try:
        decoded = base64.b64decode(authorization_token, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise Refused("the registry token from ECR is not valid base64") from None
    username, sep, password = decoded.partition(":")
    if not sep or not username or not password:
        raise Refused("the registry token from ECR is not of the form USER:PASSWORD")
    return username, password


def _expiry(value: object, issued_at: datetime) -> tuple[datetime, bool]:
    expires: datetime | None = None
    if isinstance(value, datetime):
        expires = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, int | float):
        expires = datetime.fromtimestamp(value, UTC)
    if expires is None or expires <= issued_at:
        return issued_at + TOKEN_LIFETIME, True
    return expires.astimezone(UTC), False


def _host_of(endpoint: str) -> str:
    return endpoint.removeprefix("https://").removeprefix("http://").rstrip("/").split("/", 1)[0]


def fetch_tokens(
    registry: EcrRegistry, request: TokenRequest, *, now: datetime | None = None
) -> list[RegistryToken]:
    """One GetAuthorizationToken call for every registry of a request."""
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    tokens: list[RegistryToken] = []
    for data in registry.authorization_data(request.registry_ids):
        username, password = decode_token(data["authorizationToken"])
        endpoint_host = _host_of(str(data.get("proxyEndpoint") or ""))
        parsed = parse_host(endpoint_host)
        host = request.hosts.get(parsed.account, "") if parsed else ""
        if not host:
            host = endpoint_host
            if parsed is not None and request.fips and not parsed.fips:
                fips = RegistryHost(parsed.account, parsed.region, True, parsed.suffix)
                host = str(fips)
        if not host:
            raise Refused("ECR returned a token without its registry (proxyEndpoint)")
        expires, assumed = _expiry(data.get("expiresAt"), issued)
        tokens.append(RegistryToken(host, username, password, issued, expires, assumed))
    if not tokens:
        raise Refused("ECR returned no authorization data")
    return tokens


class PublicTokens(Protocol):
    """An ECR Public client (``ecr-public``, outside EcrRegistry: no stubs are installed)."""

    def get_authorization_token(self) -> Mapping[str, Mapping[str, object]]: ...


def fetch_public_token(ecr_public: PublicTokens, *, now: datetime | None = None) -> RegistryToken:
    """The ECR Public token (``public.ecr.aws``), which only us-east-1 issues."""
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    data = ecr_public.get_authorization_token().get("authorizationData") or {}
    if not data.get("authorizationToken"):
        raise Refused("ECR Public returned no authorization data")
    username, password = decode_token(str(data["authorizationToken"]))
    expires, assumed = _expiry(data.get("expiresAt"), issued)
    return RegistryToken(PUBLIC_HOST, username, password, issued, expires, assumed)


def reported_host(registry: EcrRegistry, registry_id: str | None) -> str | None:
    """The registry host an emulator's GetAuthorizationToken names (``proxyEndpoint``) when it is
    not ECR's form; None on AWS itself (its endpoint is not asked) or for ECR's form."""
    from urllib.parse import urlsplit

    from ecrctl.core.names import is_aws_endpoint

    if is_aws_endpoint(registry.endpoint_url):
        return None
    for data in registry.authorization_data([registry_id] if registry_id else ()):
        endpoint = str(data.get("proxyEndpoint") or "")
        host = urlsplit(endpoint if "//" in endpoint else f"//{endpoint}").netloc
        if host and parse_host(host) is None:
            return host
    return None
