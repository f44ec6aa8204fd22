"""core/sso: profiles of both kinds, the aws CLI v2's cache files, the device sign-in's poll
(botocore's Stubber on a real sso-oidc client, a clock moved by hand), sign-out."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ecrctl.cli.errors import ExitStatus, classify
from ecrctl.core.exceptions import ConfigurationError, SignInRequired
from ecrctl.core.sso.cache import (
    Registration,
    SsoCache,
    SsoToken,
    format_time,
    parse_time,
    registration_cache_key,
)
from ecrctl.core.sso.config import SsoProfile, read_profile
from ecrctl.core.sso.device import DEVICE_GRANT, DeviceCode, Timing
from ecrctl.core.sso.signin import sign_in, sign_out
from tests.fakeclock import FakeClock

START_URL = "https://corp.awsapps.com/start"
BASE = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
FULL_CONFIG: dict[str, Any] = {
    "profiles": {
        "dev": {
            "sso_start_url": START_URL,
            "sso_region": "eu-west-1",
            "sso_account_id": "642976147714",
            "sso_role_name": "Developer",
            "region": "eu-west-1",
        },
        "stage": {"sso_session": "corp", "sso_account_id": "222222222222", "sso_role_name": "Ops"},
        "keys": {"aws_access_key_id": "AKIA0000", "aws_secret_access_key": "x"},
        "half": {"sso_start_url": START_URL},
        "lost": {"sso_session": "gone"},
    },
    "sso_sessions": {
        "corp": {
            "sso_start_url": START_URL,
            "sso_region": "eu-west-1",
            "sso_registration_scopes": "sso:account:access, openid",
        }
    },
}


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


# -- profiles ---------------------------------------------------------------------------------


def test_a_legacy_profile_signs_in_under_the_sha1_of_its_start_url() -> None:
    profile = read_profile(FULL_CONFIG, "dev")
    assert (profile.start_url, profile.region, profile.session) == (START_URL, "eu-west-1", None)
    assert (profile.account, profile.role) == ("642976147714", "Developer")
    assert profile.cache_key == sha1(START_URL)


def test_an_sso_session_profile_signs_in_under_the_sha1_of_the_session_name() -> None:
    profile = read_profile(FULL_CONFIG, "stage")
    assert (profile.session, profile.start_url, profile.region) == ("corp", START_URL, "eu-west-1")
    assert profile.scopes == ("sso:account:access", "openid")
    assert profile.cache_key == sha1("corp")
    assert profile.signs_in_as == "sso-session corp"


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("keys", "does not sign in with IAM Identity Center"),
        ("half", "lacks sso_region"),
        ("lost", "no [sso-session gone] section"),
        ("nope", "profile nope is not in the AWS config file"),
    ],
)
def test_a_profile_that_cannot_sign_in_is_exit_4_saying_why(name: str, said: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        read_profile(FULL_CONFIG, name)
    failure = classify(raised.value)
    assert failure.status == ExitStatus.CONFIG
    assert said in failure.message


# -- the cache files --------------------------------------------------------------------------


def token(**changes: Any) -> SsoToken:
    fields: dict[str, Any] = {
        "start_url": START_URL,
        "region": "eu-west-1",
        "access_token": "access-1",
        "expires_at": BASE + timedelta(hours=8),
        "client_id": "client-1",
        "client_secret": "secret-1",
        "registration_expires_at": BASE + timedelta(days=90),
        "refresh_token": "refresh-1",
    }
    return SsoToken(**{**fields, **changes})


def test_the_token_file_has_the_aws_cli_fields_and_botocore_reads_it(tmp_path: Path) -> None:
    from botocore.utils import JSONFileCache, SSOTokenLoader

    cache = SsoCache(str(tmp_path / "sso" / "cache"))
    cache.put_token(sha1("corp"), token())
    written = json.loads(Path(cache.path(sha1("corp"))).read_text())
    assert list(written) == [
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    ]
    assert written["expiresAt"] == "2025-03-01T20:00:00Z"
    assert written["registrationExpiresAt"] == "2025-05-30T12:00:00Z"
    # botocore's own loader finds it under the session's name
    loaded = SSOTokenLoader(JSONFileCache(cache.directory))(START_URL, session_name="corp")
    assert loaded["accessToken"] == "access-1"
    assert cache.token(sha1("corp")) is not None
    assert "access-1" not in repr(cache.token(sha1("corp")))  # never a secret in a repr


def test_files_are_0600_in_0700_directories_and_written_whole(tmp_path: Path) -> None:
    cache = SsoCache(str(tmp_path / ".aws" / "sso" / "cache"))
    cache.put_token("k", token())
    cache.put_token("k", token(access_token="access-2"))
    assert stat.S_IMODE(os.stat(cache.path("k")).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(cache.directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / ".aws" / "sso").st_mode) == 0o700
    assert sorted(os.listdir(cache.directory)) == ["k.json"]  # no temporary left
    assert cache.token("k") == token(access_token="access-2")


def test_a_cache_directory_others_may_write_is_refused_and_not_read(tmp_path: Path) -> None:
    directory = tmp_path / "sso" / "cache"
    directory.mkdir(parents=True)
    (directory / "k.json").write_text(json.dumps(token().to_file()))
    os.chmod(directory / "k.json", 0o600)
    os.chmod(directory, 0o777)
    cache = SsoCache(str(directory))
    assert cache.token("k") is None  # another user could have planted it
    with pytest.raises(ConfigurationError, match="writable by other users"):
        cache.put_token("k", token())


def test_a_token_file_others_may_write_is_not_read(tmp_path: Path) -> None:
    cache = SsoCache(str(tmp_path / "cache"))
    cache.put_token("k", token())
    os.chmod(cache.path("k"), 0o666)
    assert cache.token("k") is None


@pytest.mark.parametrize(
    "text",
    ["2025-03-01T20:00:00Z", "2025-03-01T20:00:00UTC", "2025-03-01T20:00:00+00:00"],
)
def test_times_in_every_form_the_cache_holds(text: str) -> None:
    assert parse_time(text) == BASE + timedelta(hours=8)


def test_times_that_are_not_times_are_none() -> None:
    assert parse_time("soon") is None
    assert parse_time(12) is None
    assert format_time(datetime(2025, 3, 1, 13, 0, tzinfo=UTC)) == "2025-03-01T13:00:00Z"


def test_the_registration_key_is_botocores() -> None:
    """aws-cli v2 botocore/utils.py BaseSSOTokenFetcher._registration_cache_key."""
    arguments = {
        "tool": "botocore",
        "startUrl": START_URL,
        "region": "eu-west-1",
        "scopes": ["sso:account:access"],
        "session_name": "corp",
    }
    expected = hashlib.sha1(json.dumps(arguments, sort_keys=True).encode()).hexdigest()
    assert registration_cache_key(START_URL, "corp", "eu-west-1", ("sso:account:access",)) == (
        expected
    )


# -- the device sign-in ------------------------------------------------------------------------


@pytest.fixture
def oidc() -> Iterator[tuple[Any, Any]]:
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config
    from botocore.stub import Stubber

    client = boto3.client(
        "sso-oidc", region_name="eu-west-1", config=Config(signature_version=UNSIGNED)
    )
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


class Portal:
    """The SSO portal's two calls, recorded."""

    def __init__(self, refuse: str | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.refuse = refuse

    def get_role_credentials(self, **kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        self.calls.append(("GetRoleCredentials", kwargs))
        if self.refuse:
            raise ClientError(
                {"Error": {"Code": self.refuse, "Message": "No access"}}, "GetRoleCredentials"
            )
        return {"roleCredentials": {"accessKeyId": "A", "secretAccessKey": "S"}}

    def logout(self, **kwargs: Any) -> None:
        from botocore.exceptions import ClientError

        self.calls.append(("Logout", kwargs))
        if self.refuse:
            raise ClientError({"Error": {"Code": self.refuse, "Message": "no"}}, "Logout")


def timing(clock: FakeClock) -> Timing:
    return Timing(
        now=lambda: BASE + timedelta(seconds=clock.now), clock=clock.clock, sleep=clock.sleep
    )


def expect_start(
    stub: Any, profile: SsoProfile, *, interval: int = 2, expires: int = 600, register: bool = True
) -> None:
    if register:
        stub.add_response(
            "register_client",
            {
                "clientId": "client-1",
                "clientSecret": "secret-1",
                "clientSecretExpiresAt": 1_900_000_000,
            },
            {
                "clientName": "botocore-client-corp",
                "clientType": "public",
                "scopes": list(profile.scopes or ()),
            },
        )
    stub.add_response(
        "start_device_authorization",
        {
            "deviceCode": "device-1",
            "userCode": "ABCD-EFGH",
            "verificationUri": "https://device.sso.eu-west-1.amazonaws.com/",
            "verificationUriComplete": "https://device.sso.eu-west-1.amazonaws.com/?user_code=ABCD-EFGH",
            "expiresIn": expires,
            "interval": interval,
        },
        {"clientId": "client-1", "clientSecret": "secret-1", "startUrl": START_URL},
    )


def expect_answers(stub: Any, *errors: str, token: bool = True) -> None:
    asked = {
        "grantType": DEVICE_GRANT,
        "clientId": "client-1",
        "clientSecret": "secret-1",
        "deviceCode": "device-1",
    }
    for code in errors:
        stub.add_client_error(
            "create_token", service_error_code=code, http_status_code=400, expected_params=asked
        )
    if token:
        stub.add_response(
            "create_token",
            {"accessToken": "access-1", "expiresIn": 28800, "refreshToken": "refresh-1"},
            asked,
        )


def test_sign_in_shows_the_code_after_the_first_pending_answer_and_polls_at_the_interval(
    oidc: tuple[Any, Any], tmp_path: Path
) -> None:
    client, stub = oidc
    profile = read_profile(FULL_CONFIG, "stage")
    expect_start(stub, profile)
    expect_answers(stub, "AuthorizationPendingException", "AuthorizationPendingException")
    clock, shown, portal = FakeClock(), [], Portal()
    cache = SsoCache(str(tmp_path / "cache"))
    result = sign_in(
        profile,
        oidc=client,
        portal=portal,
        cache=cache,
        on_code=shown.append,
        timing=timing(clock),  # type: ignore[arg-type]
    )
    assert shown == [
        DeviceCode(
            "ABCD-EFGH",
            "https://device.sso.eu-west-1.amazonaws.com/",
            "https://device.sso.eu-west-1.amazonaws.com/?user_code=ABCD-EFGH",
            600,
        )
    ]
    assert clock.sleeps == [2, 2]
    assert result.expires_at == BASE + timedelta(seconds=4 + 28800)
    assert result.role_checked
    assert portal.calls == [
        (
            "GetRoleCredentials",
            {"roleName": "Ops", "accountId": "222222222222", "accessToken": "access-1"},
        )
    ]
    kept = cache.token(sha1("corp"))
    assert kept is not None and kept.refresh_token == "refresh-1" and kept.client_id == "client-1"
    assert kept.registration_expires_at == datetime.fromtimestamp(1_900_000_000, UTC)


def test_slow_down_adds_five_seconds_to_every_later_interval(
    oidc: tuple[Any, Any], tmp_path: Path
) -> None:
    client, stub = oidc
    profile = read_profile(FULL_CONFIG, "stage")
    expect_start(stub, profile)
    expect_answers(
        stub, "AuthorizationPendingException", "SlowDownException", "AuthorizationPendingException"
    )
    clock = FakeClock()
    sign_in(
        profile,
        oidc=client,
        portal=Portal(),  # type: ignore[arg-type]
        cache=SsoCache(str(tmp_path)),
        on_code=lambda _: None,
        timing=timing(clock),
    )
    assert clock.sleeps == [2, 7, 7]


def test_the_sign_in_gives_up_when_the_code_expires(oidc: tuple[Any, Any], tmp_path: Path) -> None:
    client, stub = oidc
    profile = read_profile(FULL_CONFIG, "stage")
    expect_start(stub, profile, interval=2, expires=6)
    expect_answers(stub, *["AuthorizationPendingException"] * 4, token=False)
    clock = FakeClock()
    with pytest.raises(SignInRequired) as raised:
        sign_in(
            profile,
            oidc=client,
            portal=Portal(),  # type: ignore[arg-type]
            cache=SsoCache(str(tmp_path)),
            on_code=lambda _: None,
            timing=timing(clock),
        )
    assert clock.sleeps == [2, 2, 2] and clock.now == 6
    failure = classify(raised.value)
    assert failure.status == ExitStatus.CONFIG
    assert failure.message == (
        "the sign-in code expired before it was approved; run: ecrctl sso login --profile stage"
    )
    assert SsoCache(str(tmp_path)).token(sha1("corp")) is None


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("ExpiredTokenException", "the sign-in code expired before it was approved"),
        ("AccessDeniedException", "the sign-in was denied in the browser"),
    ],
)
def test_the_service_ending_the_sign_in_is_exit_4(
    oidc: tuple[Any, Any], tmp_path: Path, code: str, said: str
) -> None:
    client, stub = oidc
    profile = read_profile(FULL_CONFIG, "stage")
    expect_start(stub, profile)
    expect_answers(stub, "AuthorizationPendingException", code, token=False)
    with pytest.raises(SignInRequired, match=said):
        sign_in(
            profile,
            oidc=client,
            portal=Portal(),  # type: ignore[arg-type]
            cache=SsoCache(str(tmp_path)),
            on_code=lambda _: None,
            timing=timing(FakeClock()),
        )


