"""What a copy hands a store (store.py) to put one blob there: one value, so that the registry,
the OCI layout and the archive writer each name it once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecrctl.core.distribution.resume import UploadStates


@dataclass(frozen=True)
class BlobPut:
    """One blob a copy puts into a store: ``open_source(offset)`` reads it from that byte on,
    ``progress(n)`` hears of each n bytes moved; ``chunk_size`` and ``states`` (the saved upload
    sessions, resume.py) matter to a registry only."""

    repository: str
    digest: str
    size: int
    open_source: Callable[[int], Any]
    progress: Callable[[int], None]
    chunk_size: int | None = None
    states: UploadStates | None = None
