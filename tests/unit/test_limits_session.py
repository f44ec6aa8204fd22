"""Session details found under ECR's limits: endpoint checks, one parse of service models."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecrctl.core.exceptions import InvalidInput
from ecrctl.session import Clients, Settings, resolve_settings, service_loader


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


def test_limits_session_service_loader_answers_as_botocore_does(tmp_path: Path) -> None:
    import json

    import botocore.loaders
    from botocore.exceptions import UnknownServiceError

    custom = tmp_path / "ecrctl-custom" / "2020-01-01"
    custom.mkdir(parents=True)
    model = {"version": "2.0", "metadata": {"apiVersion": "2020-01-01"}, "operations": {}}
    (custom / "service-2.json").write_text(json.dumps(model))
    fast = service_loader(str(tmp_path))
    plain = botocore.loaders.create_loader(str(tmp_path))
    assert fast.search_paths == plain.search_paths
    for kind in ("service-2", "endpoint-rule-set-1", "paginators-1"):
        every = plain.list_available_services(kind)
        assert sorted(fast.list_available_services(kind)) == every
        assert len(fast.list_available_services(kind)) == len(every)
        for name in ("ecr", "ecr-public", "events", "iam", "sts", "sso", "sso-oidc"):
            assert (name in fast.list_available_services(kind)) == (name in every)
        assert "no-such-service" not in fast.list_available_services(kind)
    assert "ecrctl-custom" in fast.list_available_services("service-2")
    assert fast.load_service_model("ecrctl-custom", "service-2") == model
    for service, kind in [("ecr", "service-2"), ("events", "endpoint-rule-set-1")]:
        assert fast.load_service_model(service, kind) == plain.load_service_model(service, kind)
    with pytest.raises(UnknownServiceError, match=r"Valid service names are: .*ecr"):
        fast.load_service_model("no-such-service", "service-2")


def test_limits_session_clients_use_the_service_loader() -> None:
    from botocore.exceptions import UnknownServiceError

    clients = Clients(Settings(region="us-east-1"))
    assert clients.ecr().meta.service_model.service_name == "ecr"
    assert clients.client("sso").meta.service_model.service_name == "sso"  # SSO profiles need it
    loader = clients.core.get_component("data_loader")
    assert "sso-oidc" in loader.list_available_services("service-2")
    with pytest.raises(UnknownServiceError):
        clients.client("no-such-service")
