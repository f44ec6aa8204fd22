"""Moved to ``ecrctl.sandbox.emulator``; kept so existing imports work."""

from ecrctl.sandbox.emulator import (
    SANDBOX_ACCOUNT,
    SANDBOX_REGION,
    Emulator,
    free_port,
    running_emulator,
)

__all__ = ["SANDBOX_ACCOUNT", "SANDBOX_REGION", "Emulator", "free_port", "running_emulator"]
