"""Remove tags and images in bulk, in an order ECR accepts.

The plan is made from DescribeImages (every page) and, when the repository holds multi-arch
indexes, from the index manifests (BatchGetImage, 100 at a time): an index is deleted before the
images it references, and an image still referenced by an index that stays is kept. The removal
is BatchDeleteImage in chunks of at most 100 ids, the chunks of one phase sent concurrently.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from ecrctl.core.ecr.api import MAX_BATCH_IDS, EcrRegistry, chunked
from ecrctl.core.ecr.notfound import looked_in
from ecrctl.core.ecr.pacing import describe_error, error_code, is_aws_error, maybe_applied
from ecrctl.core.exceptions import InvalidInput, NotFound
from ecrctl.core.images.listing import ImageService

# The manifest-reference parsing lives in ecrctl.core.images.manifests (shared with
# lifecycle); the two names are re-exported for the callers that import them from here.
from ecrctl.core.images.manifests import fetch_index_children
from ecrctl.core.images.manifests import index_children as index_children
from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.models import Image
from ecrctl.core.names import INDEX_MEDIA_TYPES as INDEX_MEDIA_TYPES
from ecrctl.core.names import parse_tag_or_digest, validate_repository_name

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ImageIdentifierTypeDef

Kind = Literal["tag", "image"]
Status = Literal["planned", "removed", "failed", "skipped"]
NOT_DONE: frozenset[str] = frozenset({"failed", "skipped"})
# BatchDeleteImage's per-id answer for an id that is not there (any more): after a delete, the id
# is gone, which is what was asked (a lost response makes botocore resend an applied delete).
GONE_CODES = frozenset({"ImageNotFound"})
Progress = Callable[[int, int], object]


@dataclass(frozen=True)
class Removal:
    """One id sent to BatchDeleteImage.

    ``tag``: one tag goes, the image keeps ``remaining_tags``. ``image``: the image is deleted
    with all of its ``tags``.
    """

    kind: Kind
    digest: str
    tags: tuple[str, ...]
    remaining_tags: tuple[str, ...] = ()
    media_type: str | None = None
    phase: int = 0
    status: Status = "planned"
    reason: str | None = None
    # Failed with no answer or a 5xx: ECR may have done it all the same (settled by a read-back).
    uncertain: bool = field(default=False, compare=False, repr=False)

    @property
    def image_id(self) -> ImageIdentifierTypeDef:
        if self.kind == "tag":
            return {"imageTag": self.tags[0]}
        return {"imageDigest": self.digest}

    @property
    def ref(self) -> str:
        return self.tags[0] if self.kind == "tag" else self.digest

    def to_json(self) -> JsonObject:
        return {
            "action": "untag" if self.kind == "tag" else "delete",
            "ref": self.ref,
            "digest": self.digest,
            "tags": list(self.tags),
            "remainingTags": list(self.remaining_tags),
            "mediaType": self.media_type,
            "phase": self.phase,
            "status": self.status,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Kept:
    """A selected image that is not deleted: an index that stays still references it."""

    digest: str
    tags: tuple[str, ...]
    held_by: tuple[str, ...]
    explicit: bool

    @property
    def reason(self) -> str:
        return "still referenced by index " + ", ".join(self.held_by)

    def to_json(self) -> JsonObject:
        return {
            "digest": self.digest,
            "tags": list(self.tags),
            "heldBy": list(self.held_by),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class UntagPlan:
    repository: str
    removals: tuple[Removal, ...]
    kept: tuple[Kept, ...] = ()
    missing: tuple[str, ...] = ()
    dry_run: bool = True
    index_tags: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def tags_removed(self) -> list[Removal]:
        return [r for r in self.removals if r.kind == "tag"]

    @property
    def images_deleted(self) -> list[Removal]:
        return [r for r in self.removals if r.kind == "image"]

    @property
    def failed(self) -> list[Removal]:
        """Removals not done: refused, failed, or not attempted after the network failed."""
        return [r for r in self.removals if r.status in NOT_DONE]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.missing and not any(k.explicit for k in self.kept)

    def to_json(self) -> JsonObject:
        return {
            "repository": self.repository,
            "dryRun": self.dry_run,
            "ok": self.ok,
            "removals": [r.to_json() for r in self.removals],
            "kept": [k.to_json() for k in self.kept],
            "missing": list(self.missing),
        }


def deletion_phases(deleting: set[str], children: dict[str, set[str]]) -> dict[str, int]:
    """Phase of each deleted digest: after every deleted index that references it."""
    parents: dict[str, set[str]] = {d: set() for d in deleting}
    for index, kids in children.items():
        if index in deleting:
            for kid in kids & deleting:
                parents[kid].add(index)
    phases: dict[str, int] = {}

    def phase(digest: str, path: frozenset[str]) -> int:
        if digest not in phases:
            above = [p for p in parents[digest] if p not in path]
            phases[digest] = 1 + max((phase(p, path | {digest}) for p in above), default=-1)
        return phases[digest]

    for digest in deleting:
        phase(digest, frozenset())
    return phases


def hold_referenced(
    deleting: set[str], every: Iterable[str], children: dict[str, set[str]]
) -> dict[str, set[str]]:
    """Images that may not go because an index that stays references them: digest -> indexes.

    Repeated until nothing changes: a kept index keeps what it references in turn.
    """
    held: dict[str, set[str]] = {}
    going = set(deleting)
    every = set(every)
    while True:
        staying = every - going
        newly: dict[str, set[str]] = {}
        for index in staying:
            for kid in children.get(index, set()) & going:
                newly.setdefault(kid, set()).add(index)
        if not newly:
            return held
        for kid, indexes in newly.items():
            held.setdefault(kid, set()).update(indexes)
        going -= set(newly)


@dataclass
class _Selection:
    """What the targets, ``--untagged`` and ``--match`` select in a repository's images."""

    explicit: set[str] = field(default_factory=set)  # digests named by a target
    whole: set[str] = field(default_factory=set)  # digests selected as whole images
    tags: dict[str, set[str]] = field(default_factory=dict)  # digest -> selected tags
    missing: list[str] = field(default_factory=list)  # targets that name nothing


