"""The device-authorization sign-in (RFC 8628) through the ``sso-oidc`` API, as botocore's
``SSOTokenFetcher`` does it.

1. A client registration: the cached one while it has more than 15 minutes left (and was made
   for this flow), else RegisterClient, cached for next time.
2. StartDeviceAuthorization: a device code for us, a user code and a URL for the person.
3. CreateToken, asked once at once (a client may be authorised already), then at the interval
   the service gave, through the one poll loop (core/polling.py): ``authorization_pending``
   waits on, ``slow_down`` adds 5 seconds to every later interval, and the sign-in gives up
   when the device code's ``expiresIn`` has passed (or the service says it expired).

The person is shown the code through ``on_code`` after the first pending answer, as botocore
does. Time comes from the injected ``Timing``: tests wait for nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ecrctl.core.exceptions import BadAnswer, SignInRequired
from ecrctl.core.inputs import printable
from ecrctl.core.polling import Schedule, poll
from ecrctl.core.sso.cache import Registration, SsoCache, SsoToken, registration_cache_key
from ecrctl.core.sso.config import SsoProfile

if TYPE_CHECKING:
    from mypy_boto3_sso_oidc import SSOOIDCClient
    from mypy_boto3_sso_oidc.type_defs import (
        CreateTokenResponseTypeDef,
        RegisterClientRequestTypeDef,
    )

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_GRANT = "refresh_token"
EXPIRY_WINDOW = timedelta(minutes=15)  # botocore's: a registration closer to expiry is renewed
DEFAULT_INTERVAL = 5  # RFC 8628 3.2, when the service names none
SLOW_DOWN_SECONDS = 5  # RFC 8628 3.5
SHORTEST_INTERVAL = 1  # never ask in a tight loop, whatever the service says


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Timing:
    """Wall-clock time for expiry stamps; a monotonic clock and sleep for the poll loop."""

    now: Callable[[], datetime] = field(default=_utc_now)
    clock: Callable[[], float] = field(default=time.monotonic)
    sleep: Callable[[float], object] = field(default=time.sleep)


@dataclass(frozen=True)
class DeviceCode:
    """What the person needs to approve the sign-in in a browser."""

    user_code: str
    verification_uri: str
    verification_uri_complete: str  # the same page with the code filled in
    expires_in: int  # seconds the code stays valid


def _error_code(error: BaseException) -> str | None:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    return str(response.get("Error", {}).get("Code", "")) or None


def _needed(oidc: SSOOIDCClient, operation: str, answer: Any, key: str, kind: type) -> Any:
    """``answer[key]`` when the service gave it as a ``kind``; else BadAnswer (exit 1) naming
    the endpoint: an answer lacking what the sign-in needs is refused, not crashed on."""
    value = answer.get(key) if isinstance(answer, dict) else None
    if isinstance(value, kind) and not isinstance(value, bool) and value != "":
        return value
    host = urlsplit(oidc.meta.endpoint_url).netloc
    raise BadAnswer(f"IAM Identity Center {host}: {operation} answered without a valid {key}")


def _page(oidc: SSOOIDCClient, url: str) -> str:
    """A verification page the service named: an http(s) URL, escaped for the terminal."""
    if urlsplit(url).scheme not in ("http", "https"):
        host = urlsplit(oidc.meta.endpoint_url).netloc
        shown = printable(url[:80])
        raise BadAnswer(
            f"IAM Identity Center {host}: a verification page that is not a URL: {shown}"
        )
    return printable(url)


def _hint_profile(profile: SsoProfile) -> str | None:
    return None if profile.profile == "default" else profile.profile


def registration(
    oidc: SSOOIDCClient, profile: SsoProfile, cache: SsoCache, timing: Timing
) -> Registration:
    """The cached client registration while it is good for 15 more minutes, else a new one."""
    key = registration_cache_key(profile.start_url, profile.session, profile.region, profile.scopes)
    cached = cache.registration(key)
    if (
        cached is not None
        and not cached.for_auth_code
        and cached.expires_at - timing.now() >= EXPIRY_WINDOW
    ):
        return cached
    # botocore's client names: the session's, or the time for a legacy profile
    suffix = profile.session if profile.session is not None else int(timing.now().timestamp())
    arguments: RegisterClientRequestTypeDef = {
        "clientName": f"botocore-client-{suffix}",
        "clientType": "public",
    }
    if profile.scopes:
        arguments["scopes"] = list(profile.scopes)
    answer = oidc.register_client(**arguments)
    expires = _needed(oidc, "RegisterClient", answer, "clientSecretExpiresAt", int)
    made = Registration(
        client_id=_needed(oidc, "RegisterClient", answer, "clientId", str),
        client_secret=_needed(oidc, "RegisterClient", answer, "clientSecret", str),
        expires_at=datetime.fromtimestamp(min(expires, 2**33), UTC),
        scopes=profile.scopes,
    )
    cache.put_registration(key, made)
    return made


def _token_from(
    oidc: SSOOIDCClient,
    answer: CreateTokenResponseTypeDef,
    profile: SsoProfile,
    client: Registration,
    timing: Timing,
) -> SsoToken:
    lifetime = min(_needed(oidc, "CreateToken", answer, "expiresIn", int), 2**31)
    return SsoToken(
        start_url=profile.start_url,
        region=profile.region,
        access_token=_needed(oidc, "CreateToken", answer, "accessToken", str),
        expires_at=timing.now() + timedelta(seconds=lifetime),
        client_id=client.client_id,
        client_secret=client.client_secret,
        registration_expires_at=client.expires_at,
        refresh_token=answer.get("refreshToken") or None,
    )


def device_sign_in(
    oidc: SSOOIDCClient,
    profile: SsoProfile,
    client: Registration,
    *,
    on_code: Callable[[DeviceCode], None],
    timing: Timing,
) -> SsoToken:
    """Start a device authorization and poll CreateToken until the person approves it."""
    started = oidc.start_device_authorization(
        clientId=client.client_id, clientSecret=client.client_secret, startUrl=profile.start_url
    )
    step = "StartDeviceAuthorization"
    device_code = _needed(oidc, step, started, "deviceCode", str)
    page = _page(oidc, _needed(oidc, step, started, "verificationUri", str))
    complete = started.get("verificationUriComplete")
    code = DeviceCode(
        # What the service says reaches the terminal escaped (and the browser: a URL only).
        user_code=printable(_needed(oidc, step, started, "userCode", str)),
        verification_uri=page,
        verification_uri_complete=_page(oidc, complete) if isinstance(complete, str) else page,
        expires_in=_needed(oidc, step, started, "expiresIn", int),
    )
    interval = max(int(started.get("interval") or DEFAULT_INTERVAL), SHORTEST_INTERVAL)
    schedule = Schedule(
        timeout=code.expires_in,
        first=interval,
        longest=interval,
        factor=1.0,
        clock=timing.clock,
        sleep=timing.sleep,
    )
    shown = False

    def attempt(_elapsed: float) -> SsoToken | None:
        nonlocal shown
        try:
            answer = oidc.create_token(
                grantType=DEVICE_GRANT,
                clientId=client.client_id,
                clientSecret=client.client_secret,
                deviceCode=device_code,
            )
        except Exception as error:
            code_name = _error_code(error)
            if code_name == "AuthorizationPendingException":
                pass
            elif code_name == "SlowDownException":
                schedule.slow_down(SLOW_DOWN_SECONDS)
            elif code_name == "ExpiredTokenException":
                raise expired(profile) from None
            elif code_name == "AccessDeniedException":
                raise SignInRequired(
                    "the sign-in was denied in the browser", _hint_profile(profile)
                ) from None
            else:
                raise
            if not shown:
                shown = True
                on_code(code)
            return None
        return _token_from(oidc, answer, profile, client, timing)

    return poll(attempt, schedule, timed_out=lambda _elapsed: expired(profile))


def expired(profile: SsoProfile) -> SignInRequired:
    return SignInRequired("the sign-in code expired before it was approved", _hint_profile(profile))
