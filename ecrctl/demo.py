"""Moved to ``ecrctl.sandbox.demo``; kept so existing imports work."""

from ecrctl.sandbox.demo import STEPS, Step, run_demo

__all__ = ["STEPS", "Step", "run_demo"]
