"""BatchDeleteImage as ECR answers it for an image an index references: moto deletes it and
leaves the index dangling; ECR keeps it and reports a failure for that image id, with
failureCode ``ImageReferencedByManifestList``. The same holds for removing the last tags of
such an image (which would delete it). An index deleted in the same request references nothing.
"""

from __future__ import annotations

import json
from typing import Any

from ecrctl.core.names import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST

REFERENCED = "ImageReferencedByManifestList"
REFERENCED_REASON = "Requested image referenced by manifest list"
BATCH = 100
MANIFEST_TYPES = [DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST]


def _images(ecr: Any, owner: dict[str, Any]) -> list[dict[str, Any]]:
    pages = ecr.get_paginator("describe_images").paginate(**owner)
    return [detail for page in pages for detail in page.get("imageDetails") or []]


def _children(ecr: Any, owner: dict[str, Any], digests: list[str]) -> dict[str, set[str]]:
    """The digests each index among ``digests`` references (BatchGetImage, 100 at a time)."""
    found: dict[str, set[str]] = {}
    for start in range(0, len(digests), BATCH):
        ids = [{"imageDigest": d} for d in digests[start : start + BATCH]]
        answer = ecr.batch_get_image(**owner, imageIds=ids, acceptedMediaTypes=MANIFEST_TYPES)
        for image in answer.get("images") or []:
            try:
                doc = json.loads(image.get("imageManifest") or "")
            except ValueError:
                continue
            entries = doc.get("manifests") if isinstance(doc, dict) else None
            found[str(image["imageId"]["imageDigest"])] = {
                str(e["digest"]) for e in entries or [] if isinstance(e, dict) and e.get("digest")
            }
    return found


def refused_ids(ecr: Any, request: dict[str, Any]) -> list[dict[str, Any]]:
    """The image ids of a BatchDeleteImage request that ECR would refuse as referenced."""
    repository = request.get("repositoryName")
    ids = [i for i in request.get("imageIds") or [] if isinstance(i, dict)]
    if not isinstance(repository, str) or not ids:
        return []
    owner: dict[str, Any] = {"repositoryName": repository}
    if isinstance(request.get("registryId"), str):
        owner["registryId"] = request["registryId"]
    try:
        details = _images(ecr, owner)
    except ecr.exceptions.ClientError:
        return []  # moto answers it (no such repository, ...)
    tags = {str(d["imageDigest"]): set(d.get("imageTags") or []) for d in details}
    by_tag = {tag: digest for digest, named in tags.items() for tag in named}
    removed_tags = {str(i["imageTag"]) for i in ids if i.get("imageTag") and "imageDigest" not in i}
    going = {str(i["imageDigest"]) for i in ids if i.get("imageDigest") in tags}
    going |= {d for d, named in tags.items() if named and named <= removed_tags}
    if not going:
        return []  # tags removed from images that keep others: nothing is deleted
    children = _children(ecr, owner, list(tags))  # moto names no media type: read them all
    held: set[str] = set()
    while True:  # an index that stays keeps what it references, and so on down
        staying = set(tags) - going
        newly = {kid for index in staying for kid in children.get(index, set())} & going
        if not newly:
            break
        held |= newly
        going -= newly
    return [i for i in ids if (i.get("imageDigest") or by_tag.get(str(i.get("imageTag")))) in held]


def failure(image_id: dict[str, Any]) -> dict[str, Any]:
    return {"imageId": image_id, "failureCode": REFERENCED, "failureReason": REFERENCED_REASON}
