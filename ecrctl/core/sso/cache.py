"""The aws CLI v2's SSO cache: ``~/.aws/sso/cache/<key>.json``, read by botocore and the aws CLI.

Two kinds of file, with the CLI's field names and formats (``awscli/customizations/sso/utils``,
``botocore.utils.SSOTokenFetcher``), so that either tool's sign-in serves both:

- the token, keyed by the SHA-1 of the start URL (legacy profile) or of the sso-session's name:
  ``startUrl``, ``region``, ``accessToken``, ``expiresAt`` and the registration it came from
  (``clientId``, ``clientSecret``, ``registrationExpiresAt``, and ``refreshToken`` when the
  service gave one, which botocore uses to refresh an sso-session's token);
- the client registration, keyed by the SHA-1 of botocore's registration arguments
  (``clientId``, ``clientSecret``, ``expiresAt``, ``scopes``), reused until it expires.

Times are UTC, ``YYYY-MM-DDTHH:MM:SSZ``. Files are written whole (a temporary file, then a
rename), mode 0600, in a directory of mode 0700 that is the user's own (core/privatefile.py);
a file that another user could have planted is not read.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ecrctl.core.exceptions import ConfigurationError
from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.privatefile import (
    UnsafePath,
    ensure_private_dir,
    read_private_object,
    write_private,
)

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
MAX_FILE_BYTES = 64 * 1024  # a token file is well under 8 KiB
_TEMPORARY_PREFIX = ".ecrctl-"
_OWNED_LEVELS = 2  # ~/.aws/sso and ~/.aws/sso/cache are ours to create (0700) and check


def default_directory() -> str:
    """``~/.aws/sso/cache``: where the aws CLI v2 and botocore look (no setting moves it)."""
    return os.path.join(os.path.expanduser("~"), ".aws", "sso", "cache")


def format_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(text: object) -> datetime | None:
    """``…Z`` as written here and by the aws CLI; ``+00:00`` and ``UTC`` (botocore's default
    cache format) too. A time without a zone is UTC. None when it is not a time."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip()
    if value.endswith("UTC"):
        value = value[:-3] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def registration_cache_key(
    start_url: str, session: str | None, region: str, scopes: tuple[str, ...] | None
) -> str:
    """botocore's ``_registration_cache_key``: SHA-1 of its arguments as sorted JSON."""
    arguments = {
        "tool": "botocore",
        "startUrl": start_url,
        "region": region,
        "scopes": list(scopes) if scopes else None,
        "session_name": session,
    }
    return hashlib.sha1(json.dumps(arguments, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, repr=False)
class Registration:
    """A registered OIDC client (a public client of the device flow)."""

    client_id: str
    client_secret: str
    expires_at: datetime
    scopes: tuple[str, ...] | None = None
    for_auth_code: bool = False  # registered by the aws CLI v2's browser (PKCE) sign-in

    def __repr__(self) -> str:  # never the secret
        return f"Registration({self.client_id!r}, expires {format_time(self.expires_at)})"

    def to_file(self) -> JsonObject:
        data: JsonObject = {
            "clientId": self.client_id,
            "clientSecret": self.client_secret,
            "expiresAt": format_time(self.expires_at),
        }
        if self.scopes:
            data["scopes"] = list(self.scopes)
        return data

    @classmethod
    def from_file(cls, data: Mapping[str, Any]) -> Registration | None:
        client_id, secret = data.get("clientId"), data.get("clientSecret")
        expires_at = parse_time(data.get("expiresAt"))
        if not isinstance(client_id, str) or not isinstance(secret, str) or expires_at is None:
            return None
        scopes = data.get("scopes")
        grants = data.get("grantTypes")
        return cls(
            client_id,
            secret,
            expires_at,
            tuple(str(s) for s in scopes) if isinstance(scopes, list) and scopes else None,
            isinstance(grants, list) and "authorization_code" in grants,
        )


@dataclass(frozen=True, repr=False)
class SsoToken:
    """An access token as cached (and the registration it came from)."""

    start_url: str
    region: str
    access_token: str
    expires_at: datetime
    client_id: str | None = None
    client_secret: str | None = None
    registration_expires_at: datetime | None = None
    refresh_token: str | None = None

    def __repr__(self) -> str:  # never a secret
        return f"SsoToken({self.start_url!r}, expires {format_time(self.expires_at)})"

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now

    def to_file(self) -> JsonObject:
        """The aws CLI v2's fields, in its order."""
        data: JsonObject = {
            "startUrl": self.start_url,
            "region": self.region,
            "accessToken": self.access_token,
            "expiresAt": format_time(self.expires_at),
        }
        if self.client_id is not None and self.client_secret is not None:
            data["clientId"] = self.client_id
            data["clientSecret"] = self.client_secret
        if self.registration_expires_at is not None:
            data["registrationExpiresAt"] = format_time(self.registration_expires_at)
        if self.refresh_token is not None:
            data["refreshToken"] = self.refresh_token
        return data

    @classmethod
    def from_file(cls, data: Mapping[str, Any]) -> SsoToken | None:
        """None when the file lacks what botocore needs (``accessToken``, ``expiresAt``)."""
        token, expires_at = data.get("accessToken"), parse_time(data.get("expiresAt"))
        if not isinstance(token, str) or not token or expires_at is None:
            return None

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) and value else None

        return cls(
            start_url=text("startUrl") or "",
            region=text("region") or "",
            access_token=token,
            expires_at=expires_at,
            client_id=text("clientId"),
            client_secret=text("clientSecret"),
            registration_expires_at=parse_time(data.get("registrationExpiresAt")),
            refresh_token=text("refreshToken"),
        )


class SsoCache:
    """The cache directory: tokens and registrations by key, read with trust checks."""

    def __init__(self, directory: str | None = None) -> None:
        self.directory = directory or default_directory()

    def path(self, key: str) -> str:
        return os.path.join(self.directory, f"{key}.json")

    def read(self, key: str) -> dict[str, Any] | None:
        """The file's JSON object; None when absent, unreadable, not JSON, or not to be trusted
        (a symbolic link, another user's, writable by others, in such a directory)."""
        return read_private_object(self.path(key), MAX_FILE_BYTES, dir_levels=1)

    def write(self, key: str, data: Mapping[str, Any]) -> str:
        """Write the file whole (mode 0600, directory 0700); ConfigurationError (exit 4) when
        the directory may not be used or written."""
        target = self.path(key)
        try:
            ensure_private_dir(self.directory, levels=_OWNED_LEVELS)
            write_private(target, json.dumps(data), prefix=_TEMPORARY_PREFIX)
        except UnsafePath as error:
            raise ConfigurationError(f"cannot keep the sign-in: {error}") from None
        except OSError as error:
            raise ConfigurationError(
                f"cannot keep the sign-in in {error.filename or target}: {error.strerror}"
            ) from None
        return target

    def remove(self, key: str) -> bool:
        """Remove the file; False when there was none."""
        try:
            os.unlink(self.path(key))
        except FileNotFoundError:
            return False
        except OSError as error:
            raise ConfigurationError(f"cannot remove {self.path(key)}: {error.strerror}") from None
        return True

    def token(self, key: str) -> SsoToken | None:
        data = self.read(key)
        return SsoToken.from_file(data) if data is not None else None

    def put_token(self, key: str, token: SsoToken) -> str:
        return self.write(key, token.to_file())

    def registration(self, key: str) -> Registration | None:
        data = self.read(key)
        return Registration.from_file(data) if data is not None else None

    def put_registration(self, key: str, registration: Registration) -> str:
        return self.write(key, registration.to_file())
