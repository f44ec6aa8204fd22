"""``ecrctl login status``: the ECR registries a docker config knows and when their logins end."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.login.cache import TokenCache
from ecrctl.core.login.dockerconfig import HELPER_NAME, ConfigEntry
from ecrctl.core.login.targets import PUBLIC_HOST
from ecrctl.core.models import iso
from ecrctl.core.names import parse_host


@dataclass(frozen=True)
class RegistryStatus:
    host: str
    store: str
    expires_at: datetime | None
    state: str  # valid, expired, on demand, unknown

    def to_json(self) -> JsonObject:
        return {
            "registry": self.host,
            "store": self.store,
            "expiresAt": iso(self.expires_at),
            "state": self.state,
        }


def password_expiry(password: str) -> datetime | None:
    """ECR passwords are base64 JSON carrying an ``expiration`` (epoch seconds); else None."""
    with contextlib.suppress(ValueError, UnicodeDecodeError):
        padded = password + "=" * (-len(password) % 4)
        data = json.loads(base64.b64decode(padded).decode("utf-8"))
        if isinstance(data, dict) and isinstance(data.get("expiration"), int | float):
            return datetime.fromtimestamp(data["expiration"], UTC)
    return None


def is_ecr_host(host: str) -> bool:
    return host == PUBLIC_HOST or parse_host(host) is not None


def registry_status(
    entries: Sequence[ConfigEntry], cache: TokenCache, *, now: datetime
) -> list[RegistryStatus]:
    result: list[RegistryStatus] = []
    for entry in entries:
        if not is_ecr_host(entry.host):
            continue
        cached = cache.for_registry(entry.host)
        expires: datetime | None = None
        if entry.source == "auths":
            store = "auths"
            if entry.secret:
                matching = [t for t in cached if t.secret == entry.secret]
                if matching:
                    expires = datetime.fromtimestamp(max(t.expires_at for t in matching), UTC)
                else:
                    expires = password_expiry(entry.secret)
        else:
            store = f"{entry.source} {entry.helper}"
            if cached:
                expires = datetime.fromtimestamp(max(t.expires_at for t in cached), UTC)
        if entry.helper == HELPER_NAME and entry.source == "credHelpers":
            state = "valid" if expires and expires > now else "on demand"
        elif expires is None:
            state = "unknown"
        else:
            state = "valid" if expires > now else "expired"
        result.append(RegistryStatus(entry.host, store, expires, state))
    return result
