"""Local lifecycle preview: 100,000 images against a 10-rule policy (target: at most 1 s).

Times the evaluator on in-memory image records (the figure the target is about), validation
plus evaluation, and building the JSON document; then, end to end, ``ecrctl lifecycle preview``
as a subprocess against the embedded emulator holding the same number of images (injected into
moto's backend directly: putting 100,000 images through the API would take far longer than the
preview). AWS has no local counterpart: ``aws ecr start-lifecycle-policy-preview`` runs on AWS's
side and moto does not implement it.

    python -m bench.bench_lifecycle [--images 100000] [--runs 5] [--e2e-images 10000]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import Figure, command_runner, ecrctl, emulator_env, median_ms, print_table
from ecrctl.core.lifecycle import ImageRecord, Policy, evaluate, parse_policy

NOW = datetime(2026, 6, 1, tzinfo=UTC)
REPO = "bench/lifecycle"


def rule(priority: int, selection: dict[str, object], action: str = "expire") -> dict[str, object]:
    act: dict[str, object] = {"type": action}
    if action == "transition":
        act["targetStorageClass"] = "archive"
    return {"rulePriority": priority, "selection": selection, "action": act}


def ten_rule_policy() -> str:
    days = {"countUnit": "days"}
    rules = [
        rule(1, {"tagStatus": "tagged", "tagPrefixList": ["release-"],
                 "countType": "imageCountMoreThan", "countNumber": 50}),
        rule(2, {"tagStatus": "tagged", "tagPatternList": ["v*.*.*", "stable"],
                 "countType": "imageCountMoreThan", "countNumber": 20}),
        rule(3, {"tagStatus": "tagged", "tagPatternList": ["v*.*.*"],
                 "countType": "sinceImagePushed", **days, "countNumber": 365}),
        rule(4, {"tagStatus": "tagged", "tagPatternList": ["pr-*-*"],
                 "countType": "sinceImagePushed", **days, "countNumber": 14}),
        rule(5, {"tagStatus": "tagged", "tagPrefixList": ["main-"],
                 "countType": "imageCountMoreThan", "countNumber": 200}),
        rule(6, {"tagStatus": "tagged", "tagPatternList": ["*-nightly*"],
                 "countType": "sinceImagePulled", **days, "countNumber": 30}, "transition"),
        rule(7, {"tagStatus": "tagged", "tagPrefixList": ["feature-", "ci"],
                 "countType": "sinceImagePushed", **days, "countNumber": 30}),
        rule(8, {"tagStatus": "untagged", "countType": "sinceImagePushed", **days,
                 "countNumber": 7}),
        rule(9, {"tagStatus": "any", "countType": "sinceImagePushed", **days,
                 "countNumber": 90}, "transition"),
        rule(10, {"tagStatus": "any", "storageClass": "archive",
                  "countType": "sinceImageTransitioned", **days, "countNumber": 180}),
    ]  # fmt: skip
    return json.dumps({"rules": rules}, indent=2)


def synthetic_tags(rng: random.Random, n: int) -> list[str]:
    kind = rng.random()
    if kind < 0.2:
        return []
    if kind < 0.35:
        return [f"release-{n}"]
    if kind < 0.5:
        tags = [f"v{n // 1000}.{n // 100 % 10}.{n % 100}"]
        return [*tags, "stable"] if rng.random() < 0.05 else tags
    if kind < 0.65:
        return [f"pr-{n % 5000}-{n:08x}"]
    if kind < 0.8:
        return [f"main-{n:08x}", f"build-{n}"]
    if kind < 0.88:
        return [f"app-nightly-{n}"]
    if kind < 0.95:
        return [f"feature-{n % 300}-{n}", f"ci{n % 7}"]
    return [f"misc{n}"]


def synthetic_images(count: int, seed: int = 7) -> list[ImageRecord]:
    rng = random.Random(seed)
    images = []
    for n in range(count):
        pushed = NOW - timedelta(seconds=rng.uniform(0, 730 * 86_400))
        archived = rng.random() < 0.05
        pulled = pushed + timedelta(days=rng.uniform(0, 30)) if rng.random() < 0.5 else None
        images.append(
            ImageRecord(
                digest=f"sha256:{rng.getrandbits(256):064x}",
                tags=tuple(synthetic_tags(rng, n)),
                pushed_at=pushed,
                last_pulled_at=pulled if pulled and pulled < NOW else None,
                storage_class="archive" if archived else "standard",
                last_archived_at=pushed + timedelta(days=30) if archived else None,
            )
        )
    return images


def api_detail(record: ImageRecord) -> dict[str, object]:
    """The record as botocore returns it in DescribeImages' imageDetails."""
    from dateutil.tz import tzutc

    detail: dict[str, object] = {
        "imageDigest": record.digest,
        "imagePushedAt": record.pushed_at.astimezone(tzutc()),
        "imageStatus": "ARCHIVED" if record.storage_class == "archive" else "ACTIVE",
    }
    if record.tags:
        detail["imageTags"] = list(record.tags)
    if record.last_pulled_at:
        detail["lastRecordedPullTime"] = record.last_pulled_at.astimezone(tzutc())
    if record.last_archived_at:
        detail["lastArchivedAt"] = record.last_archived_at.astimezone(tzutc())
    return detail


