"""Files that hold a secret or that ecrctl trusts: trust nothing on disk.

- A private directory is a real directory (not a symbolic link), owned by the user running
  ecrctl, writable by nobody else. ``ensure_private_dir`` creates one (mode 0700) and checks it;
  ``check_private_dir`` says why one may not be used.
- A private file is read with ``O_NOFOLLOW`` and used only if it is a regular file owned by the
  user and writable by nobody else (``open_private_for_read``, ``read_private``): another user
  cannot plant a cached token or a cached help text. ``open_private`` says why one may not be.
- A file that people keep elsewhere on purpose (the docker config, linked by a dotfile manager)
  may be reached through symbolic links, each the user's own (``follow_own_links``); what they
  lead to passes the same checks.
- ``write_private`` writes whole or not at all (a temporary file of mode 0600, fsync, rename)
  and removes the temporaries that a killed ecrctl left beside the target (they hold secrets).

Stdlib only, and only ``os`` at import: the credential helper's hot path imports this.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: importing typing costs the helper's hot path time
if TYPE_CHECKING:
    from typing import Any, BinaryIO

_UNSAFE_MODE = 0o022  # group- or world-writable
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a planted FIFO must not hang the reader
# Temporaries left by a writer that died before it renamed them; without a pid in the name
# (written by an older ecrctl) they are removed once they are this old.
_ORPHAN_AGE_SECONDS = 600
TEMPORARY_PREFIX = ".tmp-"  # write_private's temporaries: {prefix}{pid}-XXXX.tmp
_MAX_LINKS = 40  # as Linux's own limit on links followed in one path


class UnsafePath(Exception):
    """A path ecrctl will not use; str() says why, naming the path."""


def _owner_problem(path: str, uid: int, mode: int) -> str | None:
    """Why another user could change what ``path`` holds (with the fix), or None."""
    if uid != os.geteuid():
        return (
            f"{path} is owned by uid {uid}, not by you (uid {os.geteuid()}): "
            "use one of your own, or chown it to yourself"
        )
    if mode & _UNSAFE_MODE:
        return f"{path} is writable by other users (mode {mode & 0o777:04o}): chmod go-w {path}"
    return None


def follow_own_links(path: str) -> str:
    """``path`` with the symbolic links at its end followed, as long as each link is the user's
    own (a dotfile manager's link in one's home); ``path`` itself when it is no link or absent.
    Raises UnsafePath for a link another user owns (who could point it anywhere) or a loop.
    What the links lead to is still to be checked (``check_private_dir``, ``open_private``)."""
    import stat

    current = path
    for _ in range(_MAX_LINKS):
        try:
            info = os.lstat(current)
        except OSError:
            return current  # absent (or unreachable): the caller's open says so
        if not stat.S_ISLNK(info.st_mode):
            return current
        if info.st_uid != os.geteuid():
            raise UnsafePath(
                f"{current} is a symbolic link owned by uid {info.st_uid}, not by you: "
                "ecrctl follows only your own links; remove it"
            )
        # Joined, not normalised: the kernel resolves ".." after a linked directory correctly.
        current = os.path.join(os.path.dirname(current), os.readlink(current))
    raise UnsafePath(f"{path}: too many levels of symbolic links")


def check_private_dir(path: str, *, levels: int = 1) -> str | None:
    """None when ``path`` (and its ``levels - 1`` nearest parents) may hold private files;
    else why not. A directory that does not exist is reported too."""
    import stat

    current = os.path.abspath(path)
    for _ in range(max(levels, 1)):
        try:
            info = os.lstat(current)
        except OSError as error:
            return f"{current}: {error.strerror}"
        if stat.S_ISLNK(info.st_mode):
            return f"{current} is a symbolic link"
        if not stat.S_ISDIR(info.st_mode):
            return f"{current} is not a directory"
        problem = _owner_problem(current, info.st_uid, info.st_mode)
        if problem:
            return problem
        current = os.path.dirname(current)
    return None


def ensure_private_dir(path: str, *, levels: int = 1) -> None:
    """Create ``path`` and its ``levels - 1`` nearest parents as needed (mode 0700), then check
    them. Raises UnsafePath (or OSError when the path cannot be made at all)."""
    path = os.path.abspath(path)
    chain = [path]
    for _ in range(max(levels, 1) - 1):
        chain.append(os.path.dirname(chain[-1]))
    outer = os.path.dirname(chain[-1])
    if outer:
        os.makedirs(outer, exist_ok=True)  # not ours (~/.cache): default mode
    for directory in reversed(chain):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            continue  # already there (or made by a racing ecrctl): checked below
    problem = check_private_dir(path, levels=levels)
    if problem:
        raise UnsafePath(problem)


def open_private(path: str) -> BinaryIO:
    """The file opened for reading (binary) if it may be trusted: a regular file (never
    through a symbolic link, never blocking on a FIFO), owned by the user, writable by nobody
    else. Raises UnsafePath saying why not, FileNotFoundError when absent, OSError otherwise."""
    import errno
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC | _NONBLOCK)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UnsafePath(f"{path} is a symbolic link") from None
        raise
    try:
        info = os.fstat(fd)
        problem = _owner_problem(path, info.st_uid, info.st_mode)
        if not stat.S_ISREG(info.st_mode):
            problem = f"{path} is not a regular file (a FIFO, a device or a directory): remove it"
        if problem:
            raise UnsafePath(problem)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def open_private_for_read(path: str, *, dir_levels: int = 0) -> BinaryIO | None:
    """``open_private``, or None when the file is absent or may not be trusted (also when,
    with ``dir_levels``, its directory fails ``check_private_dir``)."""
    if dir_levels and check_private_dir(os.path.dirname(os.path.abspath(path)), levels=dir_levels):
        return None
    try:
        return open_private(path)
    except (UnsafePath, OSError):
        return None


def read_private(path: str, limit: int, *, dir_levels: int = 0) -> bytes | None:
    """At most ``limit`` bytes of a trusted private file; None when absent, untrusted or larger."""
    handle = open_private_for_read(path, dir_levels=dir_levels)
    if handle is None:
        return None
    with handle:
        try:
            data = handle.read(limit + 1)
        except OSError:
            return None
    return data if len(data) <= limit else None


def read_private_object(path: str, limit: int, *, dir_levels: int = 0) -> dict[str, Any] | None:
    """A trusted private file's JSON object; None when absent, untrusted, larger than
    ``limit`` bytes, not JSON, or not an object."""
    import json  # the credential helper parses its cache entry itself

    raw = read_private(path, limit, dir_levels=dir_levels)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def remove_stale_temporaries(directory: str, prefix: str) -> int:
    """Remove ``{prefix}{pid}-*.tmp`` files of ours whose writer is gone; returns how many."""
    import stat
    import time

    try:
        names = os.listdir(directory)
    except OSError:
        return 0
    removed = 0
    me = os.getpid()
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        path = os.path.join(directory, name)
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            continue
        pid_text = name[len(prefix) :].partition("-")[0]
        if pid_text.isdigit():
            pid = int(pid_text)
            if pid == me or _alive(pid):
                continue
        elif time.time() - info.st_mtime < _ORPHAN_AGE_SECONDS:
            continue
        try:
            os.unlink(path)
        except OSError:
            continue
        removed += 1
    return removed


def write_private(
    target: str | os.PathLike[str], text: str, *, prefix: str = TEMPORARY_PREFIX
) -> None:
    """Temporary file (mode 0600) in the target's folder, fsync, then rename over the target.

    A reader sees the old file or the new one, never a part, and never a moment of wider mode.
    The rename replaces a symbolic link planted at ``target``; it never writes through one.
    Temporaries that a killed writer left in the folder are removed first.
    """
    import contextlib
    import tempfile

    directory = os.path.dirname(os.fspath(target)) or "."
    remove_stale_temporaries(directory, prefix)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f"{prefix}{os.getpid()}-", suffix=".tmp")
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
