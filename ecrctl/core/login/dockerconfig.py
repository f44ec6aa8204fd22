"""The docker client configuration file, read and written without docker.

``$DOCKER_CONFIG/config.json`` (else ``~/.docker/config.json``). Every change happens under an
exclusive ``fcntl.flock`` on a lock file beside it (many ``ecrctl login`` at once in a CI matrix
each keep their entry), is written to a temporary file with mode 0600 and renamed over the
original, and leaves every key it does not own as it found it. Where the file names a
``credsStore`` or a ``credHelpers`` entry for the host, credentials go to that helper through the
docker SDK's credential-store client instead of into ``auths``.

The file names credential helpers that ecrctl runs and holds passwords, so it is trusted as the
token cache is (``core/privatefile``): its directory and the file must be the user's and
writable by nobody else, or ecrctl refuses them (exit 4, saying what to fix). A symbolic link
(a dotfile manager's, for the directory or the file) is followed when it is the user's own and
leads to a directory and a file that pass the same checks. A FIFO or a device is refused at
once, never waited on.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import fcntl
import json
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecrctl.core.exceptions import ConfigurationError, InvalidInput, Refused
from ecrctl.core.jsonerror import syntax_error
from ecrctl.core.privatefile import (
    UnsafePath,
    check_private_dir,
    ensure_private_dir,
    follow_own_links,
    open_private,
    remove_stale_temporaries,
    write_private,
)

HELPER_NAME = "ecrctl"
_TEMPORARY_PREFIX = ".config-"  # write_private's temporaries beside the file
# Docker's own config is a few kilobytes; a file this large is not one (and is not read whole).
MAX_CONFIG_BYTES = 16 * 2**20


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    directory = env.get("DOCKER_CONFIG") or os.path.join(env.get("HOME") or "~", ".docker")
    return Path(os.path.expanduser(directory)) / "config.json"


@dataclass(frozen=True)
class StoredLogin:
    """Where a login went: ``auths`` in the file, or a credential helper."""

    host: str
    store: str  # "auths" (the file itself), "credsStore NAME", "credHelpers NAME"

    @property
    def helper(self) -> str | None:
        return self.store.split(" ", 1)[1] if " " in self.store else None


@dataclass(frozen=True)
class ConfigEntry:
    """A registry the config file knows about, and how."""

    host: str
    source: str  # "auths", "credHelpers", "credsStore"
    helper: str | None = None
    secret: str | None = None  # from auths only; never shown


def _parse(path: Path, text: str) -> dict[str, Any]:
    """The file's object; a file that is not one is bad input (exit 2), named with the line."""
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        where = syntax_error(text, error)
        raise InvalidInput(
            f"{path}: line {where.line}, column {where.column}: not valid JSON "
            f"({where.message}); fix or move it"
        ) from None
    except (ValueError, RecursionError) as error:  # a 5,000-digit number, 100,000 brackets
        detail = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise InvalidInput(f"{path}: not valid JSON ({detail}); fix or move it") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: line 1: not a JSON object; fix or move it")
    return data


def _credential_store(name: str) -> Any:
    import warnings

    from docker.credentials import Store

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a missing helper is reported when it is used
        return Store(name)


def _untrusted(problem: object) -> ConfigurationError:
    return ConfigurationError(f"cannot use the docker config: {problem}")


def _store_error(name: str, error: Exception) -> Refused:
    detail = " ".join(str(error).split()) or type(error).__name__
    return Refused(f"credential helper docker-credential-{name} failed: {detail}")


