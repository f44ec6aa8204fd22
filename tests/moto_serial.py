"""moto's ECR writes are not thread-safe; ECR's are. Serialize them for concurrent clients.

moto's BatchDeleteImage deletes by index from the list it is iterating, and PutImage deletes a
moved tag the same way: two concurrent requests can delete the wrong image. ecrctl sends
BatchDeleteImage chunks (and PutImage calls) concurrently, as ECR allows, so tests that run it
against moto (in-process or a ThreadedMotoServer in this process) take a lock around them.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

WRITES = ("batch_delete_image", "put_image")


def serialize_moto_ecr_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.ecr.models import ECRBackend

    lock = threading.RLock()
    for name in WRITES:
        original = getattr(ECRBackend, name)

        def locked(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(ECRBackend, name, locked)