def cli_pipeline(policy: Policy, details: list[dict[str, object]]) -> str:
    """From DescribeImages' details to the text the command prints, as the command does."""
    from ecrctl.cli.commands.lifecycle.view import affected_view as _affected_view
    from ecrctl.cli.output import Renderer

    records = [r for r in (ImageRecord.from_api(d) for d in details) if r is not None]
    evaluation = evaluate(policy, records, NOW)
    doc = {"repository": REPO, "source": "local", "policy": "bench", **evaluation.to_json()}
    out = io.StringIO()
    Renderer("text", stream=out).emit(_affected_view(doc, REPO))
    return out.getvalue()


def inject(images: list[ImageRecord]) -> None:
    """Put the images straight into the in-process emulator's moto backend."""
    from moto.ecr.models import Image, ecr_backends

    from ecrctl.sandbox.emulator import SANDBOX_ACCOUNT, SANDBOX_REGION

    repository = ecr_backends[SANDBOX_ACCOUNT][SANDBOX_REGION].repositories[REPO]
    media_type = "application/vnd.oci.image.manifest.v1+json"
    config = {"size": 1469, "digest": "sha256:" + "0" * 64}
    manifest = json.dumps(
        {"schemaVersion": 2, "mediaType": media_type, "config": config, "layers": []}
    )
    for record in images:
        image = Image(
            SANDBOX_ACCOUNT,
            record.tags[0] if record.tags else None,  # type: ignore[arg-type]
            manifest,
            REPO,
            media_type,
            record.digest,
        )
        image.image_tags = list(record.tags)
        image.image_pushed_at = int(record.pushed_at.timestamp())
        repository.images.append(image)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--e2e-images", type=int, default=10_000, help="images on the emulator; 0 skips"
    )
    args = parser.parse_args()

    text = ten_rule_policy()
    policy = parse_policy(text)
    started = time.perf_counter()
    images = synthetic_images(args.images)
    made = time.perf_counter() - started
    result = evaluate(policy, images, NOW)
    summary = result.to_json()["summary"]
    print(f"{args.images:,} images ({made:.1f} s to generate), {len(policy.rules)} rules: "
          f"{summary['expire']:,} expire, {summary['transition']:,} transition, "
          f"{summary['keep']:,} kept")  # fmt: skip
    figures = [
        Figure(
            "evaluate (in memory)",
            median_ms(lambda: evaluate(policy, images, NOW), args.runs),
            args.runs,
            note=f"{args.images:,} images x 10 rules; target <= 1000 ms",
        ),
        Figure(
            "validate + evaluate",
            median_ms(lambda: evaluate(parse_policy(text), images, NOW), args.runs),
            args.runs,
        ),
        Figure(
            "evaluate + JSON document",
            median_ms(lambda: evaluate(policy, images, NOW).to_json(), args.runs),
            args.runs,
        ),
    ]
    details = [api_detail(record) for record in images]
    figures.append(
        Figure(
            "DescribeImages pages -> records -> evaluate -> text",
            median_ms(lambda: cli_pipeline(policy, details), args.runs),
            args.runs,
            note="what ecrctl does after the API calls (text output rendered to memory)",
        )
    )
    if args.e2e_images:
        e2e_images = images[: args.e2e_images]
        with emulator_env() as (emulator, env), tempfile.TemporaryDirectory() as tmp:
            ecr = emulator.client("ecr")
            ecr.create_repository(repositoryName=REPO)
            inject(e2e_images)
            path = Path(tmp) / "policy.json"
            path.write_text(text)
            argv = [*ecrctl(), "-o", "text", "lifecycle", "preview", REPO, "--policy", str(path)]
            runs = max(1, min(args.runs, 3))
            figures.append(
                Figure(
                    "ecrctl lifecycle preview (end to end)",
                    median_ms(command_runner(argv, env), runs),
                    runs,
                    calls="DescribeImages (moto: one page)",
                    note=f"{len(e2e_images):,} images on the emulator; includes moto serving them",
                )
            )
    print_table("Local lifecycle preview", figures)


if __name__ == "__main__":
    main()
