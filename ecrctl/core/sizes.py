"""Sizes for people, on their own: ``copy`` and ``sync`` print them and need nothing else of
models.py, whose five dataclasses and TypedDicts cost ~4 ms of every start-up."""

from __future__ import annotations


def human_size(size: int | None) -> str:
    """``1.2 MB``: decimal units, as docker and the ECR console show sizes."""
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"
