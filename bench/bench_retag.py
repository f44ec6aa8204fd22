"""Retag and bulk untag: API calls and time, ecrctl beside the equivalent `aws ecr` loop.

    python bench/bench_retag.py [--runs N] [--tags N] [--images N]

Both tools talk to the same local moto server through a tiny counting proxy that records the
ECR operation of every request (the X-Amz-Target header), so the figures are the calls that
really reached the server.

- retag SOURCE to 50 new tags. ecrctl: must be 1 BatchGetImage + 50 PutImage (plus 1
  DescribeImages that verifies the tags). aws: `batch-get-image --query ...imageManifest`, then one
  `put-image` per tag (the loop people write; it also drops the media type).
- untag 5,000 untagged images. ecrctl: `untag --untagged --yes`, must be 50 BatchDeleteImage
  (plus the DescribeImages pages of the plan). aws: `list-images --filter tagStatus=UNTAGGED`,
  then `batch-delete-image` per 100 digests.

Each run starts from a freshly seeded repository (seeded into moto's in-process backend, not
timed). moto's ECR writes are not thread-safe (ECR's are), so they are serialized here, as in
the tests, for ecrctl's concurrent BatchDeleteImage chunks.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, command_runner, ecrctl, emulator_env, median_ms, print_table, tool
from ecrctl.sandbox.images import synthetic_manifest
from tests.fakehttp import FakeServer, Reply, Request

ACCOUNT = "123456789012"
REPO = "bench/app"


class CountingProxy:
    """Forward every request to the emulator; count ECR operations by X-Amz-Target."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def forward(self, request: Request) -> Reply:
        target = request.headers.get("X-Amz-Target", "")
        with self.lock:
            self.counts[target.rsplit(".", 1)[-1] or request.method] += 1
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=300)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        conn.request(request.method, request.path, body=request.body or None, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        conn.close()
        hop = {"transfer-encoding", "connection", "content-length"}
        kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in hop]
        return Reply(answer.status, kept, data)

    @contextmanager
    def running(self) -> Iterator[str]:
        with FakeServer(self.forward) as server:
            yield server.url

    def take(self) -> Counter[str]:
        with self.lock:
            counts, self.counts = self.counts, Counter()
        return counts


