"""What a login says on stderr, for one registry and for every profile's at once, and the
token cache's warnings (login, login status, logout)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecrctl.cli.common import say

if TYPE_CHECKING:
    from ecrctl.core.login.cache import TokenCache
    from ecrctl.core.login.login import RegistryLogin
    from ecrctl.core.login.targets import RegistryToken


def login_line(login: RegistryLogin) -> str:
    """``HOST: auths in ~/.docker/config.json; token expires ... (in 11h59m)``."""
    from ecrctl.core.models import iso

    return (
        f"{login.host}: {login.store} in {login.config_path}; token expires "
        f"{iso(login.expires_at)} (in {expires_in(login.token)})"
    )


def expires_in(token: RegistryToken) -> str:
    from datetime import UTC, datetime

    left = token.expires_at - datetime.now(UTC)
    hours, rest = divmod(int(left.total_seconds()), 3600)
    return f"{hours}h{rest // 60:02d}m"


def token_cache() -> TokenCache:
    """The token cache, whose warnings (an unsafe or unwritable directory) are said on stderr."""
    from ecrctl.core.login.cache import TokenCache

    return TokenCache(warn=lambda message: say(f"ecrctl: warning: {message}"))
