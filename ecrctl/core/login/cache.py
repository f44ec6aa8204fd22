"""The registry token cache of ``docker-credential-ecrctl`` and ``ecrctl login``.

One small JSON file per (registry, identity) under ``$XDG_CACHE_HOME/ecrctl/tokens`` (else
``~/.cache/ecrctl/tokens``), mode 0600 in a 0700 directory, replaced atomically. The identity is
what decides which AWS principal asks for the token, worked out from local facts only (the
profile and what ``~/.aws/config`` says it assumes, the access key in the environment, a web
identity role, an endpoint override), so an SSO or assumed-role profile gets its own entry and a
cache hit needs neither boto3 nor the network. Standard library only, and only the cheap parts
of it (no pathlib, dataclasses or tempfile at import): this is the credential helper's hot path.
"""

from __future__ import annotations

import json
import os
import time

TYPE_CHECKING = False  # not typing's: importing typing costs the helper's hot path time
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from typing import Any

    from ecrctl.core.jsontypes import JsonObject
    from ecrctl.core.login.targets import RegistryToken

# Refresh when less than this share of the token's life is left.
REFRESH_FRACTION = 0.25
_VERSION = 1

# What in a profile decides the principal it ends up as.
_PROFILE_KEYS = (
    "role_arn",
    "source_profile",
    "credential_source",
    "external_id",
    "role_session_name",
    "sso_account_id",
    "sso_role_name",
    "sso_session",
    "sso_start_url",
    "credential_process",
    "web_identity_token_file",
    "aws_access_key_id",
)


def _sha256(text: str) -> str:
    """Hex SHA-256. The builtin ``_sha256`` first: ``hashlib`` loads OpenSSL on import, which
    costs the helper's hot path milliseconds."""
    try:
        module: Any = __import__("_sha256")
    except ImportError:  # another Python (3.12 has _sha2): hashlib's is the same function
        import hashlib

        module = hashlib
    return str(module.sha256(text.encode()).hexdigest())


def cache_dir(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or "~", ".cache")
    return os.path.join(os.path.expanduser(base), "ecrctl", "tokens")


class Identity:
    """Who asks for tokens: ``label`` is for people (no secret), ``key`` for the cache."""

    __slots__ = ("key", "label")

    def __init__(self, label: str, key: str) -> None:
        self.label = label
        self.key = key

    def __repr__(self) -> str:
        return f"Identity({self.label!r})"


def _profile_facts(profile: str, env: Mapping[str, str]) -> list[str]:
    path = env.get("AWS_CONFIG_FILE") or os.path.join(env.get("HOME") or "~", ".aws", "config")
    path = os.path.expanduser(path)
    if not os.path.exists(path):
        return []
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error):
        return [f"unreadable={path}"]
    section = "default" if profile == "default" else f"profile {profile}"
    if not parser.has_section(section):
        return []
    return [f"{k}={parser.get(section, k)}" for k in _PROFILE_KEYS if parser.has_option(section, k)]


def resolve_identity(
    profile: str | None,
    environ: Mapping[str, str] | None = None,
    *,
    endpoint_url: str | None = None,
) -> Identity:
    """The identity a boto3 session with this explicit ``profile`` (or none) would resolve to.

    ``endpoint_url`` is an endpoint given on the command line (``--endpoint-url``); without it
    the environment's applies, as in botocore. Tokens from an emulator never stand in for AWS's.

    An explicit profile (from ``--profile`` or config.toml) wins over environment credentials,
    as in botocore; without one, access keys in the environment win over ``AWS_PROFILE``.
    """
    env = os.environ if environ is None else environ
    facts: list[str] = []
    if profile:
        label = f"profile {profile}"
        facts += [f"profile={profile}", *_profile_facts(profile, env)]
    elif env.get("AWS_ACCESS_KEY_ID"):
        label = "environment credentials"
        facts.append(f"access_key={env['AWS_ACCESS_KEY_ID']}")
    elif env.get("AWS_ROLE_ARN") and env.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
        label = f"web identity {env['AWS_ROLE_ARN']}"
        facts.append(f"web_identity={env['AWS_ROLE_ARN']}")
    else:
        name = env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"
        label = f"profile {name}"
        facts += [f"profile={name}", *_profile_facts(name, env)]
    endpoint = endpoint_url or env.get("AWS_ENDPOINT_URL_ECR") or env.get("AWS_ENDPOINT_URL")
    if endpoint:
        facts.append(f"endpoint={endpoint}")
        label += f" at {endpoint}"
    digest = _sha256("\n".join(facts))
    return Identity(label=label, key=digest)


