"""Whether an ECR registry mounts blobs across its repositories: the account setting
BLOB_MOUNTING. Distribution registries always mount; ECR only where the setting is ENABLED, and
a mount it refuses costs a round trip per blob before the upload that follows anyway."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ecrctl.core.registry.settings import BLOB_MOUNTING

if TYPE_CHECKING:
    from ecrctl.core.ecr.api import EcrRegistry

ENABLED, DISABLED, UNKNOWN = "ENABLED", "DISABLED", "unknown"


@dataclass(frozen=True)
class Mounting:
    state: str  # ENABLED | DISABLED | unknown
    reason: str = ""  # why unknown

    @property
    def attempt(self) -> bool:
        """Try mounts unless the registry is known not to do them."""
        return self.state != DISABLED


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str((response.get("Error") or {}).get("Code") or type(error).__name__)


def blob_mounting(
    registry: EcrRegistry, registry_account: str | None, caller_account: Any
) -> Mounting:
    """BLOB_MOUNTING of the registry ``registry_account``. GetAccountSetting reads the caller's
    own account, so DISABLED counts only when ``caller_account()`` (STS, asked only then) is the
    registry's; a setting that cannot be read (AccessDenied) is unknown: mounts are tried."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        value = str(registry.account_setting(BLOB_MOUNTING) or "")
    except ClientError as error:
        return Mounting(UNKNOWN, f"GetAccountSetting {BLOB_MOUNTING}: {_code(error)}")
    if value != DISABLED:
        return Mounting(ENABLED if value == ENABLED else UNKNOWN)
    if registry_account is not None:
        try:
            mine = caller_account()
        except (ClientError, BotoCoreError) as error:
            return Mounting(UNKNOWN, f"GetCallerIdentity: {_code(error)}")
        if mine != registry_account:
            return Mounting(UNKNOWN, f"the setting read is account {mine}'s, not the registry's")
    return Mounting(DISABLED)
