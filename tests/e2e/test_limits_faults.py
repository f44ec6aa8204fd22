"""ecrctl under faults: 10% of ECR calls fail (429, 500, 503, connection reset), as a subprocess.

The faithful proxy (tests/ecrproxy.py) decides faults before a call reaches moto, so a faulted
call changes nothing and each fault costs exactly one retry: the call counts prove that retries
are bounded, and the final state in moto proves that nothing extra was deleted or left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.ecrproxy import EcrProxy, seed_images
from tests.moto_serial import serialize_moto_ecr_writes

pytestmark = pytest.mark.e2e

RETRYING = {"AWS_MAX_ATTEMPTS": "8", "AWS_RETRY_MODE": "standard"}


@pytest.fixture(autouse=True)
def _serial_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    serialize_moto_ecr_writes(monkeypatch)  # the moto server runs in this process


def tags_by_digest(ecr: Any, repository: str) -> dict[str, str]:
    pages = ecr.get_paginator("describe_images").paginate(repositoryName=repository)
    return {
        t: d["imageDigest"]
        for p in pages
        for d in p["imageDetails"]
        for t in d.get("imageTags", [])
    }


def digests(ecr: Any, repository: str) -> set[str]:
    pages = ecr.get_paginator("describe_images").paginate(repositoryName=repository)
    return {d["imageDigest"] for p in pages for d in p["imageDetails"]}


def assert_each_fault_cost_one_retry(proxy: EcrProxy, ideal: dict[str, int]) -> None:
    """Every operation was called exactly as often as without faults, plus one per fault."""
    for operation, calls in ideal.items():
        extra = proxy.faults[operation] + proxy.throttled[operation]
        assert proxy.counts[operation] == calls + extra, (operation, proxy.stats())


def test_limits_faults_untag_of_1000_images_ends_in_exactly_the_expected_state(
    ecr_proxy: Callable[..., EcrProxy], run_ecrctl: Any, server_ecr: Any
) -> None:
    gone = seed_images("team/app", 1000)
    keep = seed_images("team/keep", 50)  # another repository: untouched
    proxy = ecr_proxy(latency=0, fault_rate=0.1, seed=9)  # a seed with faults in 12 calls
    targets = [tag for tag, _ in gone if tag is not None]
    done = run_ecrctl(  # a hang would end in subprocess.TimeoutExpired
        "untag", "team/app", *targets, "--yes",
        env={**RETRYING, "AWS_ENDPOINT_URL": proxy.url}, timeout=240,
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr[-2000:]
    assert digests(server_ecr, "team/app") == set()
    assert tags_by_digest(server_ecr, "team/keep") == {t: d for t, d in keep if t}
    assert proxy.faults.total() > 0, proxy.stats()
    # 1,000 images in chunks of 100: ten BatchDeleteImage calls and a retry per fault.
    assert proxy.counts["BatchDeleteImage"] - proxy.faults["BatchDeleteImage"] == 10
    assert_each_fault_cost_one_retry(proxy, {"BatchDeleteImage": 10})


def test_limits_faults_retag_to_100_tags_ends_in_exactly_the_expected_state(
    ecr_proxy: Callable[..., EcrProxy], run_ecrctl: Any, server_ecr: Any
) -> None:
    seeded = seed_images("team/app", 20)
    source_tag, source = seeded[3]
    assert source_tag is not None
    before = tags_by_digest(server_ecr, "team/app")
    proxy = ecr_proxy(latency=0.01, fault_rate=0.1, seed=7)  # PutImage throttled at 10/s
    new_tags = [f"release-{n}" for n in range(100)]
    # Five new tags already exist on other images: they move to the source.
    moved = [seeded[n][0] for n in range(5, 10)]
    done = run_ecrctl(
        "-o", "text", "retag", "team/app", source_tag, *new_tags, *moved,
        env={**RETRYING, "AWS_ENDPOINT_URL": proxy.url}, timeout=240,
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr[-2000:]
    after = tags_by_digest(server_ecr, "team/app")
    expected = {**before, **{t: source for t in [*new_tags, *moved]}}
    assert after == expected
    assert len(done.stdout.splitlines()) == 105
    assert proxy.faults["PutImage"] > 0
    assert_each_fault_cost_one_retry(proxy, {"PutImage": 105})


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("503", "ServiceUnavailableException"),
        ("500", "ServerException"),
        ("throttle", "throttled by AWS"),
        ("reset", "cannot reach AWS"),
    ],
)
def test_limits_faults_persistent_failure_ends_with_a_clear_message_and_exit_1(
    ecr_proxy: Callable[..., EcrProxy], run_ecrctl: Any, kind: str, message: str
) -> None:
    seed_images("team/app", 5)
    proxy = ecr_proxy(latency=0, fault_rate=1.0, fault_kinds=[kind])
    done = run_ecrctl(  # bounded: three attempts, then an answer (a hang: TimeoutExpired)
        "tags", "team/app", env={"AWS_MAX_ATTEMPTS": "3", "AWS_ENDPOINT_URL": proxy.url}
    )
    assert done.exit_code == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ecrctl: "), done.stderr
    assert message in lines[0]
    assert "Traceback" not in done.stderr
    assert proxy.counts["DescribeImages"] + proxy.counts["ListImages"] == 3  # AWS_MAX_ATTEMPTS


def test_limits_faults_persistent_write_failures_change_nothing_and_exit_1(
    ecr_proxy: Callable[..., EcrProxy], run_ecrctl: Any, server_ecr: Any
) -> None:
    seeded = seed_images("team/app", 150)
    before = tags_by_digest(server_ecr, "team/app")
    proxy = ecr_proxy(
        latency=0, fault_rate=1.0, fault_kinds=["503"],
        fault_operations=["BatchDeleteImage", "PutImage"],
    )  # fmt: skip
    env = {"AWS_MAX_ATTEMPTS": "2", "AWS_ENDPOINT_URL": proxy.url}
    untag = run_ecrctl("untag", "team/app", *[t for t, _ in seeded if t], "--yes", env=env)
    assert untag.exit_code == 1, untag.stderr
    assert "Traceback" not in untag.stderr and untag.stderr.strip()
    assert proxy.counts["BatchDeleteImage"] == 2 * 2  # two chunks, two attempts each
    retag = run_ecrctl("retag", "team/app", "tag-0", "new-1", "new-2", env=env, timeout=120)
    assert retag.exit_code == 1, retag.stderr
    assert "Traceback" not in retag.stderr and retag.stderr.strip()
    assert tags_by_digest(server_ecr, "team/app") == before