def _select(
    images: list[Image],
    targets: list[str],
    ids: list[ImageIdentifierTypeDef],
    *,
    untagged: bool,
    match: str | None,
) -> _Selection:
    by_digest = {i.digest: i for i in images}
    by_tag = {t: i for i in images for t in i.tags}
    chosen = _Selection()
    for raw, image_id in zip(targets, ids, strict=True):
        digest, tag = image_id.get("imageDigest"), image_id.get("imageTag")
        if digest is not None and digest in by_digest:
            chosen.whole.add(digest)
            chosen.explicit.add(digest)
        elif tag is not None and tag in by_tag:
            chosen.tags.setdefault(by_tag[tag].digest, set()).add(tag)
            chosen.explicit.add(by_tag[tag].digest)
        else:
            chosen.missing.append(raw.strip())
    if untagged:
        chosen.whole.update(i.digest for i in images if not i.tags)
    if match is not None:
        for image in images:
            for tag in image.tags:
                if fnmatch.fnmatchcase(tag, match):
                    chosen.tags.setdefault(image.digest, set()).add(tag)
    # Removing every tag of an image deletes it: plan that as one delete by digest.
    for digest, tags in chosen.tags.items():
        if tags >= set(by_digest[digest].tags):
            chosen.whole.add(digest)
    return chosen


def _tag_removals(
    chosen: _Selection, by_digest: dict[str, Image], held: dict[str, set[str]]
) -> list[Removal]:
    """One removal per selected tag of an image that stays."""
    removals: list[Removal] = []
    for digest, tags in sorted(chosen.tags.items(), key=lambda kv: _order(by_digest[kv[0]])):
        if digest in chosen.whole or digest in held:
            continue
        image = by_digest[digest]
        remaining = tuple(t for t in image.tags if t not in tags)
        removals += [
            Removal("tag", digest, (t,), remaining, image.media_type)
            for t in image.tags
            if t in tags
        ]
    return removals


