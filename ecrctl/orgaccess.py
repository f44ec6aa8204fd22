"""Sessions for every account of an organisation (``--accounts``): one AssumeRole per account,
refreshed before it expires, and one shared client per service and region.

Hundreds of accounts x regions are read by one process. A botocore client costs ~3 ms of CPU and
~230 KB to make (measured: 1,800 of them, one per account and region, were 5.6 s of CPU and
~410 MB before a single call), so clients are not made per account: each region's client is made
once, from one botocore session (the service models come from session.py's shared loader), and
signs every request with the credentials of the account the request is made for. An account's
view of a client (``BoundClient``, cached per account, service and region) binds its
credentials in a context variable around each call and each page; the shared session's one
credential provider (``AccountCredentials``) reads them at signing time, in the calling thread.
A call made outside a binding has no credentials at all (NoCredentialsError): it never borrows
another account's.

Each account's credentials come from one AssumeRole (the role ``--role-name``, ``--external-id``)
made with the caller's own credentials, as botocore's ``RefreshableCredentials``: botocore calls
AssumeRole again when less than 15 minutes are left. The account the caller is already in is read
with the caller's own credentials. Throttled AssumeRole calls and throttled reads narrow the
fleet's width (core/org/limiter.py); the shared clients report botocore's own throttled retries to
it too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials
from botocore.exceptions import NoCredentialsError

from ecrctl.core.access.iam import partition
from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.fleet import RegionLister
from ecrctl.core.org.accounts import Account, AccountsSpec, RoleAccess, organization_accounts
from ecrctl.core.org.limiter import AdaptiveWidth, with_backoff
from ecrctl.session import Clients, Settings

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient

DEFAULT_REGION = "us-east-1"
_BOUND: ContextVar[Any] = ContextVar("ecrctl_account_credentials", default=None)


@contextmanager
def bound(credentials: Any) -> Iterator[None]:
    """Calls made in the block, in this thread, are signed with ``credentials``."""
    token = _BOUND.set(credentials)
    try:
        yield
    finally:
        _BOUND.reset(token)


class AccountCredentials:
    """The credentials of the account the current call is made for (see ``bound``); botocore
    asks for them each time it signs a request."""

    method = "ecrctl-account"

    @staticmethod
    def _current() -> Any:
        current = _BOUND.get()
        if current is None:  # never sign with anybody's credentials
            raise NoCredentialsError()
        return current

    @property
    def access_key(self) -> str:
        return str(self._current().access_key)

    @property
    def secret_key(self) -> str:
        return str(self._current().secret_key)

    @property
    def token(self) -> str | None:
        token = self._current().token
        return str(token) if token else None

    @property
    def account_id(self) -> str | None:
        current = _BOUND.get()
        return getattr(current, "account_id", None) if current is not None else None

    def get_frozen_credentials(self) -> Any:
        return self._current().get_frozen_credentials()

    def get_deferred_property(self, name: str) -> Callable[[], Any]:
        return lambda: getattr(self, name, None)


class _AccountCredentialProvider(CredentialProvider):
    METHOD = "ecrctl-account"
    CANONICAL_NAME = "custom-ecrctl-account"

    def __init__(self) -> None:
        super().__init__()
        self.credentials = AccountCredentials()

    def load(self) -> AccountCredentials:
        return self.credentials


class BoundPaginator:
    """A paginator whose every page is fetched with one account's credentials."""

    def __init__(self, paginator: Any, credentials: Any) -> None:
        self._paginator = paginator
        self._credentials = credentials

    def paginate(self, **params: Any) -> Iterator[Any]:
        pages = iter(self._paginator.paginate(**params))
        while True:
            with bound(self._credentials):
                page = next(pages, None)
            if page is None:
                return
            yield page


class BoundClient:
    """One account's view of a region's shared client: the same methods, its credentials."""

    def __init__(self, client: Any, credentials: Any) -> None:
        self._client = client
        self._credentials = credentials

    @property
    def meta(self) -> Any:
        return self._client.meta

    @property
    def exceptions(self) -> Any:
        return self._client.exceptions

    def get_paginator(self, operation: str) -> BoundPaginator:
        return BoundPaginator(self._client.get_paginator(operation), self._credentials)

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._client, name)
        if not callable(found):
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            with bound(self._credentials):
                return found(*args, **kwargs)

        return call


@dataclass
class Reached:
    """How one account was reached: its credentials, the ARN they act as, and how."""

    credentials: Any
    arn: str
    method: str


