"""ecrctl's own settings file: per-registry AWS profiles, read with the standard library only.

``$XDG_CONFIG_HOME/ecrctl/config.toml`` (else ``~/.config/ecrctl/config.toml``)::

    [registries."111122223333.dkr.ecr.eu-west-1.amazonaws.com"]
    profile = "dev"

    [registries."444455556666.dkr.ecr.eu-west-1.amazonaws.com"]
    profile = "prod"

    [accounts]                      # --accounts: the role read in every account
    role_name = "ecrctl-read-only"
    external_id = "..."

The credential helper reads this on every call, so this module imports nothing heavy (tomllib
only when the file exists).
"""

from __future__ import annotations

import os

from ecrctl.core.exceptions import ConfigurationError, InvalidInput

MAX_CONFIG_BYTES = 1024 * 1024  # a few registries' profiles; far more is not this file
TYPE_CHECKING = False  # importing typing costs the credential helper's hot path time
if TYPE_CHECKING:
    from collections.abc import Mapping


def config_dir(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME") or "~", ".config")
    return os.path.join(os.path.expanduser(base), "ecrctl")


def config_path(environ: Mapping[str, str] | None = None) -> str:
    return os.path.join(config_dir(environ), "config.toml")


class RegistrySettings:
    __slots__ = ("profile",)

    def __init__(self, profile: str | None = None) -> None:
        self.profile = profile


class AccountSettings:
    __slots__ = ("external_id", "role_name")

    def __init__(self, role_name: str | None = None, external_id: str | None = None) -> None:
        self.role_name = role_name
        self.external_id = external_id


class UserConfig:
    __slots__ = ("accounts", "path", "registries")

    def __init__(
        self,
        registries: dict[str, RegistrySettings] | None = None,
        path: str | None = None,
        accounts: AccountSettings | None = None,
    ) -> None:
        self.registries = registries or {}
        self.path = path
        self.accounts = accounts or AccountSettings()

    def profile_for(self, host: str) -> str | None:
        """The AWS profile configured for a registry host (``https://`` and case tolerated)."""
        key = normalise_host(host)
        entry = self.registries.get(key)
        return entry.profile if entry else None


def normalise_host(host: str) -> str:
    """The registry host of a server URL: no scheme, path or userinfo, lower case, and no
    ``:443`` (the default HTTPS port names the same registry)."""
    text = host.strip().lower()
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    text = text.split("/", 1)[0].rpartition("@")[2]
    return text.removesuffix(":443")


def load_user_config(environ: Mapping[str, str] | None = None) -> UserConfig:
    """The parsed file; an absent file is an empty configuration, a broken one an error."""
    path = config_path(environ)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return UserConfig(path=path)
    except OSError as error:
        raise ConfigurationError(f"cannot read {path}: {error.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise InvalidInput(f"{path}: more than {MAX_CONFIG_BYTES // 1024} KiB; fix or move it")
    import tomllib

    # A broken file is bad input (exit 2), like a broken docker config.json; tomllib's message
    # names the line and column.
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as error:
        detail = "nested too deeply" if isinstance(error, RecursionError) else error
        raise InvalidInput(f"{path} is not valid TOML: {detail}") from None
    registries: dict[str, RegistrySettings] = {}
    table = data.get("registries", {})
    if not isinstance(table, dict):
        raise InvalidInput(f'{path}: [registries] must be a table of [registries."HOST"]')
    for host, entry in table.items():
        if not isinstance(entry, dict):
            raise InvalidInput(f'{path}: [registries."{host}"] must be a table')
        profile = entry.get("profile")
        if profile is not None and (not isinstance(profile, str) or not profile):
            raise InvalidInput(f'{path}: [registries."{host}"] profile must be a name')
        registries[normalise_host(host)] = RegistrySettings(profile=profile)
    return UserConfig(registries=registries, path=path, accounts=_accounts(data, path))


def _accounts(data: dict[str, object], path: str) -> AccountSettings:
    table = data.get("accounts", {})
    if not isinstance(table, dict):
        raise InvalidInput(f"{path}: [accounts] must be a table (role_name, external_id)")
    found: dict[str, str | None] = {}
    for key in ("role_name", "external_id"):
        value = table.get(key)
        if value is not None and (not isinstance(value, str) or not value):
            raise InvalidInput(f"{path}: [accounts] {key} must be a string")
        found[key] = value
    return AccountSettings(found["role_name"], found["external_id"])
