"""What an AWS profile says about its IAM Identity Center sign-in.

Two kinds of profile, as the aws CLI v2 reads them (``BaseSSOCommand._get_sso_config``):

- legacy: ``sso_start_url`` and ``sso_region`` in the profile itself; its token is cached under
  the SHA-1 of the start URL;
- ``sso_session = NAME`` with an ``[sso-session NAME]`` section holding ``sso_start_url``,
  ``sso_region`` and optionally ``sso_registration_scopes``; its token is cached under the SHA-1
  of the session's name, so every profile of the session shares one sign-in.

The configuration comes in as botocore's ``Session.full_config`` (``profiles`` and
``sso_sessions``): this module reads no file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ecrctl.core.exceptions import ConfigurationError
from ecrctl.core.jsontypes import JsonObject

REQUIRED = ("sso_start_url", "sso_region")


@dataclass(frozen=True)
class SsoProfile:
    """One profile's sign-in: where, under which cache key, and the account and role it uses."""

    profile: str  # the profile's name ("default" for the default profile)
    start_url: str
    region: str  # sso_region: where the sso-oidc and portal APIs are asked
    session: str | None = None  # the sso-session's name; None for a legacy profile
    scopes: tuple[str, ...] | None = None  # sso_registration_scopes (sso-session only)
    account: str | None = None  # sso_account_id
    role: str | None = None  # sso_role_name

    @property
    def cache_key(self) -> str:
        """The token's file name without ``.json``: botocore's ``SSOTokenLoader`` key."""
        return token_cache_key(self.start_url, self.session)

    @property
    def signs_in_as(self) -> str:
        """What one sign-in serves, for people: the session, or the start URL."""
        return f"sso-session {self.session}" if self.session else self.start_url

    def to_json(self) -> JsonObject:
        return {
            "profile": self.profile,
            "ssoSession": self.session,
            "startUrl": self.start_url,
            "ssoRegion": self.region,
            "account": self.account,
            "role": self.role,
        }


def token_cache_key(start_url: str, session: str | None) -> str:
    """SHA-1 (hex) of the session's name, or of the start URL for a legacy profile."""
    return hashlib.sha1((session if session is not None else start_url).encode()).hexdigest()


def parse_scopes(raw: str) -> tuple[str, ...]:
    """``sso:account:access, openid`` -> the scopes, as the aws CLI splits them."""
    return tuple(scope.strip() for scope in raw.split(",") if scope.strip())


def _text(config: Mapping[str, Any], key: str) -> str | None:
    value = config.get(key)
    if value is None:
        return None
    return str(value).strip() or None


def read_profile(full_config: Mapping[str, Any], profile: str) -> SsoProfile:
    """The profile's sign-in settings; ConfigurationError (exit 4) saying what is missing."""
    profiles = full_config.get("profiles") or {}
    if profile not in profiles:
        raise ConfigurationError(
            f"profile {profile} is not in the AWS config file: add [profile {profile}] "
            "with sso_session (or sso_start_url and sso_region) to ~/.aws/config"
        )
    settings: Mapping[str, Any] = profiles[profile]
    account, role = _text(settings, "sso_account_id"), _text(settings, "sso_role_name")
    session = _text(settings, "sso_session")
    if session is None:
        if not any(key in settings for key in REQUIRED):
            raise ConfigurationError(
                f"profile {profile} does not sign in with IAM Identity Center: it has neither "
                "sso_session nor sso_start_url and sso_region"
            )
        start_url, region = _required(settings, f"profile {profile}")
        return SsoProfile(profile, start_url, region, account=account, role=role)
    sessions = full_config.get("sso_sessions") or {}
    if session not in sessions:
        raise ConfigurationError(
            f"profile {profile} names sso_session {session}, but the AWS config file has no "
            f"[sso-session {session}] section"
        )
    section: Mapping[str, Any] = sessions[session]
    start_url, region = _required(section, f"[sso-session {session}]")
    raw_scopes = _text(section, "sso_registration_scopes")
    scopes = parse_scopes(raw_scopes) if raw_scopes else None
    return SsoProfile(profile, start_url, region, session, scopes or None, account, role)


def _required(settings: Mapping[str, Any], where: str) -> tuple[str, str]:
    values = [_text(settings, key) for key in REQUIRED]
    missing = [key for key, value in zip(REQUIRED, values, strict=True) if value is None]
    if missing:
        raise ConfigurationError(f"{where} in the AWS config file lacks {' and '.join(missing)}")
    start_url, region = values
    assert start_url is not None and region is not None
    return start_url, region


def account_of(full_config: Mapping[str, Any], profile: str) -> str | None:
    """The profile's ``sso_account_id`` when it has a 12-digit one (for the registry host)."""
    settings = (full_config.get("profiles") or {}).get(profile) or {}
    account = _text(settings, "sso_account_id")
    return account if account and len(account) == 12 and account.isdigit() else None
