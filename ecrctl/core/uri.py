"""Full image URIs: from a pasted URI as is, else from the registry id and region.

On an emulator (an endpoint URL that is not AWS's) the registry may live elsewhere than ECR's
``ACCOUNT.dkr.ecr.REGION.amazonaws.com``: the sandbox serves it on its own ``127.0.0.1:PORT``.
There the host GetAuthorizationToken reports (``proxyEndpoint``) is trusted, as docker would
be told to use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from ecrctl.core.refs import ImageRef, RegistryHost, image_uri, parse_host, registry_host

AWS_DOMAINS = ("amazonaws.com", "amazonaws.com.cn", "sc2s.sgov.gov", "c2s.ic.gov", "api.aws")


def resolve_host(
    ref: ImageRef,
    *,
    registry_id: str | None,
    region: Callable[[], str],
    account: Callable[[], str],
    reported: Callable[[], str | None] | None = None,
) -> RegistryHost:
    """The registry a reference lives in; region and account are asked for only if needed,
    and ``reported()`` (an emulator's own registry host, or None) only for a bare name."""
    if ref.registry is not None:
        return ref.registry
    host = registry_host(registry_id or account(), region())
    other = reported() if reported is not None else None
    return replace(host, reported=other) if other else host


def is_aws_endpoint(url: str) -> bool:
    """Whether an API endpoint is AWS's own (VPC endpoints included), not an emulator."""
    name = (urlsplit(url).hostname or "").lower()
    return any(name == d or name.endswith("." + d) for d in AWS_DOMAINS)


def reported_host(ecr: Any, registry_id: str | None) -> str | None:
    """The registry host an emulator's GetAuthorizationToken names (``proxyEndpoint``) when it is
    not ECR's form; None on AWS itself (its endpoint is not asked) or for ECR's form."""
    if is_aws_endpoint(str(ecr.meta.endpoint_url)):
        return None
    ids = {"registryIds": [registry_id]} if registry_id else {}
    for data in ecr.get_authorization_token(**ids).get("authorizationData") or []:
        endpoint = str(data.get("proxyEndpoint") or "")
        host = urlsplit(endpoint if "//" in endpoint else f"//{endpoint}").netloc
        if host and parse_host(host) is None:
            return host
    return None


def full_uri(ref: ImageRef, host: RegistryHost) -> str:
    return image_uri(host, ref.repository, tag=ref.tag, digest=ref.digest)
