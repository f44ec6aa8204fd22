"""ECR's manifest-list rule for lifecycle policies ("Lifecycle policy rules", ECR user guide):
"if an image is referenced by a manifest list, it cannot be expired or archived without the
manifest list being deleted or archived first".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from ecrctl.core.lifecycle.model import ImageRecord


def held_by_indexes(
    images: Sequence[ImageRecord], acted: set[int], references: Mapping[str, Collection[str]]
) -> tuple[dict[int, tuple[str, ...]], dict[int, tuple[str, ...]]]:
    """Acted-on images that an index still references: (kept by an index that stays,
    acted on later, after every index that references them), each with those indexes."""
    if not references or not acted:
        return {}, {}
    position = {image.digest: k for k, image in enumerate(images)}
    parents: dict[int, set[str]] = {}
    for index, children in references.items():
        for child in children:
            k = position.get(child)
            if k is not None and k in acted and child != index:
                parents.setdefault(k, set()).add(index)
    if not parents:
        return {}, {}
    going = set(acted)

    def stays(digest: str) -> bool:
        k = position.get(digest)
        return k is None or k not in going

    # A kept index keeps what it references; an index kept that way keeps its own in turn.
    held: set[int] = set()
    while True:
        newly = {k for k in parents.keys() & going if any(map(stays, parents[k]))}
        if not newly:
            break
        held |= newly
        going -= newly
    keepers = {k: tuple(sorted(d for d in parents[k] if stays(d))) for k in held}
    waiting = {k: tuple(sorted(parents[k])) for k in parents.keys() & going}
    return keepers, waiting