class DockerConfig:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_path()

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def trusted_file(self, *, create: bool = False) -> Path | None:
        """Where the file is (past the user's own links), once its directory and that place
        pass the checks; None when the directory does not exist (``create`` makes it, 0700).
        Raises ConfigurationError saying what to fix."""
        try:
            directory = follow_own_links(str(self.path.parent))
            if create:
                ensure_private_dir(directory)
            elif not os.path.lexists(directory):
                return None
            elif problem := check_private_dir(directory):
                raise _untrusted(problem)
            linked = os.path.join(directory, self.path.name)
            target = follow_own_links(linked)
            if target != linked and (problem := check_private_dir(os.path.dirname(target))):
                raise _untrusted(problem)
        except UnsafePath as error:
            raise _untrusted(error) from None
        except OSError as error:
            raise ConfigurationError(
                f"cannot use {error.filename or self.path.parent}: {error.strerror}"
            ) from None
        return Path(target)

    def read(self) -> dict[str, Any]:
        target = self.trusted_file()
        return {} if target is None else self._read(target)

    def _read(self, target: Path) -> dict[str, Any]:
        try:
            with open_private(str(target)) as handle:
                raw = handle.read(MAX_CONFIG_BYTES + 1)
        except FileNotFoundError:
            return {}
        except UnsafePath as error:
            raise _untrusted(error) from None
        except OSError as error:
            raise ConfigurationError(f"cannot read {self.path}: {error.strerror}") from None
        if len(raw) > MAX_CONFIG_BYTES:
            raise InvalidInput(
                f"{self.path}: more than {MAX_CONFIG_BYTES // 2**20} MiB; "
                "not a docker config: fix or move it"
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(f"{self.path}: not UTF-8 text; fix or move it") from None
        return _parse(self.path, text)

    @contextlib.contextmanager
    def editing(self) -> Iterator[dict[str, Any]]:
        """The parsed file, locked; whatever the block leaves in it is written back atomically."""
        target = self.trusted_file(create=True)
        assert target is not None  # made above
        with open(self._open_lock()) as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                # What a killed login left holds a password: gone even when nothing is written.
                remove_stale_temporaries(str(target.parent), _TEMPORARY_PREFIX)
                data = self._read(target)
                before = json.dumps(data, sort_keys=True)
                yield data
                if json.dumps(data, sort_keys=True) != before:
                    self._write(target, data)
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _open_lock(self) -> int:
        """The lock file, never through a symbolic link (one planted there would make ecrctl
        create or truncate a file of the attacker's choosing)."""
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
        try:
            fd = os.open(self.lock_path, flags, 0o600)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise InvalidInput(
                    f"{self.lock_path} is a symbolic link; ecrctl does not follow it: remove it"
                ) from None
            raise ConfigurationError(f"cannot lock {self.lock_path}: {error.strerror}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise InvalidInput(f"{self.lock_path} is not a regular file: remove it")
        return fd

    def _write(self, target: Path, data: dict[str, Any]) -> None:
        # A symlinked config (dotfiles) is updated where it points, not replaced by a file.
        write_private(target, json.dumps(data, indent="\t") + "\n", prefix=_TEMPORARY_PREFIX)

    def store(self, host: str, username: str, secret: str) -> StoredLogin:
        """Log a registry in: through its helper when the file names one, else in ``auths``."""
        with self.editing() as data:
            helper = _helper_for(data, host)
            if helper is not None:
                source = "credHelpers" if host in _dict(data.get("credHelpers")) else "credsStore"
                if helper != HELPER_NAME:  # ecrctl's own helper serves tokens from its cache
                    try:
                        _credential_store(helper).store(host, username, secret)
                    except Exception as error:
                        raise _store_error(helper, error) from None
                return StoredLogin(host, f"{source} {helper}")
            auths = data.setdefault("auths", {})
            if not isinstance(auths, dict):
                raise InvalidInput(f"{self.path}: 'auths' is not a JSON object; fix or move it")
            entry = _dict(auths.get(host))
            encoded = base64.b64encode(f"{username}:{secret}".encode()).decode()
            auths[host] = {**entry, "auth": encoded}
            # An identity token would be preferred by docker over the new password.
            auths[host].pop("identitytoken", None)
            return StoredLogin(host, "auths")

    def use_helper(self, host: str, helper: str = HELPER_NAME) -> None:
        """``credHelpers[host] = helper``; a stale password for the host in ``auths`` goes."""
        with self.editing() as data:
            helpers = data.setdefault("credHelpers", {})
            if not isinstance(helpers, dict):
                raise InvalidInput(
                    f"{self.path}: 'credHelpers' is not a JSON object; fix or move it"
                )
            helpers[host] = helper
            auths = _dict(data.get("auths"))
            if isinstance(auths.get(host), dict):
                auths[host].pop("auth", None)
                if not auths[host]:
                    del auths[host]

    def erase(self, host: str) -> list[str]:
        """Remove what a login wrote for ``host``; returns what was removed (for messages)."""
        removed: list[str] = []
        with self.editing() as data:
            auths = _dict(data.get("auths"))
            if host in auths:
                del auths[host]
                removed.append("auths")
            helpers = _dict(data.get("credHelpers"))
            if helpers.get(host) == HELPER_NAME:
                del helpers[host]
                removed.append(f"credHelpers {HELPER_NAME}")
                if not helpers:
                    del data["credHelpers"]
            helper = _helper_for(data, host)
            if helper is not None and helper != HELPER_NAME:
                try:
                    _credential_store(helper).erase(host)
                    removed.append(f"docker-credential-{helper}")
                except Exception as error:
                    if "not found" not in str(error).lower():
                        raise _store_error(helper, error) from None
        return removed

    def entries(self) -> list[ConfigEntry]:
        """Registries in ``auths`` and ``credHelpers``, and those a ``credsStore`` lists."""
        data = self.read()
        found: dict[str, ConfigEntry] = {}
        for host, value in _dict(data.get("auths")).items():
            secret = None
            if isinstance(value, dict) and isinstance(value.get("auth"), str):
                with contextlib.suppress(ValueError):
                    decoded = base64.b64decode(value["auth"]).decode("utf-8", "replace")
                    secret = decoded.partition(":")[2] or None
            found[host] = ConfigEntry(host, "auths", secret=secret)
        store = data.get("credsStore")
        if isinstance(store, str) and store:
            try:
                listed = _credential_store(store).list()
            except Exception:
                listed = {}
            for host in _dict(listed):
                found.setdefault(host, ConfigEntry(host, "credsStore", helper=store))
            for host, entry in list(found.items()):
                if entry.secret is None and entry.source == "auths":
                    found[host] = ConfigEntry(host, "credsStore", helper=store)
        for host, helper in _dict(data.get("credHelpers")).items():
            found[host] = ConfigEntry(host, "credHelpers", helper=str(helper))
        return [found[h] for h in sorted(found)]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _helper_for(data: Mapping[str, Any], host: str) -> str | None:
    helpers = _dict(data.get("credHelpers"))
    if isinstance(helpers.get(host), str) and helpers[host]:
        return str(helpers[host])
    store = data.get("credsStore")
    return store if isinstance(store, str) and store else None