class UntagService:
    def __init__(self, registry: EcrRegistry, *, workers: int = 4) -> None:
        self.registry = registry
        self.workers = max(1, workers)

    def plan(
        self,
        repository: str,
        targets: list[str],
        *,
        untagged: bool = False,
        match: str | None = None,
    ) -> UntagPlan:
        validate_repository_name(repository)
        ids = [parse_tag_or_digest(t) for t in targets]
        if not ids and not untagged and match is None:
            raise InvalidInput("name tags or @digests to remove, or pass --untagged or --match")
        images = ImageService(self.registry).describe(repository)
        by_digest = {i.digest: i for i in images}
        chosen = _select(images, targets, ids, untagged=untagged, match=match)
        if chosen.missing and not chosen.whole and not chosen.tags:
            if len(chosen.missing) == 1:  # where ecrctl looked, and the closest tags
                raise self.registry.image_not_found(
                    repository, parse_tag_or_digest(chosen.missing[0])
                )
            owner = self.registry.registry_id or self.registry.repository(repository).get(
                "registryId"
            )
            where = looked_in(owner, self.registry.region)
            raise NotFound(f"{', '.join(chosen.missing)} not found in {repository}{where}")
        children = self._index_children(repository, images) if chosen.whole else {}
        held = hold_referenced(chosen.whole, by_digest, children)
        chosen.whole -= set(held)
        phases = deletion_phases(chosen.whole, children)
        removals = [
            Removal("image", d, by_digest[d].tags, media_type=by_digest[d].media_type, phase=p)
            for d, p in sorted(phases.items(), key=lambda dp: (dp[1], _order(by_digest[dp[0]])))
        ]
        removals += _tag_removals(chosen, by_digest, held)
        kept = tuple(
            Kept(d, by_digest[d].tags, tuple(sorted(held[d])), d in chosen.explicit)
            for d in sorted(held)
        )
        return UntagPlan(
            repository=repository,
            removals=tuple(removals),
            kept=kept,
            missing=tuple(chosen.missing),
            index_tags={d: by_digest[d].tags for k in kept for d in k.held_by},
        )

    def _index_children(self, repository: str, images: list[Image]) -> dict[str, set[str]]:
        """The digests each index in the repository references (BatchGetImage, 100 at a time)."""
        indexes = [i.digest for i in images if i.media_type in INDEX_MEDIA_TYPES]
        return fetch_index_children(self.registry, repository, indexes)

    def execute(self, plan: UntagPlan, progress: Progress | None = None) -> UntagPlan:
        """Send the plan: phase by phase, each phase's chunks concurrently.

        Every error is reported per id. After a lost answer (a reset, a timeout, a 5xx) one
        ListImages read-back says which of those ids are gone; after a network failure the rest
        is not attempted, so that the report says what was done and a re-run does the rest.
        """
        done: list[Removal] = []
        total = len(plan.removals)
        counter = [0]
        lock = threading.Lock()
        stop: list[str] = []

        def send(chunk: list[Removal]) -> list[Removal]:
            if stop:
                return [replace(r, status="skipped", reason=stop[0]) for r in chunk]
            outcome = self._delete(plan.repository, chunk, stop)
            if progress is not None:
                with lock:
                    counter[0] += len(chunk)
                    progress(counter[0], total)
            return outcome

        for phase in sorted({r.phase for r in plan.removals}):
            batch = [r for r in plan.removals if r.phase == phase]
            chunks = list(chunked(batch, MAX_BATCH_IDS))
            with ThreadPoolExecutor(max_workers=min(self.workers, len(chunks))) as pool:
                for outcome in pool.map(send, chunks):
                    done.extend(outcome)
        if any(r.uncertain for r in done):
            done = self._reconcile(plan.repository, done)
        return replace(plan, removals=tuple(done), dry_run=False)

    def _delete(self, repository: str, chunk: list[Removal], stop: list[str]) -> list[Removal]:
        try:
            refused = self.registry.delete_image_ids(repository, [r.image_id for r in chunk])
        except Exception as error:
            if not is_aws_error(error):
                raise
            if not error_code(error) and not stop:  # no answer: the network is failing
                stop.append(f"not attempted after {type(error).__name__}")
            uncertain = maybe_applied(error)
            reason = describe_error(error)
            return [replace(r, status="failed", reason=reason, uncertain=uncertain) for r in chunk]
        failures: dict[tuple[str, str], tuple[str, str]] = {}
        for failure in refused:
            image_id = failure.get("imageId") or {}
            code = str(failure.get("failureCode", "Failed"))
            reason = f"{code}: {failure.get('failureReason', '')}".rstrip(": ")
            if image_id.get("imageDigest"):
                failures[("digest", str(image_id["imageDigest"]))] = (code, reason)
            if image_id.get("imageTag"):
                failures[("tag", str(image_id["imageTag"]))] = (code, reason)
        outcome = []
        for removal in chunk:
            key = ("tag", removal.tags[0]) if removal.kind == "tag" else ("digest", removal.digest)
            failed = failures.get(key)
            if failed is None or failed[0] in GONE_CODES:
                outcome.append(replace(removal, status="removed"))
            else:
                outcome.append(replace(removal, status="failed", reason=failed[1]))
        return outcome

    def _reconcile(self, repository: str, removals: list[Removal]) -> list[Removal]:
        """Removals whose answer was lost, settled from what the repository holds now."""
        held: set[tuple[str, str]] = set()  # (digest, tag or "") for every image id listed
        try:
            for image_id in self.registry.image_ids(repository):
                digest = str(image_id.get("imageDigest"))
                held.add((digest, ""))
                held.add((digest, str(image_id.get("imageTag") or "")))
        except Exception as error:
            if not is_aws_error(error) and not isinstance(error, NotFound):
                raise
            note = f" (not confirmed: reading the repository back failed: {describe_error(error)})"
            return [replace(r, reason=f"{r.reason}{note}") if r.uncertain else r for r in removals]
        settled = []
        for removal in removals:
            key = (removal.digest, removal.tags[0] if removal.kind == "tag" else "")
            if removal.uncertain and key not in held:
                removal = replace(removal, status="removed", reason=None)
            settled.append(replace(removal, uncertain=False))
        return settled


def _order(image: Image) -> tuple[str, str]:
    return (min(image.tags) if image.tags else "~", image.digest)
