"""botocore's data loader for ecrctl's sessions: service models parsed once per process, and no
scan of every service directory on each model it loads (see ``service_loader``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.loaders import Loader

# One loader for every session of the process (its parsed models are shared).
SHARED_LOADER: dict[str, Loader] = {}


def service_loader(data_path: str | None) -> Loader:
    """botocore's data loader (as ``botocore.loaders.create_loader`` makes it), minus a scan of
    every service directory on each model it loads.

    ``load_service_model`` asks ``name in list_available_services(type_name)``, and botocore
    answers by listing ~420 service directories and their API versions, once per model type:
    ~30 ms of every command. Here the answer to ``in`` comes from the public
    ``list_api_versions`` of the one service; iterating (the names an UnknownServiceError
    lists) still lists them all. Public botocore API only.
    """
    from botocore.exceptions import DataNotFoundError
    from botocore.loaders import Loader

    class AvailableServices:
        def __init__(self, loader: Loader, type_name: str) -> None:
            self.loader, self.type_name = loader, type_name

        def __contains__(self, service_name: object) -> bool:
            if not isinstance(service_name, str):
                return False
            try:
                return bool(self.loader.list_api_versions(service_name, self.type_name))
            except DataNotFoundError:
                return False

        def all(self) -> list[str]:
            return list(Loader.list_available_services(self.loader, self.type_name))

        def __iter__(self) -> Iterator[str]:
            return iter(self.all())

        def __len__(self) -> int:
            return len(self.all())

    class ServiceLoader(Loader):
        # A list in botocore's signature; what botocore does with it is ``in`` and iterating.
        def list_available_services(self, type_name: str) -> Any:
            return AvailableServices(self, type_name)

    paths = [os.path.expanduser(os.path.expandvars(p)) for p in (data_path or "").split(os.pathsep)]
    return ServiceLoader(extra_search_paths=[p for p in paths if p] or None)
