"""What a copy reads from and writes to: a registry (client.py), an OCI image layout directory
(layout.py) or a ``docker save`` archive (archive.py) answer the same calls, so the copy
(core/copy) moves an image between any two of them unchanged."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ecrctl.core.distribution.answers import Descriptor
    from ecrctl.core.distribution.blobput import BlobPut
    from ecrctl.core.distribution.client import Manifest


class ImageStore(Protocol):
    """A registry host's distribution API as the copy uses it (``repository`` is ignored by a
    store that holds one set of images, as a layout or an archive does)."""

    host: str
    label: str

    def grant(self, repository: str, *actions: str) -> None: ...

    def get_manifest(self, repository: str, reference: str) -> Manifest: ...

    def head_manifest(self, repository: str, reference: str) -> str | None: ...

    def put_manifest(self, repository: str, reference: str, manifest: Manifest) -> str: ...

    def referrers(
        self, repository: str, digest: str
    ) -> tuple[list[Descriptor], Manifest | None]: ...

    def head_blob(self, repository: str, digest: str) -> bool: ...

    def open_blob(self, repository: str, digest: str, offset: int = 0) -> Any: ...

    def mount_blob(self, repository: str, digest: str, source_repository: str) -> bool: ...

    def upload_blob(self, put: BlobPut) -> int:
        """Put ``put``'s blob; returns the offset a saved upload session let it resume from."""
        ...