class CachedToken:
    """A registry token as cached; ``identity`` is the identity's label, never a secret."""

    __slots__ = ("expires_at", "identity", "issued_at", "registry", "secret", "username")

    def __init__(
        self,
        registry: str,
        identity: str,
        username: str,
        secret: str,
        issued_at: float,
        expires_at: float,
    ) -> None:
        self.registry = registry
        self.identity = identity
        self.username = username
        self.secret = secret
        self.issued_at = issued_at
        self.expires_at = expires_at

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CachedToken):
            return NotImplemented
        return self.to_file() == other.to_file()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:  # never the secret
        return f"CachedToken({self.registry!r}, {self.identity!r}, expires_at={self.expires_at})"

    def fresh(self, now: float | None = None) -> bool:
        """Usable without asking again: more than a quarter of its life is left."""
        moment = time.time() if now is None else now
        life = self.expires_at - self.issued_at
        return self.expires_at - moment > max(life, 0) * REFRESH_FRACTION

    def to_file(self) -> JsonObject:
        return {
            "version": _VERSION,
            "registry": self.registry,
            "identity": self.identity,
            "username": self.username,
            "secret": self.secret,
            "issuedAt": self.issued_at,
            "expiresAt": self.expires_at,
        }

    @classmethod
    def from_file(cls, data: Mapping[str, Any]) -> CachedToken | None:
        if data.get("version") != _VERSION:
            return None
        try:
            return cls(
                registry=str(data["registry"]),
                identity=str(data["identity"]),
                username=str(data["username"]),
                secret=str(data["secret"]),
                issued_at=float(data["issuedAt"]),
                expires_at=float(data["expiresAt"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


# A cache file is a few hundred bytes; anything much larger was not written by ecrctl.
MAX_ENTRY_BYTES = 64 * 1024
# The token directory and its parent (``ecrctl``) are ecrctl's: both are checked before use.
_OWNED_LEVELS = 2


def _quiet(message: str) -> None:
    """No one to tell (a library caller that passed no ``warn``)."""


class TokenCache:
    """Tokens on disk. The cache is an optimisation: a directory that is not safe to use (a
    symbolic link, another user's, writable by others) or cannot be written is skipped with one
    warning, and every operation goes on as if the cache were empty. The warning goes to ``warn``
    (the caller's stream owner: ``ecrctl login`` says it on stderr, the credential helper writes
    it to the stderr docker gives it); core never writes to a stream itself."""

    def __init__(
        self, directory: str | None = None, *, warn: Callable[[str], None] | None = None
    ) -> None:
        self.directory = directory or cache_dir()
        self._warn = _quiet if warn is None else warn
        self._warned = False
        self._checked: bool | None = None  # None: not yet looked at

    def warn_once(self, problem: str) -> None:
        if not self._warned:
            self._warned = True
            self._warn(f"not using the token cache: {problem}")

    def _readable(self) -> bool:
        """The directory exists and may be trusted (warns once when it exists but may not)."""
        if self._checked is None:
            from ecrctl.core.privatefile import check_private_dir

            if not os.path.lexists(self.directory):
                return False  # nothing cached yet: no warning, and put() may still create it
            problem = check_private_dir(self.directory, levels=_OWNED_LEVELS)
            if problem:
                self.warn_once(problem)
            self._checked = problem is None
        return self._checked

    def path_for(self, registry: str, identity: Identity) -> str:
        name = _sha256(f"{registry.lower()}\n{identity.key}")[:40]
        return os.path.join(self.directory, f"{name}.json")

    def _load(self, path: str) -> CachedToken | None:
        from ecrctl.core.privatefile import read_private_object

        data = read_private_object(path, MAX_ENTRY_BYTES)
        return CachedToken.from_file(data) if data is not None else None

    def get(self, registry: str, identity: Identity) -> CachedToken | None:
        """The cached token, fresh or not (the caller decides); None when absent, unreadable
        or not to be trusted."""
        if not self._readable():
            return None
        token = self._load(self.path_for(registry, identity))
        if token is None or token.registry.lower() != registry.lower():
            return None
        return token

    def put(self, token: CachedToken, identity: Identity) -> str | None:
        """Write atomically: a reader sees the old file or the new one, never a part.

        Returns the file written, or None (after one warning) when the cache cannot be used."""
        from ecrctl.core.privatefile import UnsafePath, ensure_private_dir, write_private

        if self._checked is False:
            return None
        try:
            ensure_private_dir(self.directory, levels=_OWNED_LEVELS)
            self._checked = True
            target = self.path_for(token.registry, identity)
            write_private(target, json.dumps(token.to_file()))
        except UnsafePath as error:
            self._checked = False
            self.warn_once(str(error))
            return None
        except OSError as error:
            where = self.directory if self._checked is None else error.filename or self.directory
            self.warn_once(f"cannot write to {where}: {error.strerror}")
            return None
        return target

    def entries(self) -> Iterator[tuple[str, CachedToken]]:
        if not self._readable():
            return
        try:
            names = sorted(n for n in os.listdir(self.directory) if n.endswith(".json"))
        except OSError:
            return
        for name in names:
            path = os.path.join(self.directory, name)
            token = self._load(path)
            if token is not None:
                yield path, token

    def for_registry(self, registry: str) -> list[CachedToken]:
        return [t for _, t in self.entries() if t.registry.lower() == registry.lower()]

    def erase(self, registry: str) -> int:
        """Forget every identity's token for a registry; returns how many were removed.

        What a killed writer left behind (a temporary holding a token) goes too, for every
        registry, as the next write would remove it."""
        from ecrctl.core.privatefile import TEMPORARY_PREFIX, remove_stale_temporaries

        if self._readable():
            remove_stale_temporaries(self.directory, TEMPORARY_PREFIX)
        removed = 0
        for path, token in list(self.entries()):
            if token.registry.lower() == registry.lower():
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    continue
                except OSError as error:
                    self.warn_once(f"cannot remove {path}: {error.strerror}")
                    continue
                removed += 1
        return removed


def remember(cache: TokenCache, token: RegistryToken, identity: Identity) -> CachedToken:
    """Keep a token from AWS for the credential helper (and for ``login status``)."""
    cached = CachedToken(
        registry=token.host,
        identity=identity.label,
        username=token.username,
        secret=token.password,
        issued_at=token.issued_at.timestamp(),
        expires_at=token.expires_at.timestamp(),
    )
    cache.put(cached, identity)
    return cached
