"""GetAuthorizationToken against moto, and against botocore's Stubber where moto is not ECR
(a real expiry, ECR Public, several registries in one call)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.stub import Stubber

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.login.targets import TokenRequest, fetch_public_token, fetch_tokens

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_moto_token_becomes_a_login_for_the_callers_registry(ecr: Any) -> None:
    (token,) = fetch_tokens(EcrRegistry(ecr), TokenRequest(profile=None, region="us-east-1"))
    assert token.host == "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    assert (token.username, token.password) == ("AWS", "123456789012-auth-token")
    # moto says every token expired on 2015-01-01; ECR's 12 hours stand in.
    assert token.expiry_assumed and token.expires_at - token.issued_at == timedelta(hours=12)


def test_several_registries_of_a_region_take_one_call() -> None:
    client = boto3.client("ecr", region_name="eu-west-1")
    ids = ["111122223333", "444455556666"]
    with Stubber(client) as stub:
        stub.add_response(
            "get_authorization_token",
            {
                "authorizationData": [
                    {
                        "authorizationToken": b64(f"AWS:pw-{i}"),
                        "expiresAt": NOW + timedelta(hours=12),
                        "proxyEndpoint": f"https://{i}.dkr.ecr.eu-west-1.amazonaws.com",
                    }
                    for i in ids
                ]
            },
            {"registryIds": ids},
        )
        tokens = fetch_tokens(
            EcrRegistry(client), TokenRequest(None, "eu-west-1", registry_ids=tuple(ids)), now=NOW
        )
        stub.assert_no_pending_responses()
    assert [(t.host.split(".")[0], t.password) for t in tokens] == [
        ("111122223333", "pw-111122223333"),
        ("444455556666", "pw-444455556666"),
    ]
    assert all(t.expires_at == NOW + timedelta(hours=12) and not t.expiry_assumed for t in tokens)


def test_ecr_public_token() -> None:
    client = boto3.client("ecr-public", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response(
            "get_authorization_token",
            {
                "authorizationData": {
                    "authorizationToken": b64("AWS:public-pw"),
                    "expiresAt": NOW + timedelta(hours=12),
                }
            },
            {},
        )
        token = fetch_public_token(client, now=NOW)
    assert (token.host, token.username, token.password) == ("public.ecr.aws", "AWS", "public-pw")
    assert token.expires_at == NOW + timedelta(hours=12)