@pytest.mark.parametrize(
    ("left", "auth_code", "registers"),
    [
        (timedelta(hours=1), False, False),  # reused
        (timedelta(minutes=10), False, True),  # within botocore's 15 minutes: renewed
        (timedelta(days=30), True, True),  # the aws CLI v2's browser (PKCE) client: not ours
    ],
)
def test_the_registration_is_reused_until_it_expires(
    oidc: tuple[Any, Any], tmp_path: Path, left: timedelta, auth_code: bool, registers: bool
) -> None:
    client, stub = oidc
    profile = read_profile(FULL_CONFIG, "stage")
    cache = SsoCache(str(tmp_path))
    key = registration_cache_key(START_URL, "corp", "eu-west-1", profile.scopes)
    cached = Registration("client-1", "secret-1", BASE + left, profile.scopes)
    cache.write(
        key, {**cached.to_file(), **({"grantTypes": ["authorization_code"]} if auth_code else {})}
    )
    expect_start(stub, profile, register=registers)
    expect_answers(stub)
    sign_in(
        profile,
        oidc=client,
        portal=Portal(),  # type: ignore[arg-type]
        cache=cache,
        on_code=lambda _: None,
        timing=timing(FakeClock()),
    )


def test_a_role_the_portal_refuses_is_exit_4_and_the_sign_in_is_kept(
    oidc: tuple[Any, Any], tmp_path: Path
) -> None:
    client, stub = oidc
    profile = read_profile(FULL_CONFIG, "stage")
    expect_start(stub, profile)
    expect_answers(stub)
    cache = SsoCache(str(tmp_path))
    with pytest.raises(ConfigurationError) as raised:
        sign_in(
            profile,
            oidc=client,
            portal=Portal(refuse="ForbiddenException"),  # type: ignore[arg-type]
            cache=cache,
            on_code=lambda _: None,
            timing=timing(FakeClock()),
        )
    assert classify(raised.value).status == ExitStatus.CONFIG
    assert "does not reach role Ops in account 222222222222 (No access)" in str(raised.value)
    assert cache.token(sha1("corp")) is not None


