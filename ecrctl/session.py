"""The only place that resolves profile / region / endpoint and builds boto3 clients.

Precedence is flag > environment > profile, as in the aws CLI. A profile given with ``--profile``
is passed to botocore explicitly, which puts it before access keys in the environment; the
environment variable ``AWS_PROFILE`` is left for botocore to read itself, where environment keys
come first (botocore drops its environment provider only for an explicit profile). So
``AWS_PROFILE=prod`` with ``AWS_ACCESS_KEY_ID`` set reaches the keys' account, as the aws CLI does.
boto3 is imported lazily so that
commands which never talk to AWS (``--help``, ``--version``, ``uri`` with a full URI) start fast.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, TypedDict, cast

from ecrctl.core.exceptions import InvalidInput
from ecrctl.loader import SHARED_LOADER, service_loader

if TYPE_CHECKING:
    import boto3
    import botocore.session
    from botocore.client import BaseClient
    from botocore.config import Config
    from botocore.model import OperationModel
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_sso import SSOClient
    from mypy_boto3_sso_oidc import SSOOIDCClient
    from mypy_boto3_sts.type_defs import CredentialsTypeDef

    from ecrctl.core.names import RegistryHost
    from ecrctl.core.sso.config import SsoProfile

REDACTED_KEYS = frozenset(
    {
        "password",
        "secret",
        "authorizationtoken",
        "token",
        "secretaccesskey",
        "sessiontoken",
        "authparameters",
        "basicauthparameters",
        "secretstring",
        "accesstoken",  # sso-oidc and the SSO portal
        "refreshtoken",
        "clientsecret",
        "devicecode",
        "codeverifier",
    }
)


@dataclass(frozen=True)
class Settings:
    """What the global options say about where to talk to."""

    profile: str | None = None  # --profile only: AWS_PROFILE is botocore's to weigh
    region: str | None = None
    endpoint_url: str | None = None
    registry_id: str | None = None
    debug: bool = False

    def with_target(self, *, region: str | None, registry_id: str | None) -> Settings:
        """Settings for a full image URI pasted on the command line (its region and account win)."""
        return replace(
            self,
            region=region or self.region,
            registry_id=registry_id or self.registry_id,
        )

    def for_registry(self, host: RegistryHost) -> Settings:
        """Settings for a pasted URI: its region and account, and the profile that
        ~/.config/ecrctl/config.toml maps to its registry (an explicit --profile still wins)."""
        target = self.with_target(region=host.region, registry_id=host.account)
        if self.profile:
            return target
        from ecrctl.core.login.userconfig import load_user_config

        profile = load_user_config().profile_for(str(host))
        return replace(target, profile=profile) if profile else target


def resolve_settings(
    *,
    profile: str | None,
    region: str | None,
    endpoint_url: str | None,
    registry_id: str | None,
    debug: bool,
    environ: dict[str, str] | None = None,
) -> Settings:
    env = os.environ if environ is None else environ
    if registry_id is not None and not (len(registry_id) == 12 and registry_id.isdigit()):
        raise InvalidInput(f"invalid registry id {registry_id!r}: it is a 12-digit AWS account id")
    for source, url in (
        ("--endpoint-url", endpoint_url),
        ("AWS_ENDPOINT_URL", env.get("AWS_ENDPOINT_URL")),
        ("AWS_ENDPOINT_URL_ECR", env.get("AWS_ENDPOINT_URL_ECR")),
    ):
        _check_endpoint(source, url)
    return Settings(
        profile=profile or None,
        region=region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
        # AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> are read by botocore per service.
        endpoint_url=endpoint_url or None,
        registry_id=registry_id,
        debug=debug,
    )


def ecr_endpoint(settings: Settings, environ: dict[str, str] | None = None) -> str | None:
    """The ECR endpoint URL named by --endpoint-url, AWS_ENDPOINT_URL_ECR or AWS_ENDPOINT_URL
    (botocore's order), or None: AWS's own. A profile's ``endpoint_url`` is not read here."""
    env = os.environ if environ is None else environ
    return (
        settings.endpoint_url
        or env.get("AWS_ENDPOINT_URL_ECR")
        or env.get("AWS_ENDPOINT_URL")
        or None
    )


def _check_endpoint(source: str, url: str | None) -> None:
    """botocore rejects a malformed endpoint with a bare ValueError at the first call, and
    accepts host names no resolver will (``https://a_b``): both are bad input here (exit 2)."""
    if url:
        from ecrctl.core.inputs import check_endpoint_url

        check_endpoint_url(url, f"invalid {source}")


def _redact(value: object, key: str = "") -> object:
    if key.lower().replace("_", "") in REDACTED_KEYS:
        return "***"
    if isinstance(value, dict):
        return {k: _redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        if len(value) > 5:
            return [*(_redact(v) for v in value[:5]), f"... {len(value) - 5} more"]
        return [_redact(v) for v in value]
    if isinstance(value, str) and len(value) > 200:
        return value[:60] + f"... ({len(value)} chars)"
    return value


def _stderr_line(line: str) -> None:
    print(line, file=sys.stderr)


class _CallLogger:
    """--debug: one line per API call, parameters redacted, never a secret, handed to ``log``
    (the CLI's stream owner; stderr when nobody gave one)."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log

    def before(
        self,
        params: Mapping[str, object],
        model: OperationModel,
        context: dict[str, object],
        **_: object,
    ) -> None:
        context["ecrctl_started"] = time.perf_counter()
        service = model.service_model.service_name
        self.log(f"debug: -> {service}.{model.name} {_redact(params)}")

    def after(
        self,
        http_response: object,
        parsed: Mapping[str, object],
        model: OperationModel,
        context: dict[str, object],
        **_: object,
    ) -> None:
        now = time.perf_counter()
        started = context.get("ecrctl_started", now)
        elapsed = (now - (started if isinstance(started, float) else now)) * 1000
        status = getattr(http_response, "status_code", "?")
        meta = parsed.get("ResponseMetadata")
        retries = meta.get("RetryAttempts", 0) if isinstance(meta, Mapping) else 0
        self.log(
            f"debug: <- {model.service_model.service_name}.{model.name} HTTP {status} "
            f"{elapsed:.0f} ms retries={retries}"
        )


class Clients:
    """Builds and caches boto3 clients for one set of Settings."""

    def __init__(self, settings: Settings, *, log: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self._log = log or _stderr_line  # where --debug writes its call log
        self._core: botocore.session.Session | None = None
        self._session: boto3.Session | None = None
        self._clients: dict[tuple[str, str | None, int, bool], object] = {}

    @property
    def core(self) -> botocore.session.Session:
        """The botocore session: clients come from it directly (importing boto3 costs ~40 ms)."""
        if self._core is None:
            import botocore.session

            core = botocore.session.Session(profile=self.settings.profile)
            # Service models and endpoint data are parsed once per process, not per session
            # (a new session would re-read ~1 MB of JSON). Credentials, profile and config stay
            # per session.
            loader = SHARED_LOADER.get("loader")
            if loader is None:
                loader = SHARED_LOADER["loader"] = service_loader(
                    core.get_config_variable("data_path")
                )
            core.register_component("data_loader", loader)
            self._core = core
        return self._core

    @property
    def session(self) -> boto3.Session:
        """A boto3 Session over the same botocore session, for callers that want boto3's API."""
        if self._session is None:
            import boto3

            self._session = boto3.Session(
                botocore_session=self.core, profile_name=self.settings.profile
            )
            # boto3 appends its data path to the shared loader each time: keep each path once
            paths = self.core.get_component("data_loader").search_paths
            paths[:] = list(dict.fromkeys(paths))
        return self._session

    @property
    def region(self) -> str:
        region = self.settings.region or self.core.get_config_variable("region")
        if not region:
            from botocore.exceptions import NoRegionError

            raise NoRegionError()
        return region

    def max_attempts(self) -> int | None:
        """``AWS_MAX_ATTEMPTS`` or the profile's ``max_attempts`` as botocore reads them (None:
        not set); the registry client's retries (core/distribution/retry.py) take the same count."""
        value = self.core.get_config_variable("max_attempts")
        return int(value) if value is not None else None

    def client(
        self, service: str, region: str | None = None, *, attempts: int = 0, unsigned: bool = False
    ) -> Any:
        """A client of ``service``, made once per region. botocore's retries are the only retry
        layer; ``attempts`` raises them for a bulk writer (when the person set none), so that
        reads and unreachable endpoints still fail as fast as the aws CLI's. ``unsigned``: a
        client that needs no credentials (sso-oidc, the SSO portal), as botocore makes them,
        aimed by AWS_ENDPOINT_URL_<SERVICE> and never by --endpoint-url (ECR's)."""
        if attempts and self.core.get_config_variable("max_attempts") is not None:
            attempts = 0  # AWS_MAX_ATTEMPTS or the profile's max_attempts decide
        key = (service, region, attempts, unsigned)
        if key not in self._clients:
            from botocore import UNSIGNED
            from botocore.config import Config

            retries: RetryConfig = {"mode": _retry_mode()}
            if attempts:
                retries["total_max_attempts"] = attempts
            config = Config(
                retries=retries,
                max_pool_connections=32,
                connect_timeout=10,
                read_timeout=60,
                user_agent_extra="ecrctl",
            )
            if unsigned:
                config = config.merge(Config(signature_version=UNSIGNED))
            self._clients[key] = self._made(service, region, config, unsigned=unsigned)
        return self._clients[key]

    def _made(
        self,
        service: str,
        region: str | None,
        config: Config,
        credentials: CredentialsTypeDef | None = None,
        *,
        unsigned: bool = False,
    ) -> BaseClient:
        """A new client of ``service`` (with ``credentials``: a role's, not the session's), with
        --debug's call log when asked for."""
        client = self.core.create_client(
            service,
            region_name=region or self.region,
            endpoint_url=None if unsigned else self.settings.endpoint_url,
            config=config,
            aws_access_key_id=credentials["AccessKeyId"] if credentials else None,
            aws_secret_access_key=credentials["SecretAccessKey"] if credentials else None,
            aws_session_token=credentials["SessionToken"] if credentials else None,
        )
        if self.settings.debug:
            logger = _CallLogger(self._log)
            client.meta.events.register("before-parameter-build.*.*", logger.before)
            client.meta.events.register("after-call.*.*", logger.after)
        return client

    def ecr(self, region: str | None = None, *, bulk_writes: bool = False) -> ECRClient:
        """The ECR client; ``bulk_writes`` for retag and untag, whose bursts of PutImage and
        BatchDeleteImage need more room for throttling (core.ecr.api.BULK_ATTEMPTS)."""
        from ecrctl.core.ecr.api import BULK_ATTEMPTS

        client: ECRClient = self.client("ecr", region, attempts=BULK_ATTEMPTS if bulk_writes else 0)
        return client

    @property
    def profile_name(self) -> str:
        """The profile botocore reads: --profile, else AWS_PROFILE, else ``default``."""
        return str(self.core.get_config_variable("profile") or "default")

    def sso_profile(self) -> SsoProfile:
        """The profile's IAM Identity Center settings (ConfigurationError when it has none)."""
        from ecrctl.core.sso.config import read_profile

        return read_profile(self.core.full_config, self.profile_name)

    def sso_oidc(self, region: str) -> SSOOIDCClient:
        client: SSOOIDCClient = self.client("sso-oidc", region, unsigned=True)
        return client

    def sso_portal(self, region: str) -> SSOClient:
        client: SSOClient = self.client("sso", region, unsigned=True)
        return client

    def account(self) -> str:
        """The account the calls run in (STS). When no credentials can be had for an SSO
        profile (never signed in, expired, signed out), its ``sso_account_id``: a registry
        host is built from that and the region without a session."""
        try:
            return str(self.client("sts").get_caller_identity()["Account"])
        except Exception as error:
            account = self.account_without_credentials(error)
            if account is None:
                raise
            return account

    def account_without_credentials(self, error: BaseException) -> str | None:
        """The profile's ``sso_account_id`` when ``error`` says that no credentials can be had;
        None otherwise (the error stands)."""
        from botocore import exceptions as bce

        unavailable = (
            bce.NoCredentialsError,
            bce.SSOError,  # SSOTokenLoadError, UnauthorizedSSOTokenError
            bce.TokenRetrievalError,
        )
        from ecrctl.core.sso.failures import from_sso_cache

        if not isinstance(error, unavailable) and not from_sso_cache(error):
            return None
        from ecrctl.core.sso.config import account_of

        return account_of(self.core.full_config, self.profile_name)

    def quick_ecr(self) -> ECRClient:
        """An ECR client for shell completion: one attempt, short timeouts (never cached: a
        completion is one process)."""
        from botocore.config import Config

        config = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 1})
        return cast("ECRClient", self._made("ecr", None, config))

    def assumed_ecr(self, credentials: CredentialsTypeDef) -> ECRClient:
        """An ECR client (this session's region and endpoint) with a role's temporary
        credentials, as STS AssumeRole gave them."""
        from botocore.config import Config

        config = Config(retries={"mode": _retry_mode()}, user_agent_extra="ecrctl")
        return cast("ECRClient", self._made("ecr", None, config, credentials))


RetryMode = Literal["legacy", "standard", "adaptive"]


class RetryConfig(TypedDict, total=False):
    """botocore's ``Config(retries=...)``."""

    mode: RetryMode
    total_max_attempts: int
    max_attempts: int


def _retry_mode() -> RetryMode:
    """AWS_RETRY_MODE, else standard (botocore refuses any other value itself)."""
    return cast(RetryMode, os.environ.get("AWS_RETRY_MODE") or "standard")
