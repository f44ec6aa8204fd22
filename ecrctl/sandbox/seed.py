"""Sample data for ``ecrctl sandbox --seed`` and the demo: enough for every README example.

Every manifest is real Docker v2 / OCI JSON put with ``imageDigest`` set to the sha256 of its
bytes (moto derives digests from layer digests otherwise). Images are put oldest first, and then
given push times days apart (``PUSHED_DAYS_AGO``; moto stamps them all with the same second), so
``tags --sort pushed`` and the lifecycle preview see a push order and ages. Each is a real image
(realimages.py): given the registry's blob store, its config and layers are stored there, so
the seeded images can be pulled, inspected and copied.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ecrctl.core.names import OCI_INDEX, OCI_MANIFEST
from ecrctl.sandbox.ecr_extras import set_pushed_at
from ecrctl.sandbox.findings import basic_findings, inject_scan_results, scan_response
from ecrctl.sandbox.images import put_synthetic, synthetic_index
from ecrctl.sandbox.realimages import SeedImages

APP = "team/app"
WEB = "team/web"
CI = "tools/ci"
APP_TAGS = ["1.0.9", "1.0.10", "v1.2", "v1.3", "pr-1234", "pr-1235", "1.4.2", "1.4.3"]
MULTI_ARCH_TAG = "1.5.0"
SCANNED_TAG = "1.4.2"
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")
# What `ecrctl lifecycle preview team/app` evaluates: untagged images go after a week,
# pull-request images beyond the newest one go at once.
APP_POLICY = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "untagged images go after 7 days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 7,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": "keep the newest pull-request image",
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["pr-*"],
                "countType": "imageCountMoreThan",
                "countNumber": 1,
            },
            "action": {"type": "expire"},
        },
    ]
}

# When each image was pushed, in days before the seeding (oldest first, as they are put): the
# untagged image is past the policy's 7 days, the multi-arch image is this week's.
PUSHED_DAYS_AGO: dict[str, list[tuple[str, float]]] = {
    APP: [
        ("untagged", 45),
        ("1.0.9", 40),
        ("1.0.10", 36),
        ("v1.2", 30),
        ("v1.3", 26),
        ("pr-1234", 20),
        ("pr-1235", 12),
        ("1.4.2", 9),
        ("1.4.3", 5),  # and latest: the same image
        (MULTI_ARCH_TAG, 2),  # its two platform images a minute before it
    ],
    WEB: [("2.0.0", 30), ("2.1.0", 10), ("latest", 1)],
    CI: [("3.19", 50), ("3.20", 15)],
}


@dataclass
class Seeded:
    """What was loaded: repository -> its tags (in push order), and a few facts to show."""

    tags: dict[str, list[str]] = field(default_factory=dict)
    untagged: int = 0
    findings: int = 0

    def lines(self) -> list[str]:
        out = [f"{repo}: {', '.join(tags)}" for repo, tags in self.tags.items()]
        out.append(
            f"{APP} also holds {self.untagged} untagged image(s) (multi-arch children included), "
            f"a lifecycle policy, and {self.findings} scan findings on {APP}:{SCANNED_TAG}"
        )
        return out


def _tag_images(ecr: Any, images: SeedImages, repository: str, tags: list[str]) -> None:
    for tag in tags:
        put_synthetic(ecr, repository, images.image(repository, f"{repository}:{tag}"), tag)


def _index_children(ecr: Any, repository: str, tag: str) -> list[str]:
    got = ecr.batch_get_image(
        repositoryName=repository, imageIds=[{"imageTag": tag}], acceptedMediaTypes=[OCI_INDEX]
    )["images"]
    return [m["digest"] for i in got for m in json.loads(i["imageManifest"]).get("manifests", [])]


def _spread_push_times(ecr: Any, now: datetime) -> None:
    """Give the images their push times, found by tag as they are in the sandbox now (an index's
    platform images a minute before it; "untagged": the untagged images no index names)."""
    for repository, pushes in PUSHED_DAYS_AGO.items():
        pages = ecr.get_paginator("describe_images").paginate(repositoryName=repository)
        details = [detail for page in pages for detail in page["imageDetails"]]
        by_tag = {tag: d["imageDigest"] for d in details for tag in d.get("imageTags") or []}
        untagged = {d["imageDigest"] for d in details if not d.get("imageTags")}
        times: dict[str, datetime] = {}
        for name, days in pushes:
            when = now - timedelta(days=days)
            if name == "untagged":
                continue
            times[by_tag[name]] = when
            if name == MULTI_ARCH_TAG:
                for child in _index_children(ecr, repository, name):
                    times[child] = when - timedelta(minutes=1)
                    untagged.discard(child)
        lone = now - timedelta(days=dict(pushes).get("untagged", 0))
        set_pushed_at(ecr, repository, {**dict.fromkeys(untagged, lone), **times})


def seed_sandbox(ecr: Any, blobs: Any = None) -> Seeded:
    """Load the sample data through the ECR API of ``ecr`` (a client on the emulator), and the
    images' blobs into ``blobs`` (the emulator's BlobStore) when given."""
    seeded = Seeded()
    images = SeedImages(blobs)
    ecr.create_repository(
        repositoryName=APP,
        imageScanningConfiguration={"scanOnPush": True},
        tags=[{"Key": "team", "Value": "platform"}],
    )
    # An image that lost its tag, pushed first: the oldest, as untagged images tend to be.
    put_synthetic(ecr, APP, images.image(APP, f"{APP}:untagged"))
    _tag_images(ecr, images, APP, APP_TAGS)
    latest = images.image(APP, f"{APP}:1.4.3")
    ecr.put_image(
        repositoryName=APP,
        imageManifest=latest.manifest,
        imageManifestMediaType=latest.media_type,
        imageDigest=latest.digest,
        imageTag="latest",
    )
    # A multi-arch image: two platform manifests (untagged, as buildx pushes them), then the
    # OCI index that names them, tagged.
    children = [
        (images.image(APP, f"{APP}:{MULTI_ARCH_TAG}", platform=arch, media_type=OCI_MANIFEST), arch)
        for arch in ("linux/amd64", "linux/arm64")
    ]
    for child, _arch in children:
        put_synthetic(ecr, APP, child)
    put_synthetic(ecr, APP, synthetic_index(children), MULTI_ARCH_TAG)
    seeded.tags[APP] = [*APP_TAGS, "latest", MULTI_ARCH_TAG]
    seeded.untagged = 1 + len(children)
    ecr.put_lifecycle_policy(repositoryName=APP, lifecyclePolicyText=json.dumps(APP_POLICY))

    ecr.create_repository(repositoryName=WEB)
    web_tags = ["2.0.0", "2.1.0", "latest"]
    _tag_images(ecr, images, WEB, web_tags)
    seeded.tags[WEB] = web_tags

    ecr.create_repository(repositoryName=CI, imageTagMutability="IMMUTABLE")
    ci_tags = ["3.19", "3.20"]
    _tag_images(ecr, images, CI, ci_tags)
    seeded.tags[CI] = ci_tags

    # Findings of every severity for team/app:1.4.2, readable at once (a scan is recorded).
    findings = basic_findings(10, severities=SEVERITIES)
    response = scan_response(APP, {"imageTag": SCANNED_TAG}, findings=findings)
    inject_scan_results(ecr.meta.endpoint_url, [response], region=ecr.meta.region_name)
    ecr.start_image_scan(repositoryName=APP, imageId={"imageTag": SCANNED_TAG})
    seeded.findings = len(findings)
    _spread_push_times(ecr, datetime.now(UTC))
    return seeded