# -- sign-out ------------------------------------------------------------------------------------


def test_sign_out_ends_a_valid_session_at_the_portal_and_removes_the_token(tmp_path: Path) -> None:
    profile = read_profile(FULL_CONFIG, "dev")
    cache = SsoCache(str(tmp_path))
    cache.put_token(profile.cache_key, token())
    portal, warnings = Portal(), []
    result = sign_out(
        profile,
        portal=lambda: portal,
        cache=cache,
        warn=warnings.append,
        timing=timing(FakeClock()),  # type: ignore[arg-type, return-value]
    )
    assert (result.removed, result.portal_logout) == (True, True)
    assert portal.calls == [("Logout", {"accessToken": "access-1"})]
    assert not os.path.exists(cache.path(profile.cache_key)) and warnings == []


def test_sign_out_of_an_expired_token_asks_no_portal(tmp_path: Path) -> None:
    profile = read_profile(FULL_CONFIG, "dev")
    cache = SsoCache(str(tmp_path))
    cache.put_token(profile.cache_key, token(expires_at=BASE - timedelta(seconds=1)))
    portal = Portal()
    result = sign_out(
        profile,
        portal=lambda: portal,
        cache=cache,
        warn=print,
        timing=timing(FakeClock()),  # type: ignore[arg-type, return-value]
    )
    assert (result.removed, result.portal_logout, portal.calls) == (True, False, [])


def test_a_portal_refusing_the_logout_is_a_warning_and_the_token_goes(tmp_path: Path) -> None:
    profile = read_profile(FULL_CONFIG, "dev")
    cache = SsoCache(str(tmp_path))
    cache.put_token(profile.cache_key, token())
    warnings: list[str] = []
    result = sign_out(
        profile,
        portal=lambda: Portal(refuse="UnauthorizedException"),  # type: ignore[arg-type, return-value]
        cache=cache,
        warn=warnings.append,
        timing=timing(FakeClock()),
    )
    assert (result.removed, result.portal_logout) == (True, False)
    assert len(warnings) == 1 and "removing the cached token anyway" in warnings[0]


def test_sign_out_with_nothing_cached_says_so(tmp_path: Path) -> None:
    profile = read_profile(FULL_CONFIG, "dev")
    result = sign_out(
        profile,
        portal=Portal,  # type: ignore[arg-type]
        cache=SsoCache(str(tmp_path)),
        warn=print,
        timing=timing(FakeClock()),
    )
    assert (result.removed, result.portal_logout) == (False, False)
