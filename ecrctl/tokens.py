"""Registry tokens from AWS, for ``ecrctl login`` and ``docker-credential-ecrctl`` alike.

Builds the clients a registry needs (its profile, its region, the FIPS endpoint for an
``ecr-fips`` host) through ``session.Clients`` and asks ECR or ECR Public for tokens. Imported
only on a cache miss: boto3 comes in through here.
"""

from __future__ import annotations

import os
from dataclasses import replace

from ecrctl.core.login.cache import remember as remember  # kept here for its callers
from ecrctl.core.login.targets import PUBLIC_REGION, RegistryToken, TokenRequest
from ecrctl.core.names import dns_suffix
from ecrctl.session import Clients, Settings


def registry_clients(base: Settings, request: TokenRequest) -> Clients:
    endpoint = base.endpoint_url
    overridden = os.environ.get("AWS_ENDPOINT_URL_ECR") or os.environ.get("AWS_ENDPOINT_URL")
    if request.fips and request.region and not endpoint and not overridden:
        endpoint = f"https://ecr-fips.{request.region}.{dns_suffix(request.region)}"
    settings = replace(
        base,
        profile=request.profile,
        region=request.region or base.region,
        endpoint_url=endpoint,
    )
    return Clients(settings)


def fetch(base: Settings, request: TokenRequest) -> list[RegistryToken]:
    """One GetAuthorizationToken call (ECR, or ECR Public in us-east-1)."""
    from ecrctl.core.ecr.api import EcrRegistry
    from ecrctl.core.login.targets import fetch_public_token, fetch_tokens

    clients = registry_clients(base, request)
    if request.public:
        return [fetch_public_token(clients.client("ecr-public", PUBLIC_REGION))]
    return fetch_tokens(EcrRegistry(clients.ecr()), request)
