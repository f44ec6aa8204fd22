"""The ``ecrctl login`` use case: which calls a login takes, then each token into the docker
config (or the ``ecrctl`` credential helper's entry) and the token cache.

Clients are not made here: the caller passes ``fetch``, which turns one ``TokenRequest`` into
its registry tokens (``ecrctl.tokens.fetch`` with the command line's settings).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.login.cache import Identity, TokenCache, remember, resolve_identity
from ecrctl.core.login.dockerconfig import HELPER_NAME, DockerConfig
from ecrctl.core.login.targets import RegistryToken, TokenRequest, plan_requests
from ecrctl.core.login.userconfig import UserConfig

# store: the password into the docker config (or the helper it names for the host);
# helper: credHelpers[HOST] = "ecrctl"; password: nothing written but the token cache.
LoginMode = Literal["store", "helper", "password"]
TokenFetcher = Callable[[TokenRequest], Sequence[RegistryToken]]


@dataclass(frozen=True)
class RegistryLogin:
    """One registry logged in: where the docker config keeps it, and the cached token."""

    token: RegistryToken
    store: str  # "auths", "credsStore NAME", "credHelpers NAME"; "" for --print-password
    config_path: Path | None  # None for --print-password (no config is written)
    cached: bool  # the token cache holds it now: docker-credential-ecrctl will not ask AWS

    @property
    def host(self) -> str:
        return self.token.host

    @property
    def expires_at(self) -> datetime:
        return self.token.expires_at

    def to_json(self) -> JsonObject:
        return {**self.token.to_json(), "store": self.store}


@dataclass(frozen=True)
class LoginResult:
    logins: tuple[RegistryLogin, ...]
    mode: LoginMode = "store"
    # --helper only: docker-credential-ecrctl is not on PATH, so docker cannot call it yet.
    helper_missing: bool = False

    @property
    def registries(self) -> list[str]:
        return [login.host for login in self.logins]

    @property
    def password(self) -> str | None:
        """The one password, for --print-password; None otherwise."""
        return self.logins[0].token.password if self.mode == "password" else None

    def to_json(self) -> list[JsonObject]:
        return [login.to_json() for login in self.logins]


def choose_profile(
    explicit: str | None, user_config: UserConfig, default: str | None
) -> Callable[[str | None], str | None]:
    """The AWS profile for a registry host: ``--profile``, else config.toml's for the host,
    else the session's (AWS_PROFILE does not override config.toml)."""

    def profile_for(host: str | None) -> str | None:
        return explicit or (host and user_config.profile_for(host)) or default

    return profile_for


def plan_login(
    registries: Sequence[str],
    *,
    registry_id: str | None,
    region: str | None,
    profile_for: Callable[[str | None], str | None],
    public: bool = False,
    mode: LoginMode = "store",
) -> list[TokenRequest]:
    """The GetAuthorizationToken calls for the REGISTRY arguments (one per region and profile);
    InvalidInput before any call for a bad name, or --print-password of more than one."""
    requests = plan_requests(
        registries, registry_id=registry_id, region=region, profile_for=profile_for, public=public
    )
    if mode == "password" and sum(max(len(r.registry_ids), 1) for r in requests) != 1:
        raise InvalidInput("--print-password prints one password: name one registry")
    return requests


def log_in(
    requests: Sequence[TokenRequest],
    fetch: TokenFetcher,
    *,
    mode: LoginMode = "store",
    endpoint_url: str | None = None,
    docker_config: DockerConfig | None = None,
    cache: TokenCache | None = None,
    on_login: Callable[[RegistryLogin], None] | None = None,
) -> LoginResult:
    """Ask for the tokens, one request at a time, and keep each: in the token cache always, and
    in the docker config (``store``) or as its credential-helper entry (``helper``). In
    ``password`` mode the first token ends the login. ``on_login`` hears of each registry as
    it is done (a later request may still fail)."""
    cache = cache if cache is not None else TokenCache()
    config = docker_config if docker_config is not None else DockerConfig()
    logins: list[RegistryLogin] = []
    for request in requests:
        identity = resolve_identity(request.profile, endpoint_url=endpoint_url)
        for token in fetch(request):
            login = keep_token(token, identity, mode=mode, docker_config=config, cache=cache)
            if mode == "password":
                return LoginResult((login,), mode)
            logins.append(login)
            if on_login is not None:
                on_login(login)
    return LoginResult(tuple(logins), mode, mode == "helper" and not _helper_on_path())


def keep_token(
    token: RegistryToken,
    identity: Identity,
    *,
    mode: LoginMode,
    docker_config: DockerConfig,
    cache: TokenCache,
) -> RegistryLogin:
    """One token into the token cache, and (unless ``password``) into the docker config."""
    cached = _cache(cache, token, identity)
    if mode == "password":
        return RegistryLogin(token, "", None, cached)
    if mode == "helper":
        docker_config.use_helper(token.host)
        store = f"credHelpers {HELPER_NAME}"
    else:
        store = docker_config.store(token.host, token.username, token.password).store
    return RegistryLogin(token, store, docker_config.path, cached)


def _cache(cache: TokenCache, token: RegistryToken, identity: Identity) -> bool:
    """Keep the token for the credential helper; whether it will find it there."""
    remember(cache, token, identity)
    return cache.get(token.host, identity) is not None


def _helper_on_path() -> bool:
    import shutil

    return shutil.which(f"docker-credential-{HELPER_NAME}") is not None
