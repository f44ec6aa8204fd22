"""core/login/login: the LoginResult of `ecrctl login`, with tokens from moto in-process, and from
botocore's Stubber where moto is not ECR (a real expiry, several registries in one call)."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.login.cache import TokenCache, resolve_identity
from ecrctl.core.login.login import (
    RegistryLogin,
    choose_profile,
    log_in,
    plan_login,
)
from ecrctl.core.login.targets import TokenRequest, fetch_tokens
from ecrctl.core.login.userconfig import UserConfig, load_user_config

HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
PASSWORD = "123456789012-auth-token"  # what moto issues for its account
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def no_profile(host: str | None) -> str | None:
    return None


def own_registry(**options: Any) -> list[TokenRequest]:
    return plan_login([], registry_id=None, region="us-east-1", profile_for=no_profile, **options)


def config(home: Path) -> dict[str, Any]:
    data = json.loads((home / ".docker" / "config.json").read_text())
    assert isinstance(data, dict)
    return data


def test_login_stores_the_password_and_caches_the_token_for_the_helper(
    ecr: Any, isolated_env: Path
) -> None:
    heard: list[RegistryLogin] = []
    result = log_in(
        own_registry(), lambda r: fetch_tokens(EcrRegistry(ecr), r), on_login=heard.append
    )
    assert result.registries == [HOST] and heard == list(result.logins)
    (login,) = result.logins
    assert (login.store, login.config_path) == ("auths", isolated_env / ".docker" / "config.json")
    # moto's tokens say they expired in 2015: ECR's documented 12 hours stand in.
    assert login.expires_at - login.token.issued_at == timedelta(hours=12)
    assert login.cached and result.password is None and not result.helper_missing
    auth = config(isolated_env)["auths"][HOST]["auth"]
    assert base64.b64decode(auth).decode() == f"AWS:{PASSWORD}"
    hit = TokenCache().get(HOST, resolve_identity(None))
    assert hit is not None and hit.secret == PASSWORD and hit.fresh()
    assert result.to_json() == [{**login.token.to_json(), "store": "auths"}]
    assert PASSWORD not in json.dumps(result.to_json())


def test_print_password_writes_no_config_but_caches_the_token(ecr: Any, isolated_env: Path) -> None:
    requests = own_registry(mode="password")
    result = log_in(requests, lambda r: fetch_tokens(EcrRegistry(ecr), r), mode="password")
    assert result.password == PASSWORD and result.registries == [HOST]
    assert result.logins[0].config_path is None and result.logins[0].cached
    assert not (isolated_env / ".docker" / "config.json").exists()


def test_print_password_of_two_registries_is_refused_before_any_call() -> None:
    with pytest.raises(InvalidInput, match="prints one password: name one registry"):
        plan_login(
            ["111122223333", "444455556666"],
            registry_id=None,
            region="us-east-1",
            profile_for=no_profile,
            mode="password",
        )


@pytest.mark.parametrize("on_path", [True, False])
def test_helper_mode_names_ecrctl_and_says_whether_docker_can_call_it(
    ecr: Any, isolated_env: Path, monkeypatch: pytest.MonkeyPatch, on_path: bool
) -> None:
    bin_dir = isolated_env / "bin"
    bin_dir.mkdir()
    if on_path:
        helper = bin_dir / "docker-credential-ecrctl"
        helper.write_text("#!/bin/sh\n")
        helper.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    result = log_in(own_registry(), lambda r: fetch_tokens(EcrRegistry(ecr), r), mode="helper")
    assert [login.store for login in result.logins] == ["credHelpers ecrctl"]
    assert result.helper_missing is not on_path
    assert config(isolated_env)["credHelpers"] == {HOST: "ecrctl"}
    assert PASSWORD not in json.dumps(config(isolated_env))


def test_an_unusable_token_cache_is_reported_as_not_cached(
    ecr: Any, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = isolated_env / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    warnings: list[str] = []
    cache = TokenCache(warn=warnings.append)
    result = log_in(own_registry(), lambda r: fetch_tokens(EcrRegistry(ecr), r), cache=cache)
    assert result.registries == [HOST] and not result.logins[0].cached
    assert len(warnings) == 1 and warnings[0].startswith("not using the token cache")
    assert "auths" in config(isolated_env)


def authorization(account: str, expires_at: datetime) -> dict[str, Any]:
    """One registry's entry of a GetAuthorizationToken answer, as ECR gives it."""
    token = base64.b64encode(f"AWS:pw-{account}".encode()).decode()
    endpoint = f"https://{account}.dkr.ecr.eu-west-1.amazonaws.com"
    return {"authorizationToken": token, "expiresAt": expires_at, "proxyEndpoint": endpoint}


def test_registries_of_one_region_take_one_call_and_keep_ecrs_expiry(isolated_env: Path) -> None:
    client = boto3.client("ecr", region_name="eu-west-1")
    ids = ["111122223333", "444455556666"]
    hosts = [f"{i}.dkr.ecr.eu-west-1.amazonaws.com" for i in ids]
    requests = plan_login(hosts, registry_id=None, region="us-east-1", profile_for=no_profile)
    assert len(requests) == 1
    answer = {"authorizationData": [authorization(i, NOW + timedelta(hours=11)) for i in ids]}
    with Stubber(client) as stub:
        stub.add_response("get_authorization_token", answer, {"registryIds": ids})
        result = log_in(requests, lambda r: fetch_tokens(EcrRegistry(client), r, now=NOW))
        stub.assert_no_pending_responses()
    assert result.registries == hosts
    assert [login.expires_at for login in result.logins] == [NOW + timedelta(hours=11)] * 2
    assert all(login.cached for login in result.logins)
    assert sorted(config(isolated_env)["auths"]) == hosts


def test_profile_choice_flag_then_config_toml_then_session(isolated_env: Path) -> None:
    toml = isolated_env / ".config" / "ecrctl" / "config.toml"
    toml.parent.mkdir(parents=True)
    toml.write_text(f'[registries."{HOST}"]\nprofile = "dev"\n')
    user_config = load_user_config(dict(os.environ))
    assert choose_profile("ops", user_config, "base")(HOST) == "ops"
    assert choose_profile(None, user_config, "base")(HOST) == "dev"
    assert choose_profile(None, user_config, "base")("999999999999.dkr.ecr.x") == "base"
    assert choose_profile(None, UserConfig(), None)(None) is None
