"""Full image URIs: from a pasted URI as is, else from the registry id and region."""

from __future__ import annotations

from collections.abc import Callable

from ecrctl.core.refs import ImageRef, RegistryHost, image_uri, registry_host


def resolve_host(
    ref: ImageRef, *, registry_id: str | None, region: Callable[[], str], account: Callable[[], str]
) -> RegistryHost:
    """The registry a reference lives in; region and account are asked for only if needed."""
    if ref.registry is not None:
        return ref.registry
    return registry_host(registry_id or account(), region())


def full_uri(ref: ImageRef, host: RegistryHost) -> str:
    return image_uri(host, ref.repository, tag=ref.tag, digest=ref.digest)
