"""Natural version order for tags: 1.0.9 < 1.0.10, v2 < v10, 1.0.0-rc1 < 1.0.0."""

from __future__ import annotations

import re

_PARTS = re.compile(r"(\d+)")
_PRERELEASE = re.compile(r"[-~][A-Za-z]")

# Ranks keep every key element comparable: (rank, number, text). Numbers sort before
# words, as in `sort -V`; a shorter version before a longer one with the same prefix.
_PRE, _END, _NUMBER, _TEXT = 0, 1, 2, 3

VersionKey = tuple[tuple[int, int, str], ...]


def version_key(tag: str) -> VersionKey:
    key: list[tuple[int, int, str]] = []
    for index, part in enumerate(_PARTS.split(tag)):
        if not part:
            continue
        if index % 2:
            key.append((_NUMBER, int(part), part))
        elif _PRERELEASE.match(part) and key:
            # "-rc1" after a number is a pre-release: it comes before the release itself.
            key.append((_PRE, 0, part.lower()))
        else:
            key.append((_TEXT, 0, part.lower()))
    key.append((_END, 0, ""))
    return tuple(key)
