"""Where AWS's remote preview and the local evaluation disagree, image by image.

Either side may be the one that is wrong: AWS's preview is what AWS says; the local evaluation
applies the documented rules, the manifest-list rule included. Both are shown, never merged.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.lifecycle.evaluate import Decision, Evaluation


@dataclass(frozen=True)
class Difference:
    digest: str
    tags: tuple[str, ...]
    remote: str  # expire, transition, keep (AWS does not list it)
    local: str  # expire, transition, keep, expire-later, transition-later
    referenced_by: tuple[str, ...] = ()

    def to_json(self) -> JsonObject:
        return {
            "digest": self.digest,
            "tags": list(self.tags),
            "remote": self.remote,
            "local": self.local,
            "referencedBy": list(self.referenced_by),
        }


def _local(decision: Decision) -> str:
    return decision.action + ("-later" if decision.later else "")


def differences(remote: list[Decision], local: Evaluation) -> list[Difference]:
    """Each image whose outcome differs, in the local order (acted on now, later, kept), then
    the images AWS lists that the local evaluation does not know."""
    theirs = {d.image.digest: d for d in remote}
    found: list[Difference] = []
    seen: set[str] = set()
    for decision in [*local.affected, *local.later, *local.kept]:
        digest = decision.image.digest
        seen.add(digest)
        other = theirs.get(digest)
        remote_action = other.action if other is not None else "keep"
        if remote_action != _local(decision):
            found.append(
                Difference(
                    digest, decision.image.tags, remote_action, _local(decision), decision.held_by
                )
            )
    for digest, other in theirs.items():
        if digest not in seen:
            found.append(Difference(digest, other.image.tags, other.action, "unknown"))
    return found
