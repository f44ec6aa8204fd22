"""The two ends of a copy: each side's registry, its credentials and, for ECR, its API client.

Nothing here makes a session or reads a profile's credentials: the caller hands over
``CopyAccess``, the things only it can make (ECR login tokens, AWS clients for a profile and
region, which profile config.toml names for a host). A side asks for them only when it needs
them: the registry's credentials when the registry challenges, the ECR API client on first use
(a re-run that finds the copy complete needs none).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ecrctl.core.distribution.client import Registry
from ecrctl.core.distribution.retry import RetryPolicy
from ecrctl.core.distribution.store import ImageStore
from ecrctl.core.names import PUBLIC_ECR, Reference, RegistryHost, parse_host, scheme_for

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient

    from ecrctl.core.login.targets import RegistryToken, TokenRequest

Login = tuple[str, str]  # (username, password)


class SideClients(Protocol):
    """One side's AWS clients (``session.Clients`` for the side's profile and region)."""

    def ecr(self) -> ECRClient: ...

    def client(self, service: str) -> Any: ...


def _no_profile(host: str) -> str | None:
    return None


def _docker_login(host: str) -> Login | None:
    """The docker config's login for ``host`` (read only when the registry asks for one)."""
    from ecrctl.core.copy.credentials import docker_credentials

    return docker_credentials(host)


@dataclass(frozen=True)
class CopyAccess:
    """What only the caller can make, as callbacks.

    ``fetch_tokens``: one ``TokenRequest`` -> its registry tokens (``ecrctl.tokens.fetch``);
    ``clients``: (profile, region) -> that side's AWS clients; ``profile`` and ``region``: the
    command line's own (a side without a profile of its own uses them); ``profile_for``: the
    profile config.toml names for a registry host; ``docker_credentials``: the docker config's
    login for a registry that is not ECR."""

    fetch_tokens: Callable[[TokenRequest], Sequence[RegistryToken]]
    clients: Callable[[str | None, str], SideClients]
    profile: str | None = None
    region: str | None = None
    profile_for: Callable[[str], str | None] = _no_profile
    docker_credentials: Callable[[str], Login | None] = _docker_login
    # An emulator's registry (the sandbox's 127.0.0.1:PORT, on its ECR endpoint) is the profile's
    # own ECR registry: ``emulator_host`` names it, ``emulated`` gives its account and region.
    emulator_host: str | None = None
    # The registry client's retry policy for a side's profile (None: the policy's defaults).
    retry: Callable[[str | None], RetryPolicy] | None = None
    emulated: Callable[[str | None, str], RegistryHost] | None = None

    def login(self, host: str | None, profile: str | None, region: str | None) -> tuple[str, Login]:
        """An ECR login for ``host`` (None: the profile's own registry) and the host it is for."""
        from ecrctl.core.login.targets import TokenRequest

        parsed = parse_host(host) if host else None
        request = TokenRequest(
            profile=profile,
            region=parsed.region if parsed else region,
            registry_ids=(parsed.account,) if parsed else (),
            hosts={parsed.account: host} if parsed and host else {},
        )
        token = self.fetch_tokens(request)[0]
        return token.host, (token.username, token.password)


@dataclass
class Side:
    name: str  # source | destination
    ref: Reference
    profile: str | None
    registry: ImageStore  # a registry, or a local end (an OCI layout, a docker archive)
    ecr: Any = None  # the ECR API client, made on first use by api()
    account: str | None = None  # the registry's account: set for an ECR side (not ECR Public)
    clients: SideClients | None = None  # the side's AWS clients

    def api(self) -> ECRClient:
        """The ECR API client (a re-run that finds the copy complete never needs one)."""
        if self.ecr is None:
            if self.clients is None:
                raise ValueError(f"the {self.name} {self.ref.host} is not an ECR registry")
            self.ecr = self.clients.ecr()
        client: ECRClient = self.ecr
        return client

    def caller_account(self) -> str:
        """The account of the side's credentials (STS GetCallerIdentity)."""
        if self.clients is None:
            raise ValueError(f"the {self.name} {self.ref.host} has no AWS credentials")
        return str(self.clients.client("sts").get_caller_identity()["Account"])


def open_side(
    access: CopyAccess, name: str, ref: Reference, profile: str | None, insecure: frozenset[str]
) -> Side:
    """One end of the copy. ``profile``: --from-profile / --to-profile (None: the one
    config.toml names for the host, else the command line's)."""
    if profile is None and ref.host:
        profile = access.profile_for(ref.host)
    profile = profile or access.profile
    who = f" (profile {profile})" if profile and ref.is_ecr else ""
    credentials: Callable[[], Login | None]
    own = ref.host is None or ref.host == access.emulator_host
    if own:  # the profile's own registry: the token names its host
        token_host, login = access.login(None, profile, access.region)
        host = ref.host or token_host
        ref = ref.with_host(host)
        credentials = lambda: login  # noqa: E731
    elif ref.registry is not None:
        host = str(ref.host)
        credentials = lambda: access.login(host, profile, None)[1]  # noqa: E731
    else:
        host = str(ref.host)
        credentials = lambda: access.docker_credentials(host)  # noqa: E731
    registry = Registry(
        host,
        scheme=scheme_for(host, insecure),
        credentials=credentials,
        label=f"{name} {host}{who}",
        retry=access.retry(profile) if access.retry is not None else None,
    )
    side = Side(name, ref, profile, registry)
    parsed = ref.registry
    if parsed is None and own and access.emulated is not None and host != PUBLIC_ECR:
        parsed = access.emulated(profile, host)
    if parsed is not None and host != PUBLIC_ECR:
        side.account, side.clients = parsed.account, access.clients(profile, parsed.region)
    return side


def open_end_side(
    access: CopyAccess,
    name: str,
    ref: Reference,
    store: ImageStore | None,
    profile: str | None,
    insecure: frozenset[str],
) -> Side:
    """A registry side (``open_side``), or a local end's opened store (``ends.open_end``)."""
    if store is None:
        return open_side(access, name, ref, profile, insecure)
    return Side(name, ref, None, store)
