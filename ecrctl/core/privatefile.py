"""Write a file that holds a secret: whole or not at all, readable by its owner only.

Stdlib only: the credential helper's hot path imports it.
"""

from __future__ import annotations

import contextlib
import os


def write_private(target: str | os.PathLike[str], text: str, *, prefix: str = ".tmp-") -> None:
    """Temporary file (mode 0600) in the target's folder, fsync, then rename over the target.

    A reader sees the old file or the new one, never a part, and never a moment of wider mode.
    """
    import tempfile

    directory = os.path.dirname(os.fspath(target)) or "."
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
