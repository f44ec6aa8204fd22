"""ecrctl against the aws CLI under ECR's real limits: paging, latency, start-up.

    python bench/bench_ecr.py            # prints a markdown table of medians, ratios, API calls
    python bench/bench_ecr.py --runs 3 --images 2000

moto runs in this process (so its backend can be seeded directly: 10,000 images in a second,
where the API takes minutes) behind the faithful ECR proxy of tests/ecrproxy.py: ECR's page sizes
(100 by default, 1000 at most), 20 ms per call, call counts per operation. Both tools run as
subprocesses against the same proxy and the same data; the aws CLI (v1) pages with its own
defaults. Each figure is the median of ``--runs`` runs after one warm-up run.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import Figure, command_runner, median_ms, print_table  # noqa: E402
from ecrctl.sandbox.emulator import SANDBOX_ACCOUNT, SANDBOX_REGION, free_port  # noqa: E402
from tests.ecrproxy import EcrProxy, seed_images  # noqa: E402

BIG = "bench/big"


def executable(name: str) -> list[str]:
    """The real script next to this interpreter (a pyenv shim adds ~100 ms of bash per run)."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return [str(beside)]
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed")
    return [found]


@dataclass
class Case:
    name: str
    argv: list[str]
    runs: int
    compare_with: str | None = None
    max_calls: int | None = None
    max_ratio: float | None = None
    max_ms: float | None = None