class Organization:
    """The caller's session (STS, Organizations) and the shared one the accounts are read with."""

    def __init__(
        self,
        settings: Settings,
        role: RoleAccess | None,
        width: AdaptiveWidth,
        *,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = replace(settings, registry_id=None)
        self.role = role
        self.width = width
        self.caller = Clients(self.settings, log=log)  # the caller's own credentials
        self.shared = Clients(self.settings, log=log)
        provider = _AccountCredentialProvider()
        self.shared.core.register_component("credential_provider", CredentialResolver([provider]))
        self._lock = threading.Lock()  # a botocore session makes one client at a time
        self._identity_lock = threading.Lock()
        self._identity: dict[str, str] | None = None
        self._watched: set[int] = set()

    @property
    def region(self) -> str:
        configured = self.settings.region or self.caller.core.get_config_variable("region")
        return str(configured or DEFAULT_REGION)

    def caller_client(self, service: str) -> Any:
        with self._lock:
            client = self.caller.client(service, self.region)
            self._watch(client)
            return client

    def shared_client(self, service: str, region: str) -> Any:
        with self._lock:
            client = self.shared.client(service, region)
            self._watch(client)
            return client

    def shared_ecr(self, region: str) -> Any:
        with self._lock:
            client = self.shared.ecr(region)
            self._watch(client)
            return client

    def _watch(self, client: Any) -> None:
        """botocore's own throttled retries narrow the width too (once per client)."""
        if id(client) not in self._watched:
            self._watched.add(id(client))
            client.meta.events.register("needs-retry.*.*", self.width.observe_retry)

    def identity(self) -> dict[str, str]:
        """The caller's account and ARN (one GetCallerIdentity per run)."""
        with self._identity_lock:
            if self._identity is None:
                sts = self.caller_client("sts")
                found = with_backoff(sts.get_caller_identity, self.width, hold=False)
                self._identity = {
                    "Account": str(found["Account"]),
                    "Arn": str(found.get("Arn", "")),
                }
            return self._identity

    def accounts(self, spec: AccountsSpec) -> list[Account]:
        if not spec.from_organizations:
            return organization_accounts(None, spec)
        return organization_accounts(self.caller_client("organizations"), spec)

    def reach(self, account: Account) -> Reached:
        """The caller's own credentials for its own account; AssumeRole for any other."""
        me = self.identity()
        if account.id == me["Account"]:
            with self._lock:
                credentials = self.caller.core.get_credentials()
            if credentials is None:
                raise NoCredentialsError()
            return Reached(credentials, me["Arn"], str(getattr(credentials, "method", "")))
        if self.role is None:  # the CLI asks for --role-name before this
            raise NoCredentialsError()
        sts = self.caller_client("sts")
        params = self.role.assume_params(account.id, partition(self.region))

        def assume() -> dict[str, Any]:
            answer: dict[str, Any] = sts.assume_role(**params)
            return answer

        first = assume()  # the fleet holds a slot for it, and asks again when throttled

        def refresh() -> dict[str, str]:  # inside a read's call: its slot is already held
            return _metadata(with_backoff(assume, self.width, hold=False))

        credentials = RefreshableCredentials.create_from_metadata(
            metadata=_metadata(first), refresh_using=refresh, method="assume-role"
        )
        arn = str((first.get("AssumedRoleUser") or {}).get("Arn") or params["RoleArn"])
        return Reached(credentials, arn, "assume-role")


def _metadata(answer: dict[str, Any]) -> dict[str, str]:
    found = answer["Credentials"]
    expiry = found["Expiration"]
    return {
        "access_key": str(found["AccessKeyId"]),
        "secret_key": str(found["SecretAccessKey"]),
        "token": str(found["SessionToken"]),
        "expiry_time": expiry.isoformat() if isinstance(expiry, datetime) else str(expiry),
    }


class AccountAccess:
    """One account of the organisation, as the fleet sees a profile (core.fleet.ProfileAccess)."""

    profile: str | None = None

    def __init__(self, organization: Organization, account: Account) -> None:
        self.organization = organization
        self.account = account
        self._reached: Reached | None = None
        self._ec2: dict[str, BoundClient] = {}
        self._registries: dict[str, EcrRegistry] = {}
        self._lock = threading.Lock()

    def resolve_credentials(self) -> str:
        self._reached = self.organization.reach(self.account)
        return self._reached.method

    def default_region(self) -> str | None:
        return self.organization.region

    def identity(self) -> dict[str, str]:
        return {"Account": self.account.id, "Arn": self._reached_now().arn}

    def _reached_now(self) -> Reached:
        if self._reached is None:
            self.resolve_credentials()
        assert self._reached is not None
        return self._reached

    def ec2(self, region: str) -> RegionLister:
        """The account's EC2 in ``region`` (DescribeRegions, for --regions all)."""
        credentials = self._reached_now().credentials
        with self._lock:
            if region not in self._ec2:
                shared = self.organization.shared_client("ec2", region)
                self._ec2[region] = BoundClient(shared, credentials)
            return cast("RegionLister", self._ec2[region])

    def registry(self, region: str) -> EcrRegistry:
        """The account's own registry in ``region``: one per account and region, on the
        region's shared client, every call signed as this account."""
        credentials = self._reached_now().credentials
        with self._lock:
            if region not in self._registries:
                shared = self.organization.shared_ecr(region)
                bound_client = cast("ECRClient", BoundClient(shared, credentials))
                self._registries[region] = EcrRegistry(bound_client)
            return self._registries[region]
