"""Retag on the server: the exact manifest bytes put again under new tags.

One BatchGetImage fetches the source manifest (every manifest media type accepted, so an index
stays an index) together with what each new tag points at today; one PutImage per new tag puts
the same bytes with the same media type and digest; one DescribeImages per 100 tags then checks
that every new tag resolves to the source digest.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from ecrctl.core.ecr.api import MAX_BATCH_IDS, EcrRegistry, OnRetry, chunked
from ecrctl.core.ecr.pacing import (
    TokenBucket,
    describe_error,
    error_code,
    error_message,
    is_aws_error,
    maybe_applied,
)
from ecrctl.core.exceptions import ImageNotFound, InvalidInput, NotFound, Refused
from ecrctl.core.jsontypes import JsonObject
from ecrctl.core.names import (
    DOCKER_MANIFEST,
    MANIFEST_MEDIA_TYPES,
    parse_tag_or_digest,
    validate_repository_name,
    validate_tag,
)

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import (
        BatchGetImageResponseTypeDef,
        ImageIdentifierTypeDef,
        ImageTypeDef,
    )

ACCEPTED_MEDIA_TYPES = list(MANIFEST_MEDIA_TYPES)

Outcome = Literal["created", "moved", "unchanged", "refused", "failed", "skipped"]
SUCCESS: frozenset[str] = frozenset({"created", "moved", "unchanged"})

# PutImage errors that concern the image itself: every other tag would fail the same way.
_IMAGE_LEVEL_CODES = frozenset(
    {
        "LayersNotFoundException",
        "ReferencedImagesNotFoundException",
        "ImageDigestDoesNotMatchException",
        "KmsException",
        "RepositoryNotFoundException",
        "InvalidParameterException",
    }
)
_EXISTING_DIGEST_RE = re.compile(r"digest '(sha256:[0-9a-f]{64})'")


@dataclass(frozen=True)
class TagOutcome:
    tag: str
    outcome: Outcome
    previous_digest: str | None
    digest: str | None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in SUCCESS

    def to_json(self) -> JsonObject:
        return {
            "tag": self.tag,
            "outcome": self.outcome,
            "previousDigest": self.previous_digest,
            "digest": self.digest,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class RetagResult:
    repository: str
    source: str
    digest: str
    media_type: str
    tags: tuple[TagOutcome, ...]

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tags)

    @property
    def source_is_digest(self) -> bool:
        return self.source.lstrip("@").startswith("sha256:")

    @property
    def failed(self) -> list[TagOutcome]:
        return [t for t in self.tags if not t.ok]

    def to_json(self) -> JsonObject:
        return {
            "repository": self.repository,
            "source": self.source,
            "digest": self.digest,
            "mediaType": self.media_type,
            "ok": self.ok,
            "tags": [t.to_json() for t in self.tags],
        }


def id_key(image_id: ImageIdentifierTypeDef) -> tuple[str, str]:
    """A hashable key for a requested imageId: by digest when it has one, else by tag."""
    if image_id.get("imageDigest"):
        return ("digest", str(image_id["imageDigest"]))
    return ("tag", str(image_id.get("imageTag", "")))


def match_images(
    requested: list[ImageIdentifierTypeDef], response: BatchGetImageResponseTypeDef
) -> dict[tuple[str, str], ImageTypeDef]:
    """Pair BatchGetImage's images with the imageIds that were asked for.

    ECR echoes the requested id in each image's ``imageId``. moto answers with the image's own
    latest tag instead, but keeps the order of the request; images that match no requested id
    are paired in order with the requested ids that neither matched nor failed.
    """
    failed = {id_key(f.get("imageId") or {}) for f in response.get("failures") or []}
    wanted = [r for r in requested if id_key(r) not in failed]
    found: dict[tuple[str, str], ImageTypeDef] = {}
    leftovers: list[ImageTypeDef] = []
    keys = {id_key(r) for r in wanted}
    for image in response.get("images") or []:
        image_id = image.get("imageId") or {}
        tag_key = ("tag", str(image_id.get("imageTag", "")))
        digest_key = ("digest", str(image_id.get("imageDigest", "")))
        if tag_key in keys and tag_key not in found:
            found[tag_key] = image
        elif digest_key in keys and digest_key not in found:
            found[digest_key] = image
        else:
            leftovers.append(image)
    unmatched = [r for r in wanted if id_key(r) not in found]
    for request, image in zip(unmatched, leftovers, strict=False):
        found[id_key(request)] = image
    return found


def manifest_media_type(image: ImageTypeDef) -> str:
    """The media type ECR reports, else the one the manifest declares."""
    declared = image.get("imageManifestMediaType")
    if declared:
        return str(declared)
    try:
        value = json.loads(image.get("imageManifest") or "{}").get("mediaType")
    except (ValueError, AttributeError):
        value = None
    return str(value or DOCKER_MANIFEST)


def _dedupe(tags: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for tag in tags:
        seen.setdefault(tag, None)
    return list(seen)


class RetagService:
    """Retag through ``registry``: PutImage paced by ``pacer`` (ECR's 10 a second by default),
    each retry botocore makes told to ``on_retry``."""

    def __init__(
        self,
        registry: EcrRegistry,
        *,
        pacer: TokenBucket | None = None,
        workers: int = 4,
        on_retry: OnRetry | None = None,
    ) -> None:
        self.registry = registry
        self.registry.pace(pacer if pacer is not None else TokenBucket())
        if on_retry is not None:
            self.registry.report_retries(on_retry)
        self.workers = max(1, workers)

    def retag(
        self, repository: str, source: str, new_tags: list[str], *, no_clobber: bool = False
    ) -> RetagResult:
        validate_repository_name(repository)
        source_id = parse_tag_or_digest(source)
        if not new_tags:
            raise InvalidInput("name at least one new tag")
        tags = _dedupe([validate_tag(t.strip()) for t in new_tags])

        image, current = self._fetch(repository, source, source_id, tags)
        manifest = str(image["imageManifest"])
        digest = str((image.get("imageId") or {}).get("imageDigest") or "")
        media_type = manifest_media_type(image)

        moving = [t for t in tags if current.get(t) not in (None, digest)]
        if no_clobber and moving:
            listed = ", ".join(f"{t} ({current[t]})" for t in moving)
            raise Refused(
                f"--no-clobber: {len(moving)} tag(s) already point at another image: {listed}; "
                "nothing changed"
            )

        outcomes: dict[str, TagOutcome] = {
            t: TagOutcome(t, "unchanged", digest, digest) for t in tags if current.get(t) == digest
        }
        to_put = [t for t in tags if t not in outcomes]
        put, uncertain = self._put_all(repository, manifest, media_type, digest, to_put, current)
        outcomes.update(put)
        # Read back what ECR holds: every applied tag, and every tag whose answer was lost.
        checked = [o for o in outcomes.values() if o.ok or o.tag in uncertain]
        outcomes.update(self._verify(repository, digest, checked, uncertain))
        return RetagResult(
            repository=repository,
            source=source,
            digest=digest,
            media_type=media_type,
            tags=tuple(outcomes[t] for t in tags),
        )

    def _fetch(
        self, repository: str, source: str, source_id: ImageIdentifierTypeDef, tags: list[str]
    ) -> tuple[ImageTypeDef, dict[str, str]]:
        """The source image and the digest each new tag points at now (one call per 100 ids)."""
        requested: list[ImageIdentifierTypeDef] = [source_id]
        requested += [{"imageTag": t} for t in tags if {"imageTag": t} != source_id]
        found: dict[tuple[str, str], ImageTypeDef] = {}
        asked = self.registry.get_manifests(repository, requested, ACCEPTED_MEDIA_TYPES)
        for chunk, response in asked:
            found.update(match_images(chunk, response))
        image = found.get(id_key(source_id))
        if image is None or not image.get("imageManifest"):
            raise NotFound(f"{source} not found in {repository}")
        current = {
            t: str((found[("tag", t)].get("imageId") or {}).get("imageDigest"))
            for t in tags
            if ("tag", t) in found
        }
        return image, current

    def _put_all(
        self,
        repository: str,
        manifest: str,
        media_type: str,
        digest: str,
        tags: list[str],
        current: dict[str, str],
    ) -> tuple[dict[str, TagOutcome], set[str]]:
        """Outcome per tag, and the tags whose PutImage may have been applied unseen."""
        stop: list[str] = []  # the reason of an image-level failure, once one happened
        uncertain: set[str] = set()

        def put(tag: str) -> TagOutcome:
            previous = current.get(tag)
            if stop:
                return TagOutcome(tag, "skipped", previous, previous, stop[0])
            try:
                self.registry.put_manifest(repository, manifest, media_type, digest, tag)
            except Exception as error:
                if not is_aws_error(error):
                    raise
                code = error_code(error)
                if maybe_applied(error):
                    uncertain.add(tag)
                if not code:
                    # The network failed even after botocore's retries: do not hammer it with
                    # the other tags; the report says which were done and a re-run does the rest.
                    if not stop:
                        stop.append(f"not attempted after {type(error).__name__} on {tag}")
                    return TagOutcome(tag, "failed", previous, previous, describe_error(error))
                return self._put_failure(tag, previous, digest, code, error_message(error), stop)
            return TagOutcome(tag, "moved" if previous else "created", previous, digest)

        with ThreadPoolExecutor(max_workers=min(self.workers, max(len(tags), 1))) as pool:
            return {o.tag: o for o in pool.map(put, tags)}, uncertain

    @staticmethod
    def _put_failure(
        tag: str, previous: str | None, digest: str, code: str, message: str, stop: list[str]
    ) -> TagOutcome:
        if code == "ImageAlreadyExistsException":
            # ECR (and moto) say so when the tag already names these exact bytes: success.
            # moto also says so for an immutable tag that names another image: a refusal.
            match = _EXISTING_DIGEST_RE.search(message)
            existing = match.group(1) if match else previous
            if existing in (digest, None):
                return TagOutcome(tag, "unchanged", previous, digest)
            return TagOutcome(
                tag, "refused", previous, existing, f"tag is immutable here ({code}: {message})"
            )
        if code == "ImageTagAlreadyExistsException":
            return TagOutcome(
                tag,
                "refused",
                previous,
                previous,
                f"the repository's tags are immutable, so {tag} cannot move ({code}: {message})",
            )
        reason = f"{code}: {message}"
        if code in _IMAGE_LEVEL_CODES and not stop:
            stop.append(f"not attempted after {code} on {tag}")
        return TagOutcome(tag, "failed", previous, previous, reason)

    def _verify(
        self, repository: str, digest: str, checked: list[TagOutcome], uncertain: set[str]
    ) -> dict[str, TagOutcome]:
        """Outcomes from what ECR holds now (one DescribeImages per 100 tags).

        A tag that resolves to the source digest was created or moved by this run when it named
        nothing or another image before it, whatever the last answer said (a lost response makes
        the retried PutImage answer ImageAlreadyExistsException). An applied tag that does not
        resolve to it failed; an uncertain one keeps its error.
        """
        resolved: dict[str, str] = {}
        try:
            for chunk in chunked([o.tag for o in checked], MAX_BATCH_IDS):
                resolved.update(self._resolve(repository, chunk))
        except Exception as error:
            if not is_aws_error(error):
                raise
            note = f" (not confirmed: reading the tags back failed: {describe_error(error)})"
            return {
                o.tag: replace(o, reason=f"{o.reason}{note}") for o in checked if o.tag in uncertain
            }
        changed: dict[str, TagOutcome] = {}
        for outcome in checked:
            now = resolved.get(outcome.tag)
            previous = outcome.previous_digest
            if now == digest:
                held: Outcome = (
                    "unchanged" if previous == digest else "moved" if previous else "created"
                )
                if held != outcome.outcome:
                    changed[outcome.tag] = TagOutcome(outcome.tag, held, previous, digest)
            elif outcome.tag in uncertain:
                changed[outcome.tag] = replace(outcome, digest=now)
            else:
                where = f"resolves to {now}" if now else "does not resolve"
                changed[outcome.tag] = TagOutcome(
                    outcome.tag,
                    "failed",
                    outcome.previous_digest,
                    now,
                    f"verification failed: {outcome.tag} {where}, not {digest}",
                )
        return changed

    def _resolve(self, repository: str, tags: list[str]) -> dict[str, str]:
        try:
            details = self.registry.images_by_id(repository, [{"imageTag": t} for t in tags])
        except ImageNotFound:
            if len(tags) == 1:
                return {}
            # DescribeImages fails whole when one id is missing (a tag whose put failed): one
            # listing of the repository's tags answers for all of them.
            return self._listed(repository, set(tags))
        wanted = set(tags)
        return {
            tag: str(detail["imageDigest"])
            for detail in details
            for tag in detail.get("imageTags") or []
            if tag in wanted
        }

    def _listed(self, repository: str, wanted: set[str]) -> dict[str, str]:
        """The digest of each wanted tag, from ListImages (every page of tagged images)."""
        listed = self.registry.image_ids(repository, {"tagStatus": "TAGGED"})
        return {
            str(image_id["imageTag"]): str(image_id["imageDigest"])
            for image_id in listed
            if image_id.get("imageTag") in wanted
        }