def calls_text(counts: Counter[str]) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(counts.items())) or "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per AWS command")
    parser.add_argument("--startup-runs", type=int, default=15, help="timed runs for --help")
    parser.add_argument("--images", type=int, default=10_000, help="images in the big repository")
    parser.add_argument("--repositories", type=int, default=250, help="repositories to list")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="added to every ECR call")
    parser.add_argument(
        "--no-writes", dest="writes", action="store_false", help="skip retag and untag"
    )
    options = parser.parse_args()

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    seed_images(BIG, options.images, account=SANDBOX_ACCOUNT, region=SANDBOX_REGION)
    for n in range(options.repositories - 1):
        seed_images(f"bench/svc-{n:04d}", 1, account=SANDBOX_ACCOUNT, region=SANDBOX_REGION)
    proxy = EcrProxy(
        f"http://127.0.0.1:{port}", latency=options.latency_ms / 1000, cache_listings=True
    ).start()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECRCTL_"))},
        "AWS_ENDPOINT_URL": proxy.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": SANDBOX_REGION,
        "AWS_DEFAULT_REGION": SANDBOX_REGION,
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_PAGER": "",
        "ECRCTL_OUTPUT": "text",
        "NO_COLOR": "1",
    }
    ecrctl = executable("ecrctl")
    aws = executable("aws")
    n = options.images
    cases = [
        Case(
            f"ecrctl tags ({n} images)",
            [*ecrctl, "tags", BIG],
            options.runs,
            "aws ecr list-images (tags)",
            max_calls=10,
            max_ratio=0.3,
        ),
        Case(
            "aws ecr list-images (tags)",
            [
                *aws,
                "ecr",
                "list-images",
                "--repository-name",
                BIG,
                "--query",
                "imageIds[].imageTag",
                "--output",
                "text",
            ],
            options.runs,
        ),
        Case(
            f"ecrctl tags -o json ({n} images)",
            [*ecrctl, "-o", "json", "tags", BIG],
            options.runs,
            "aws ecr describe-images",
            max_calls=10,
        ),
        Case(
            f"ecrctl images ({n} images)",
            [*ecrctl, "-o", "json", "images", BIG],
            options.runs,
            "aws ecr describe-images",
            max_calls=10,
        ),
        Case(
            "aws ecr describe-images",
            [*aws, "ecr", "describe-images", "--repository-name", BIG, "--output", "json"],
            options.runs,
        ),
        Case(
            f"ecrctl repo list ({options.repositories} repos)",
            [*ecrctl, "repo", "list"],
            options.runs,
            "aws ecr describe-repositories",
            max_calls=1,
        ),
        Case(
            "aws ecr describe-repositories",
            [
                *aws,
                "ecr",
                "describe-repositories",
                "--query",
                "repositories[].repositoryName",
                "--output",
                "text",
            ],
            options.runs,
        ),
        Case(
            "ecrctl --help", [*ecrctl, "--help"], options.startup_runs, "aws --version", max_ms=120
        ),
        Case("ecrctl --version", [*ecrctl, "--version"], options.startup_runs, "aws --version"),
        Case("aws --version", [*aws, "--version"], options.startup_runs),
    ]
    figures: list[Figure] = []
    try:
        for case in cases:
            run = command_runner(case.argv, env)
            run()  # warm-up: fills the proxy's listing snapshot and the OS caches
            proxy.reset_counts()
            ms = median_ms(run, case.runs, warmup=0)
            counts = Counter({op: c // case.runs for op, c in proxy.counts.items()})
            figures.append(Figure(case.name, ms, case.runs, calls_text(counts)))
            figures[-1].note = verdict(case, counts)
            print(f"  {case.name}: {ms:.0f} ms", file=sys.stderr, flush=True)
        if options.writes:
            figures += write_figures(proxy, env, ecrctl, options.runs)
    finally:
        proxy.stop()
        moto.stop()
    print_table(
        f"ecrctl vs aws CLI v1 behind a faithful ECR proxy ({options.latency_ms:.0f} ms a call)",
        figures,
        {c.name: c.compare_with for c in cases if c.compare_with},
    )


def write_figures(
    proxy: EcrProxy, env: dict[str, str], ecrctl: list[str], runs: int
) -> list[Figure]:
    """retag to 50 tags and untag of 5,000 images under ECR's PutImage rate (10 a second).

    The aws CLI has no retag or untag: bench/bench_retag.py times its shell loops.
    """
    import statistics
    import time

    import pytest
    from moto.backends import get_backend

    from tests.moto_serial import serialize_moto_ecr_writes

    repository = "bench/writes"
    ecr = get_backend("ecr")[SANDBOX_ACCOUNT][SANDBOX_REGION]

    def reset(images: int) -> None:
        ecr.repositories.pop(repository, None)
        seed_images(repository, images, account=SANDBOX_ACCOUNT, region=SANDBOX_REGION)
        proxy.forget_listings()
        proxy.reset_counts()

    cases = [
        (
            "ecrctl retag to 50 tags",
            1,
            ["retag", repository, "tag-0", *[f"rel-{n}" for n in range(50)]],
        ),
        ("ecrctl untag of 5000 images", 5000, ["untag", repository, "--match", "tag-*", "--yes"]),
    ]
    figures = []
    with pytest.MonkeyPatch.context() as patch:
        serialize_moto_ecr_writes(patch)  # moto's ECR writes are not thread-safe; ECR's are
        for name, images, args in cases:
            samples = []
            for _ in range(runs):
                reset(images)
                started = time.perf_counter()
                command_runner([*ecrctl, *args], env)()
                samples.append((time.perf_counter() - started) * 1000)
            counts = Counter({op: c for op, c in proxy.counts.items()})
            figures.append(Figure(name, statistics.median(samples), runs, calls_text(counts)))
            print(f"  {name}: {figures[-1].median_ms:.0f} ms", file=sys.stderr, flush=True)
    return figures


def verdict(case: Case, counts: Counter[str]) -> str:
    """The targets of issue 8, checked on this run."""
    notes = []
    if case.max_calls is not None:
        listing = sum(counts[op] for op in ("ListImages", "DescribeImages", "DescribeRepositories"))
        notes.append(f"calls {listing} (target <= {case.max_calls})")
    if case.max_ratio is not None:
        notes.append(f"target <= {case.max_ratio}x")
    if case.max_ms is not None:
        notes.append(f"target <= {case.max_ms:.0f} ms")
    return "; ".join(notes)


if __name__ == "__main__":
    main()
