"""What `ecrctl login` and the helper make of registry names, hosts and tokens (no AWS)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import InvalidInput, Refused
from ecrctl.core.login.status import password_expiry
from ecrctl.core.login.targets import (
    TOKEN_LIFETIME,
    TokenRequest,
    decode_token,
    fetch_tokens,
    parse_target,
    plan_requests,
)
from ecrctl.core.names import RegistryHost, parse_host

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            RegistryHost("123456789012", "eu-west-1", False, "amazonaws.com"),
        ),
        (
            "https://123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/",
            RegistryHost("123456789012", "us-gov-west-1", True, "amazonaws.com"),
        ),
        (
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/app:1",
            RegistryHost("123456789012", "cn-north-1", False, "amazonaws.com.cn"),
        ),
    ],
)
def test_region_fips_and_partition_come_from_the_host(host: str, expected: RegistryHost) -> None:
    assert parse_host(host) == expected


def test_targets_accept_account_host_uri_and_public() -> None:
    assert parse_target("111122223333").account == "111122223333"
    uri = parse_target("111122223333.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.0")
    assert uri.host is not None and uri.host.region == "eu-west-1"
    assert parse_target("https://public.ecr.aws").public


@pytest.mark.parametrize("bad", ["docker.io", "1234", "ghcr.io/org/app", "status2"])
def test_a_non_ecr_registry_is_refused_with_what_to_give(bad: str) -> None:
    with pytest.raises(InvalidInput, match=r"not an ECR registry|12-digit"):
        parse_target(bad)


def test_one_request_per_region_and_profile() -> None:
    requests = plan_requests(
        [
            "111122223333",
            "222233334444.dkr.ecr.us-east-1.amazonaws.com",
            "333344445555.dkr.ecr.eu-west-1.amazonaws.com/app:1",
            "444455556666.dkr.ecr.eu-west-1.amazonaws.com",
            "111122223333",
        ],
        registry_id=None,
        region="us-east-1",
        profile_for=lambda host: None,
    )
    assert [(r.region, r.registry_ids) for r in requests] == [
        ("us-east-1", ("111122223333", "222233334444")),
        ("eu-west-1", ("333344445555", "444455556666")),
    ]


def test_registries_with_their_own_profiles_are_asked_for_apart() -> None:
    profiles = {"222233334444.dkr.ecr.us-east-1.amazonaws.com": "prod"}
    requests = plan_requests(
        ["111122223333.dkr.ecr.us-east-1.amazonaws.com", *profiles],
        registry_id=None,
        region="us-east-1",
        profile_for=lambda host: profiles.get(host or "", "dev"),
    )
    assert [(r.profile, r.registry_ids) for r in requests] == [
        ("dev", ("111122223333",)),
        ("prod", ("222233334444",)),
    ]


def test_no_registry_means_the_callers_own_and_public_is_us_east_1() -> None:
    (own,) = plan_requests([], registry_id=None, region="eu-west-1", profile_for=lambda h: None)
    assert own.registry_ids == () and own.region == "eu-west-1" and not own.public
    (public,) = plan_requests(
        [], registry_id=None, region="eu-west-1", profile_for=lambda h: None, public=True
    )
    assert public.public and public.region == "us-east-1"


def test_token_decoding() -> None:
    assert decode_token(base64.b64encode(b"AWS:pa:ss").decode()) == ("AWS", "pa:ss")
    with pytest.raises(Refused):
        decode_token(base64.b64encode(b"no-colon").decode())
    with pytest.raises(Refused):
        decode_token("***")


class _FakeEcr:
    """Records the calls; answers like ECR (or like moto, with an expiry in the past)."""

    def __init__(self, expires_at: datetime) -> None:
        self.calls: list[dict[str, object]] = []
        self.expires_at = expires_at

    def get_authorization_token(self, **params: object) -> dict[str, object]:
        self.calls.append(params)
        ids = params.get("registryIds") or ["999988887777"]
        assert isinstance(ids, list)
        return {
            "authorizationData": [
                {
                    "authorizationToken": base64.b64encode(f"AWS:pw-{i}".encode()).decode(),
                    "expiresAt": self.expires_at,
                    "proxyEndpoint": f"https://{i}.dkr.ecr.eu-west-1.amazonaws.com",
                }
                for i in ids
            ]
        }


def test_fetch_keeps_the_host_asked_for_and_the_real_expiry() -> None:
    ecr = _FakeEcr(NOW + timedelta(hours=12))
    request = TokenRequest(
        profile=None,
        region="eu-west-1",
        fips=True,
        registry_ids=("111122223333",),
        hosts={"111122223333": "111122223333.dkr.ecr-fips.eu-west-1.amazonaws.com"},
    )
    (token,) = fetch_tokens(EcrRegistry(ecr), request, now=NOW)
    assert ecr.calls == [{"registryIds": ["111122223333"]}]
    assert token.host == "111122223333.dkr.ecr-fips.eu-west-1.amazonaws.com"
    assert (token.username, token.password) == ("AWS", "pw-111122223333")
    assert token.expires_at == NOW + timedelta(hours=12) and not token.expiry_assumed
    assert "pw-" not in json.dumps(token.to_json())


def test_an_expiry_already_past_at_issue_is_taken_as_ecrs_twelve_hours() -> None:
    (token,) = fetch_tokens(
        EcrRegistry(_FakeEcr(datetime(2015, 1, 1, tzinfo=UTC))), TokenRequest(None, None)
    )
    assert token.expiry_assumed
    assert token.expires_at - token.issued_at == TOKEN_LIFETIME
    assert token.host == "999988887777.dkr.ecr.eu-west-1.amazonaws.com"


def test_ecr_passwords_carry_their_expiry() -> None:
    payload = {"payload": "x", "version": "2", "expiration": 1767268800}
    password = base64.b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    assert password_expiry(password) == datetime.fromtimestamp(1767268800, UTC)
    assert password_expiry("123456789012-auth-token") is None


def test_a_fips_host_is_asked_at_the_fips_endpoint_unless_an_endpoint_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ecrctl.session import Settings
    from ecrctl.tokens import registry_clients

    (request,) = plan_requests(
        ["111122223333.dkr.ecr-fips.us-gov-west-1.amazonaws.com"],
        registry_id=None,
        region="us-east-1",
        profile_for=lambda host: None,
    )
    assert request.fips and request.region == "us-gov-west-1"
    clients = registry_clients(Settings(region="us-east-1"), request)
    assert clients.settings.endpoint_url == "https://ecr-fips.us-gov-west-1.amazonaws.com"
    assert clients.settings.region == "us-gov-west-1"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    assert registry_clients(Settings(), request).settings.endpoint_url is None  # botocore's env
