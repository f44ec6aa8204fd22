"""The credentials docker would use for a registry that is not ECR: ``credHelpers``,
``credsStore``, then ``auths`` in the docker config (ECR registries get tokens from AWS instead)."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

from ecrctl.core.exceptions import ConfigurationError
from ecrctl.core.login.dockerconfig import DockerConfig, _credential_store
from ecrctl.core.names import DOCKER_HUB

HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io")


def _keys(host: str) -> list[str]:
    keys = [host, f"https://{host}", f"http://{host}", f"https://{host}/v1/", f"https://{host}/v2/"]
    return [*HUB_KEYS, *keys] if host == DOCKER_HUB else keys


def _from_helper(helper: str, key: str) -> tuple[str, str] | None:
    try:
        found: Any = _credential_store(helper).get(key)
    except Exception as error:
        if "not found" in str(error).lower() or "credentials" in type(error).__name__.lower():
            return None
        detail = " ".join(str(error).split()) or type(error).__name__
        raise ConfigurationError(f"docker-credential-{helper} failed for {key}: {detail}") from None
    if isinstance(found, dict) and found.get("Secret"):
        return str(found.get("Username") or ""), str(found["Secret"])
    return None


def docker_credentials(host: str, path: Path | None = None) -> tuple[str, str] | None:
    """(username, secret) for ``host`` from the docker config, or None (anonymous)."""
    data = DockerConfig(path).read()
    helpers = _dict(data.get("credHelpers"))
    for key in _keys(host):
        if isinstance(helpers.get(key), str) and helpers[key]:
            return _from_helper(helpers[key], key)
    auths = _dict(data.get("auths"))
    store = data.get("credsStore")
    for key in _keys(host):
        entry = auths.get(key)
        if isinstance(entry, dict) and isinstance(entry.get("auth"), str) and entry["auth"]:
            try:
                user, _, secret = base64.b64decode(entry["auth"]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise ConfigurationError(f"docker config: auths[{key!r}] is not base64") from None
            return user, secret
        if isinstance(entry, dict) and entry.get("username") and entry.get("password"):
            return str(entry["username"]), str(entry["password"])
    if isinstance(store, str) and store:
        for key in _keys(host):
            found = _from_helper(store, key)
            if found:
                return found
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
