"""ecrctl under faults: 10% of ECR calls fail (429, 500, 503, connection reset), as a subprocess.

The faithful proxy (tests/ecrproxy.py) decides faults before a call reaches moto, so a faulted
call changes nothing and each fault costs exactly one retry: the call counts prove that retries
are bounded, and the final state in moto proves that nothing extra was deleted or left out.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Outcome
from tests.ecrproxy import ALL_FAULT_KINDS, EcrProxy, seed_images
from tests.moto_serial import serialize_moto_ecr_writes

pytestmark = pytest.mark.e2e

RETRYING = {"AWS_MAX_ATTEMPTS": "8", "AWS_RETRY_MODE": "standard"}
# Two attempts: some faults reach ecrctl, lost answers make botocore resend applied writes.
# One call at a time: the seeded fault sequence meets the same calls in the same order.
FAULTY = {"AWS_MAX_ATTEMPTS": "2", "AWS_RETRY_MODE": "standard", "ECRCTL_CONCURRENCY": "1"}


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


def _aborted_before_any_change(done: Outcome) -> bool:
    """A read that failed before any write: exit 1, nothing on stdout, one error line."""
    lines = done.stderr.strip().splitlines()
    return done.exit_code == 1 and not done.stdout and lines[-1].startswith("ecrctl: ")


def assert_retag_report_is_exact(
    done: Outcome, before: dict[str, str], after: dict[str, str], source: str
) -> None:
    if _aborted_before_any_change(done):
        assert after == before
        return
    doc = json.loads(done.stdout)
    for row in doc["tags"]:
        tag, outcome, reason = row["tag"], row["outcome"], row["reason"] or ""
        if outcome in {"created", "moved", "unchanged"}:
            was = before.get(tag)
            held = "unchanged" if was == source else "moved" if was else "created"
            assert (outcome, after.get(tag)) == (held, source), row
        elif "not confirmed" not in reason:  # a lost answer that no read could settle
            assert after.get(tag) == before.get(tag), row
    counts = Counter(row["outcome"] for row in doc["tags"])
    summary = ", ".join(f"{n} {what}" for what, n in counts.items())
    assert f": {summary}\n" in done.stderr, done.stderr
    assert (
        (done.exit_code == 0)
        == doc["ok"]
        == all(r["outcome"] in {"created", "moved", "unchanged"} for r in doc["tags"])
    )


def assert_untag_report_is_exact(
    done: Outcome, before: dict[str, set[str]], after: dict[str, set[str]]
) -> None:
    if _aborted_before_any_change(done):
        assert after == before
        return
    doc = json.loads(done.stdout)
    for row in doc["removals"]:
        digest, reason = row["digest"], row["reason"] or ""
        gone = (
            digest not in after
            if row["action"] == "delete"
            else row["ref"] not in after.get(digest, set())
        )
        if row["status"] == "removed":
            assert gone, row
        elif "not confirmed" not in reason:
            assert not gone, row
    removed = Counter(r["action"] for r in doc["removals"] if r["status"] == "removed")
    assert (done.exit_code == 0) == doc["ok"]
    if doc["removals"]:
        amount = " and ".join(
            [f"{removed['untag']} tag(s)"] * bool(removed["untag"])
            + [f"{removed['delete']} image(s)"] * bool(removed["delete"] or not removed["untag"])
        )
        assert f"removed {amount} from team/app" in done.stderr, done.stderr


def images(ecr: Any, repository: str) -> dict[str, set[str]]:
    pages = ecr.get_paginator("describe_images").paginate(repositoryName=repository)
    return {d["imageDigest"]: set(d.get("imageTags", [])) for p in pages for d in p["imageDetails"]}


@pytest.mark.parametrize("rate", [0.1, 0.3])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_limits_faults_retag_and_untag_report_exactly_what_ecr_holds_then_reruns_finish(
    ecr_proxy: Callable[..., EcrProxy], run_ecrctl: Any, server_ecr: Any, rate: float, seed: int
) -> None:
    seeded = seed_images("team/app", 30)
    source_tag, source = seeded[0]
    assert source_tag is not None
    proxy = ecr_proxy(
        latency=0, fault_rate=rate, seed=seed, fault_kinds=ALL_FAULT_KINDS, put_image_rate=None
    )
    env = {**FAULTY, "AWS_ENDPOINT_URL": proxy.url}
    new_tags = [f"release-{n}" for n in range(20)]
    moved = [str(seeded[n][0]) for n in (1, 2, 3)]  # three tags that move to the source
    expected = {**tags_by_digest(server_ecr, "team/app"), **{t: source for t in new_tags + moved}}
    runs = []
    for _ in range(10):  # every run says what it did; re-runs finish the rest
        before = tags_by_digest(server_ecr, "team/app")
        done = run_ecrctl(
            "-o", "json", "retag", "team/app", source_tag, *new_tags, *moved, env=env, timeout=240
        )  # fmt: skip
        assert "Traceback" not in done.stderr
        assert_retag_report_is_exact(done, before, tags_by_digest(server_ecr, "team/app"), source)
        runs.append(done.exit_code)
        if done.exit_code == 0:
            break
    assert tags_by_digest(server_ecr, "team/app") == expected, runs
    # Then remove every tag-* tag and the images left untagged: only the release tags stay.
    for _ in range(10):
        before_images = images(server_ecr, "team/app")
        done = run_ecrctl(
            "-o", "json", "untag", "team/app", "--match", "tag-*", "--untagged", "--yes",
            env=env, timeout=240,
        )  # fmt: skip
        assert "Traceback" not in done.stderr
        assert_untag_report_is_exact(done, before_images, images(server_ecr, "team/app"))
        runs.append(done.exit_code)
        if done.exit_code == 0:
            break
    assert images(server_ecr, "team/app") == {source: set(new_tags)}, runs
    assert proxy.faults.total() > 0, proxy.stats()
    print(f"rate={rate} seed={seed} exits={runs} faults={Counter(k for _, k in proxy.fault_log)}")


def test_limits_faults_network_down_mid_retag_reports_each_tag_and_a_rerun_completes(
    ecr_proxy: Callable[..., EcrProxy], run_ecrctl: Any, server_ecr: Any
) -> None:
    seed_images("team/app", 3)
    proxy = ecr_proxy(latency=0, put_image_rate=None)
    proxy.outage(after=3, operation="PutImage")  # three tags made, then the network is gone
    env = {**FAULTY, "AWS_ENDPOINT_URL": proxy.url}
    new_tags = [f"new-{n}" for n in range(10)]
    done = run_ecrctl("-o", "text", "retag", "team/app", "tag-0", *new_tags, env=env)
    assert done.exit_code == 1, done.stderr
    outcomes = [line.split("\t")[:2] for line in done.stdout.splitlines()]
    assert outcomes == [[t, "created"] for t in new_tags[:3]] + [["new-3", "failed"]] + [
        [t, "skipped"] for t in new_tags[4:]
    ]
    assert "3 created, 1 failed, 6 skipped" in done.stderr
    assert "new-3: failed: " in done.stderr and "not confirmed" in done.stderr
    assert "7 of 10 tag(s) not applied: new-3 (failed), new-4 (skipped)" in done.stderr
    assert "Traceback" not in done.stderr
    made = tags_by_digest(server_ecr, "team/app")
    assert sorted(t for t in made if t.startswith("new-")) == new_tags[:3]
    proxy.heal()
    again = run_ecrctl("-o", "text", "retag", "team/app", "tag-0", *new_tags, env=env)
    assert again.exit_code == 0, again.stderr
    assert "3 unchanged, 7 created" in again.stderr
    assert {t for t in tags_by_digest(server_ecr, "team/app") if t.startswith("new-")} == set(
        new_tags
    )


def test_limits_faults_network_down_mid_untag_reports_each_image_and_a_rerun_completes(
    ecr_proxy: Callable[..., EcrProxy], run_ecrctl: Any, server_ecr: Any
) -> None:
    seed_images("team/app", 250)
    proxy = ecr_proxy(latency=0)
    proxy.outage(after=1, operation="BatchDeleteImage")  # 100 images go, then the network is gone
    env = {**FAULTY, "AWS_ENDPOINT_URL": proxy.url}
    done = run_ecrctl("-o", "text", "untag", "team/app", "--match", "tag-*", "--yes", env=env)
    assert done.exit_code == 1, done.stderr
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    assert Counter(row[3] for row in rows) == {"removed": 100, "failed": 100, "skipped": 50}
    assert all(row[1].startswith("tag-") for row in rows)  # text rows name the tag
    assert "removed 100 image(s) from team/app; not removed: 150 image(s)" in done.stderr
    assert "150 id(s) not removed from team/app (listed above)" in done.stderr
    left = images(server_ecr, "team/app")
    assert set(left) == {row[2] for row in rows if row[3] != "removed"}
    proxy.heal()
    again = run_ecrctl("-o", "text", "untag", "team/app", "--match", "tag-*", "--yes", env=env)
    assert again.exit_code == 0, again.stderr
    assert "removed 150 image(s) from team/app" in again.stderr
    assert images(server_ecr, "team/app") == {}