def serialize_moto_ecr_writes() -> None:
    from moto.ecr.models import ECRBackend

    lock = threading.RLock()
    for name in ("batch_delete_image", "put_image"):
        original = getattr(ECRBackend, name)

        def locked(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        setattr(ECRBackend, name, locked)


def backend(region: str) -> Any:
    from moto.backends import get_backend

    return get_backend("ecr")[ACCOUNT][region]


def reset_repository(region: str, images: list[tuple[str | None, Any]]) -> None:
    """A fresh repository holding ``images`` ((tag or None, SyntheticImage)), straight into moto."""
    from moto.ecr.models import Image

    ecr = backend(region)
    ecr.repositories.pop(REPO, None)
    ecr.create_repository(
        repository_name=REPO,
        registry_id=None,
        encryption_config=None,  # type: ignore[arg-type]
        image_scan_config=None,
        image_tag_mutability="MUTABLE",
        tags=[],
    )
    repository = ecr.repositories[REPO]
    for tag, image in images:
        repository.images.append(
            Image(ACCOUNT, tag, image.manifest, REPO, image.media_type, image.digest)
        )


def timed(setup: Callable[[], None], action: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        setup()
        samples.append(median_ms(action, runs=1, warmup=0))
    return statistics.median(samples)


def aws_retag_loop(aws: str, env: dict[str, str], tags: list[str]) -> Callable[[], object]:
    get = command_runner(
        [
            aws,
            "ecr",
            "batch-get-image",
            "--repository-name",
            REPO,
            "--image-ids",
            "imageTag=source",
            "--query",
            "images[0].imageManifest",
            "--output",
            "text",
        ],
        env,
    )

    def run() -> object:
        manifest = get().stdout.rstrip("\n")  # type: ignore[attr-defined]
        for tag in tags:
            command_runner(
                [
                    aws,
                    "ecr",
                    "put-image",
                    "--repository-name",
                    REPO,
                    "--image-tag",
                    tag,
                    "--image-manifest",
                    manifest,
                ],
                env,
            )()
        return None

    return run


def aws_untag_loop(aws: str, env: dict[str, str]) -> Callable[[], object]:
    listing = command_runner(
        [
            aws,
            "ecr",
            "list-images",
            "--repository-name",
            REPO,
            "--filter",
            "tagStatus=UNTAGGED",
            "--query",
            "imageIds[].imageDigest",
            "--output",
            "text",
        ],
        env,
    )

    def run() -> object:
        digests = listing().stdout.split()  # type: ignore[attr-defined]
        for start in range(0, len(digests), 100):
            ids = [f"imageDigest={d}" for d in digests[start : start + 100]]
            command_runner(
                [aws, "ecr", "batch-delete-image", "--repository-name", REPO, "--image-ids", *ids],
                env,
            )()
        return None

    return run


def calls_text(counts: Counter[str]) -> str:
    return " + ".join(f"{n} {op}" for op, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tags", type=int, default=50)
    parser.add_argument("--images", type=int, default=5000)
    args = parser.parse_args()
    aws = tool("aws")
    serialize_moto_ecr_writes()
    source = synthetic_manifest("bench-source")
    new_tags = [f"release-{n}" for n in range(args.tags)]
    untagged = [(None, synthetic_manifest(f"bench-{n}", layers=1)) for n in range(args.images)]
    figures: list[Figure] = []
    compare: dict[str, str] = {}
    problems: list[str] = []

    with emulator_env() as (emulator, base_env):
        proxy = CountingProxy(emulator.endpoint)
        with proxy.running() as endpoint:
            env = {**base_env, "AWS_ENDPOINT_URL": endpoint}

            def retag_setup() -> None:
                reset_repository(emulator.region, [("source", source)])
                proxy.take()

            def untag_setup() -> None:
                reset_repository(emulator.region, untagged)
                proxy.take()

            def check_untag_done() -> None:
                left = backend(emulator.region).repositories[REPO].images
                if left:
                    problems.append(f"untag left {len(left)} images")

            cases: list[tuple[str, Callable[[], None], Callable[[], object], str]] = [
                (
                    f"ecrctl retag to {args.tags} tags",
                    retag_setup,
                    command_runner([*ecrctl(), "retag", REPO, "source", *new_tags], env),
                    f"aws ecr retag loop ({args.tags} tags)",
                ),
                (
                    f"ecrctl untag {args.images} images",
                    untag_setup,
                    command_runner([*ecrctl(), "untag", REPO, "--untagged", "--yes"], env),
                    f"aws ecr batch-delete loop ({args.images} images)",
                ),
            ]
            if aws:
                cases += [
                    (
                        f"aws ecr retag loop ({args.tags} tags)",
                        retag_setup,
                        aws_retag_loop(aws, env, new_tags),
                        "",
                    ),
                    (
                        f"aws ecr batch-delete loop ({args.images} images)",
                        untag_setup,
                        aws_untag_loop(aws, env),
                        "",
                    ),
                ]
            for name, setup, action, other in cases:
                counts: Counter[str] = Counter()

                def counted(
                    action: Callable[[], object] = action,
                    counts: Counter[str] = counts,
                    deletes: bool = "untag" in name or "delete" in name,
                ) -> object:
                    result = action()
                    counts.update(proxy.take())
                    if deletes:
                        check_untag_done()
                    return result

                median = timed(setup, counted, args.runs)
                per_run = Counter({op: n // args.runs for op, n in counts.items()})
                figures.append(Figure(name, median, args.runs, calls=calls_text(per_run)))
                if other:
                    compare[name] = other
                if name.startswith("ecrctl retag") and (
                    per_run["BatchGetImage"] != 1 or per_run["PutImage"] != args.tags
                ):
                    problems.append(f"{name}: expected 1 BatchGetImage + {args.tags} PutImage")
                if name.startswith("ecrctl untag") and per_run["BatchDeleteImage"] != -(
                    -args.images // 100
                ):
                    problems.append(f"{name}: expected {-(-args.images // 100)} BatchDeleteImage")

    print_table(
        f"retag to {args.tags} tags and untag of {args.images} images (moto server, "
        "calls counted at a proxy)",
        figures,
        compare,
    )
    if problems:
        raise SystemExit("benchmark checks failed: " + "; ".join(problems))


if __name__ == "__main__":
    main()
