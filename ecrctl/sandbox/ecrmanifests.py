"""The sandbox registry's manifests, kept where the ECR API keeps them: in moto, through ECR calls.

A manifest pushed to ``/v2/`` is a PutImage of its exact text with ``imageDigest`` the sha256 of
its bytes and its media type; one read from ``/v2/`` is a BatchGetImage. So ``ecrctl tags``,
``describe-images`` and ``batch-get-image`` show what was pushed, and an image put through
PutImage is served, with one truth between them.

Why the ECR API over HTTP (a boto3 client on the sandbox itself) rather than moto's backend
objects in-process: the manifest text goes through JSON as a string both ways, so its bytes come
back exactly; every rule the ECR API applies (tag immutability, the sandbox's own fixes in front
of moto) applies to a push too; and nothing depends on moto's internals. The cost is a local
round trip per call.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ecrctl.core.names import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST
from ecrctl.sandbox.references import REFERENCED

MANIFEST_TYPES = (OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST)
BATCH = 100  # BatchGetImage takes at most 100 image ids


class NoRepository(Exception):
    """The repository does not exist (NAME_UNKNOWN)."""


class Referenced(Exception):
    """ECR keeps an image an index in its repository references (ImageReferencedByManifestList)."""


class TagImmutable(Exception):
    """The repository's tags are immutable and the tag names another image (TAG_INVALID)."""


@dataclass(frozen=True)
class Stored:
    data: bytes
    media_type: str

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.data).hexdigest()


def media_type_of(data: bytes) -> str:
    """The ``mediaType`` a manifest names itself, or ""."""
    try:
        doc = json.loads(data)
    except ValueError:
        return ""
    value = doc.get("mediaType") if isinstance(doc, dict) else None
    return value if isinstance(value, str) else ""


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str((response.get("Error") or {}).get("Code") or "")


class EcrManifests:
    """Manifests of one registry (account and region) through its ECR API client."""

    def __init__(self, ecr: Any) -> None:
        self.ecr = ecr
        self._subjects: dict[str, dict[str, Any] | None] = {}  # digest -> referrer facts

    def _call(self, operation: str, **params: Any) -> Any:
        try:
            return getattr(self.ecr, operation)(**params)
        except self.ecr.exceptions.RepositoryNotFoundException:
            raise NoRepository(params.get("repositoryName", "")) from None

    def check_repository(self, repository: str) -> None:
        self._call("describe_repositories", repositoryNames=[repository])

    def get(self, repository: str, reference: str) -> Stored | None:
        """The manifest a tag or digest names, as its bytes and media type; None if none."""
        key = "imageDigest" if reference.startswith("sha256:") else "imageTag"
        found = self._call(
            "batch_get_image",
            repositoryName=repository,
            imageIds=[{key: reference}],
            acceptedMediaTypes=list(MANIFEST_TYPES),
        )
        for image in found.get("images") or []:
            data = str(image.get("imageManifest") or "").encode("utf-8")
            media_type = str(image.get("imageManifestMediaType") or "") or media_type_of(data)
            stored = Stored(data, media_type)
            if key == "imageTag" or stored.digest == reference:
                return stored
        return None

    def put(self, repository: str, data: bytes, media_type: str, tag: str | None) -> str:
        """PutImage of the exact text; its digest. The same image again is no change."""
        stored = Stored(data, media_type)
        if tag is None and self.get(repository, stored.digest) is not None:
            return stored.digest  # pushed by digest, already there
        params: dict[str, Any] = {
            "repositoryName": repository,
            "imageManifest": data.decode("utf-8"),
            "imageManifestMediaType": media_type,
            "imageDigest": stored.digest,
        }
        if tag is not None:
            params["imageTag"] = tag
        try:
            self._call("put_image", **params)
        except self.ecr.exceptions.ClientError as error:
            if _code(error) not in (
                "ImageAlreadyExistsException",
                "ImageTagAlreadyExistsException",
            ):
                raise
            held = self.get(repository, tag) if tag is not None else None
            if held is None or held.digest != stored.digest:
                raise TagImmutable(tag or stored.digest) from None
        return stored.digest

    def delete(self, repository: str, reference: str) -> bool:
        """BatchDeleteImage of a digest (the image) or a tag (the tag alone, as ECR untags)."""
        key = "imageDigest" if reference.startswith("sha256:") else "imageTag"
        done = self._call(
            "batch_delete_image", repositoryName=repository, imageIds=[{key: reference}]
        )
        failures = done.get("failures") or []
        if any(f.get("failureCode") == REFERENCED for f in failures):
            raise Referenced(reference)
        # moto lists no imageIds for an untagged image it deleted: no failure is the answer.
        return bool(done.get("imageIds")) or not failures

    def _images(self, repository: str) -> Iterator[dict[str, Any]]:
        pages = self.ecr.get_paginator("describe_images").paginate(repositoryName=repository)
        try:
            for page in pages:
                yield from page.get("imageDetails") or []
        except self.ecr.exceptions.RepositoryNotFoundException:
            raise NoRepository(repository) from None

    def tags(self, repository: str) -> list[str]:
        """Every tag of the repository, in lexical order (the distribution spec's)."""
        return sorted(t for image in self._images(repository) for t in image.get("imageTags") or [])

    def missing(self, repository: str, digests: list[str]) -> list[str]:
        """Which of these manifests the repository lacks."""
        lacking = []
        for digest in digests:
            if self.get(repository, digest) is None:
                lacking.append(digest)
        return lacking

    def referrers(self, repository: str, subject: str) -> list[dict[str, Any]]:
        """Descriptors of the repository's manifests whose ``subject`` is ``subject``."""
        digests = [str(i["imageDigest"]) for i in self._images(repository)]
        unread = [d for d in digests if d not in self._subjects]
        for start in range(0, len(unread), BATCH):
            ids = [{"imageDigest": d} for d in unread[start : start + BATCH]]
            found = self._call(
                "batch_get_image",
                repositoryName=repository,
                imageIds=ids,
                acceptedMediaTypes=list(MANIFEST_TYPES),
            )
            for image in found.get("images") or []:
                data = str(image.get("imageManifest") or "").encode("utf-8")
                media_type = str(image.get("imageManifestMediaType") or "") or media_type_of(data)
                stored = Stored(data, media_type)
                self._subjects[stored.digest] = referrer_facts(stored)
        found_referrers = []
        for digest in digests:
            facts = self._subjects.get(digest)
            if facts is not None and facts["subject"] == subject:
                found_referrers.append(facts["descriptor"])
        return found_referrers


def referrer_facts(stored: Stored) -> dict[str, Any] | None:
    """A manifest's subject and its descriptor in a referrers list; None without a subject.
    Keyed by digest, so read once: a digest's bytes never change."""
    try:
        doc = json.loads(stored.data)
    except ValueError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("subject"), dict):
        return None
    subject = doc["subject"].get("digest")
    if not isinstance(subject, str):
        return None
    descriptor: dict[str, Any] = {
        "mediaType": stored.media_type,
        "digest": stored.digest,
        "size": len(stored.data),
    }
    config = doc.get("config") if isinstance(doc.get("config"), dict) else {}
    artifact = doc.get("artifactType") or (config or {}).get("mediaType")
    if isinstance(artifact, str) and artifact:
        descriptor["artifactType"] = artifact
    if isinstance(doc.get("annotations"), dict) and doc["annotations"]:
        descriptor["annotations"] = doc["annotations"]
    return {"subject": subject, "descriptor": descriptor}
