"""The use cases of ``ecrctl sso login`` and ``ecrctl sso logout``.

``sign_in``: registration, device sign-in, the token written where the aws CLI v2 and botocore
read it, then the portal asked for the profile's role (GetRoleCredentials) so that the person
learns at once which account and role the sign-in reaches (the credentials themselves are not
kept: botocore gets its own when a command needs them).

``sign_out``: the portal's Logout while the cached token is still valid (a refusal or an
unreachable portal is reported, and the token is removed all the same), then the token file.
The client registration stays, as the aws CLI leaves it, for the next sign-in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ecrctl.core.exceptions import ConfigurationError
from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.sso.cache import SsoCache, format_time
from ecrctl.core.sso.config import SsoProfile
from ecrctl.core.sso.device import DeviceCode, Timing, device_sign_in, registration

if TYPE_CHECKING:
    from mypy_boto3_sso import SSOClient
    from mypy_boto3_sso_oidc import SSOOIDCClient

# The portal's answers that mean "this role is not yours", not "the sign-in failed".
_ROLE_REFUSED = {"ForbiddenException", "ResourceNotFoundException", "UnauthorizedException"}


@dataclass(frozen=True)
class SignInResult:
    profile: SsoProfile
    expires_at: datetime
    cache_file: str
    role_checked: bool  # the portal gave credentials for the profile's account and role

    def to_json(self) -> JsonObject:
        return {
            **self.profile.to_json(),
            "expiresAt": format_time(self.expires_at),
            "cacheFile": self.cache_file,
            "roleChecked": self.role_checked,
        }


@dataclass(frozen=True)
class SignOutResult:
    profile: SsoProfile
    removed: bool  # a cached token was there and is gone
    portal_logout: bool  # the portal ended the session

    def to_json(self) -> JsonObject:
        return {
            **self.profile.to_json(),
            "removed": self.removed,
            "portalLogout": self.portal_logout,
        }


def _check_role(portal: SSOClient, profile: SsoProfile, access_token: str) -> bool:
    if not profile.account or not profile.role:
        return False
    from botocore.exceptions import ClientError

    try:
        portal.get_role_credentials(
            roleName=profile.role, accountId=profile.account, accessToken=access_token
        )
    except ClientError as error:
        info = error.response.get("Error", {})
        if info.get("Code") not in _ROLE_REFUSED:
            raise
        said = str(info.get("Message") or info.get("Code"))
        raise ConfigurationError(
            f"signed in to {profile.start_url}, but it does not reach role {profile.role} in "
            f"account {profile.account} ({said}): check sso_account_id and sso_role_name of "
            f"profile {profile.profile}"
        ) from None
    return True


def sign_in(
    profile: SsoProfile,
    *,
    oidc: SSOOIDCClient,
    portal: SSOClient,
    cache: SsoCache,
    on_code: Callable[[DeviceCode], None],
    timing: Timing | None = None,
) -> SignInResult:
    """Sign in with the device flow and keep the token; raises SignInRequired (exit 4) when
    the code expires or the sign-in is denied."""
    timing = timing or Timing()
    client = registration(oidc, profile, cache, timing)
    token = device_sign_in(oidc, profile, client, on_code=on_code, timing=timing)
    path = cache.put_token(profile.cache_key, token)
    checked = _check_role(portal, profile, token.access_token)
    return SignInResult(profile, token.expires_at, path, checked)


def sign_out(
    profile: SsoProfile,
    *,
    portal: Callable[[], SSOClient],
    cache: SsoCache,
    warn: Callable[[str], None],
    timing: Timing | None = None,
) -> SignOutResult:
    """End the portal session while the token is valid, and remove the cached token."""
    timing = timing or Timing()
    token = cache.token(profile.cache_key)
    logged_out = False
    if token is not None and not token.expired(timing.now()):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            portal().logout(accessToken=token.access_token)
            logged_out = True
        except (ClientError, BotoCoreError) as error:
            said = " ".join(str(error).split())
            warn(f"the portal did not end the session ({said}); removing the cached token anyway")
    removed = cache.remove(profile.cache_key)
    return SignOutResult(profile, removed, logged_out)
