"""Session resolution: flag > environment > profile, botocore retries, --debug never leaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecrctl.core.exceptions import InvalidInput
from ecrctl.session import Clients, Settings, _redact, resolve_settings


def settings(**kw: object) -> Settings:
    base: dict[str, object] = {
        "profile": None,
        "region": None,
        "endpoint_url": None,
        "registry_id": None,
        "debug": False,
        "environ": {},
    }
    base.update(kw)
    return resolve_settings(**base)  # type: ignore[arg-type]


def test_flag_beats_environment() -> None:
    s = settings(
        region="eu-west-1", profile="a", environ={"AWS_REGION": "us-east-2", "AWS_PROFILE": "b"}
    )
    assert (s.region, s.profile) == ("eu-west-1", "a")


def test_aws_region_beats_aws_default_region() -> None:
    s = settings(environ={"AWS_REGION": "us-east-2", "AWS_DEFAULT_REGION": "us-west-1"})
    assert s.region == "us-east-2"
    assert settings(environ={"AWS_DEFAULT_REGION": "us-west-1"}).region == "us-west-1"


def test_registry_id_checked_locally() -> None:
    with pytest.raises(InvalidInput, match="12-digit"):
        settings(registry_id="12345")


def test_profile_region_is_used_when_nothing_else_says(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = isolated_env / "aws-config"
    config.write_text("[profile dev]\nregion = ap-southeast-2\n")
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    clients = Clients(
        resolve_settings(
            profile="dev", region=None, endpoint_url=None, registry_id=None, debug=False
        )
    )
    assert clients.region == "ap-southeast-2"
    assert clients.ecr().meta.region_name == "ap-southeast-2"


def test_clients_use_botocore_retry_modes(monkeypatch: pytest.MonkeyPatch) -> None:
    clients = Clients(settings(region="us-east-1"))
    assert clients.ecr().meta.config.retries["mode"] == "standard"
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    assert Clients(settings(region="us-east-1")).ecr().meta.config.retries["mode"] == "adaptive"


def test_clients_are_cached_per_service_and_region() -> None:
    clients = Clients(settings(region="us-east-1"))
    assert clients.ecr() is clients.ecr()
    assert clients.ecr("eu-west-1") is not clients.ecr()
    assert clients.ecr("eu-west-1").meta.region_name == "eu-west-1"


def test_debug_redaction_hides_secrets_and_long_values() -> None:
    redacted = _redact(
        {
            "AuthParameters": {"BasicAuthParameters": {"Password": "hunter2"}},
            "authorizationToken": "QVdTOnNlY3JldA==",
            "repositoryName": "app",
            "imageManifest": "x" * 500,
        }
    )
    assert "hunter2" not in str(redacted) and "QVdTOnNlY3JldA==" not in str(redacted)
    assert redacted["repositoryName"] == "app"
    assert len(str(redacted["imageManifest"])) < 100
