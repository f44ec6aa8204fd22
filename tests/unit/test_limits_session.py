"""Session details found under ECR's limits: endpoint checks, one parse of service models."""

from __future__ import annotations

import pytest

from ecrctl.core.exceptions import InvalidInput
from ecrctl.session import Clients, Settings, resolve_settings


def settings(endpoint: str | None, environ: dict[str, str] | None = None) -> Settings:
    return resolve_settings(
        profile=None,
        region=None,
        endpoint_url=endpoint,
        registry_id=None,
        debug=False,
        environ=environ or {},
    )


@pytest.mark.parametrize(
    "url", ["not a url", "127.0.0.1:5000", "ftp://host", "http://", "http://h:x"]
)
def test_limits_session_rejects_a_malformed_endpoint_before_any_call(url: str) -> None:
    with pytest.raises(InvalidInput, match="--endpoint-url"):
        settings(url)


def test_limits_session_rejects_a_malformed_endpoint_from_the_environment() -> None:
    with pytest.raises(InvalidInput, match="AWS_ENDPOINT_URL"):
        settings(None, {"AWS_ENDPOINT_URL": "localhost:4566"})


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000", "https://vpce.example.com", None])
def test_limits_session_accepts_real_endpoints(url: str | None) -> None:
    assert settings(url).endpoint_url == url


def test_limits_session_parses_service_models_once_per_process() -> None:
    first = Clients(Settings(region="us-east-1")).session
    second = Clients(Settings(region="eu-west-1")).session
    assert first is not second  # credentials and profile stay per session
    loader = first._session.get_component("data_loader")
    assert second._session.get_component("data_loader") is loader
    assert len(loader.search_paths) == len(set(loader.search_paths))
