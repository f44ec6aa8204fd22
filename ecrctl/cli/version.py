"""The version line: one place writes it (the fast path in entry.py and the root option)."""

from __future__ import annotations


def print_version() -> None:
    from ecrctl import __version__

    print(f"ecrctl {__version__}")
