"""Where an emulator serves its registry: the host GetAuthorizationToken reports is trusted there
(the sandbox's 127.0.0.1:PORT), and AWS itself is never asked."""

from __future__ import annotations

import base64
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.login.targets import reported_host
from ecrctl.core.names import RegistryHost, full_uri, is_aws_endpoint, parse_image_ref, resolve_host

TOKEN = base64.b64encode(b"AWS:secret").decode()


@pytest.mark.parametrize(
    ("url", "aws"),
    [
        ("https://api.ecr.eu-west-1.amazonaws.com", True),
        ("https://vpce-1a2b.api.ecr.us-east-1.vpce.amazonaws.com", True),
        ("https://api.ecr.cn-north-1.amazonaws.com.cn", True),
        ("http://127.0.0.1:5000", False),
        ("http://localhost:4566", False),
        ("https://amazonaws.com.evil.example", False),
    ],
)
def test_aws_endpoints_are_told_from_emulators(url: str, aws: bool) -> None:
    assert is_aws_endpoint(url) is aws


def _client(endpoint: str) -> Any:
    return boto3.client("ecr", region_name="us-east-1", endpoint_url=endpoint)


def test_an_emulators_own_registry_host_is_taken_from_its_token() -> None:
    ecr = _client("http://127.0.0.1:5000")
    with Stubber(ecr) as stub:
        answer = {"authorizationToken": TOKEN, "proxyEndpoint": "http://127.0.0.1:5000"}
        stub.add_response("get_authorization_token", {"authorizationData": [answer]}, {})
        host = reported_host(EcrRegistry(ecr), None)
    assert host == "127.0.0.1:5000"
    ref = parse_image_ref("team/app:1.4.2")
    resolved = resolve_host(
        ref,
        registry_id=None,
        region=lambda: "us-east-1",
        account=lambda: "123456789012",
        reported=lambda: host,
    )
    assert resolved == RegistryHost("123456789012", "us-east-1", reported="127.0.0.1:5000")
    assert full_uri(ref, resolved) == "127.0.0.1:5000/team/app:1.4.2"


def test_an_emulator_that_names_ecrs_own_host_keeps_it() -> None:
    ecr = _client("http://127.0.0.1:5000")
    with Stubber(ecr) as stub:
        answer = {
            "authorizationToken": TOKEN,
            "proxyEndpoint": "https://111122223333.dkr.ecr.us-east-1.amazonaws.com",
        }
        stub.add_response(
            "get_authorization_token",
            {"authorizationData": [answer]},
            {"registryIds": ["111122223333"]},
        )
        assert reported_host(EcrRegistry(ecr), "111122223333") is None


def test_aws_itself_is_not_asked() -> None:
    ecr = _client("https://api.ecr.us-east-1.amazonaws.com")
    with Stubber(ecr):  # no answer queued: any call would fail
        assert reported_host(EcrRegistry(ecr), None) is None
