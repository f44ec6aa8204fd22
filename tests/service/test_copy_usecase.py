"""The copy use case (core/copy/run.py) between two real docker-registry processes, without the
CLI: what it returns, what it notes as it goes, when it starts the progress, and that registries
which are not ECR never ask the caller for AWS tokens or clients."""

from __future__ import annotations

import os
from typing import Any

import pytest

from ecrctl.core.copy.copy import Progress
from ecrctl.core.copy.run import CopyOptions, Watch, run_copy
from ecrctl.core.copy.sides import CopyAccess
from ecrctl.core.distribution.resume import UploadStates
from ecrctl.core.exceptions import NotFound, Refused
from ecrctl.core.names import destination, parse_reference
from tests import oci_registries
from tests.oci_registries import manifest_exists, push_image, push_index, skopeo_digest

registries = oci_registries.registries


def _no_aws(*args: Any) -> Any:
    raise AssertionError(f"asked AWS for {args}: neither side is an ECR registry")


ACCESS = CopyAccess(fetch_tokens=_no_aws, clients=_no_aws, docker_credentials=lambda host: None)


class Watcher:
    """Records the notes, and each start of the transfer with its totals and blobs."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.starts: list[tuple[int, int]] = []
        self.blobs: list[str] = []
        self.bytes = 0

    def watch(self) -> Watch:
        def start(total_bytes: int, total_blobs: int) -> Progress:
            self.starts.append((total_bytes, total_blobs))
            return Progress(
                on_bytes=self._count, on_blob=lambda blob: self.blobs.append(blob.status)
            )

        return Watch(note=self.notes.append, start=start)

    def _count(self, count: int) -> None:
        self.bytes += count


def _copy(src: str, dst: str, watcher: Watcher, tmp_path: Any, **options: Any) -> Any:
    ref = parse_reference(src)
    return run_copy(
        ref,
        destination(dst, ref),
        ACCESS,
        options=CopyOptions(states=UploadStates(str(tmp_path / "uploads")), **options),
        watch=watcher.watch(),
    )


def test_dry_run_then_copy_then_rerun(registries: Any, tmp_path: Any) -> None:
    one, two = registries
    digest, _ = push_image(one.host, "usecase/app", "1", [os.urandom(3000), os.urandom(1000)])
    src, dst = f"{one.host}/usecase/app:1", f"{two.host}/usecase/copy"

    dry = Watcher()
    planned = _copy(src, dst, dry, tmp_path, dry_run=True)
    assert (planned.result.status, planned.result.dry_run, planned.result.digest) == (
        "dry-run",
        True,
        digest,
    )
    assert planned.plan.bytes_to_move() > 4000 and dry.starts == [] and dry.notes == []
    assert (planned.created, planned.mounting, planned.refused) == (None, None, None)
    assert not manifest_exists(two.host, "usecase/copy", "1")  # a dry run writes nothing

    run = Watcher()
    copied = _copy(src, dst, run, tmp_path)
    assert (copied.result.status, copied.result.verified) == ("copied", digest)
    assert run.starts == [(planned.plan.bytes_to_move(), 3)]  # config and two layers
    assert sorted(run.blobs) == ["copied"] * 3 and run.bytes == copied.result.bytes_moved
    assert copied.destination.tag == "1" and copied.destination.host == two.host
    assert skopeo_digest(two.host, "usecase/copy", "1") == digest

    again = Watcher()
    unchanged = _copy(src, dst, again, tmp_path)
    assert (unchanged.result.status, unchanged.result.bytes_moved) == ("unchanged", 0)
    assert again.starts == [(0, 0)] and again.blobs == []


def test_platform_is_noted_and_copied_on_its_own(registries: Any, tmp_path: Any) -> None:
    one, two = registries
    _, amd = push_image(one.host, "usecase/multi", None, [os.urandom(500)])
    arm_digest, arm = push_image(one.host, "usecase/multi", None, [os.urandom(600)], arch="arm64")
    push_index(one.host, "usecase/multi", "2", [amd, arm])
    watcher = Watcher()
    outcome = _copy(
        f"{one.host}/usecase/multi:2",
        f"{two.host}/usecase/arm",
        watcher,
        tmp_path,
        platform="linux/arm64",
    )
    assert outcome.result.digest == arm_digest and outcome.result.verified == arm_digest
    assert watcher.notes == [
        f"--platform linux/arm64: copying {arm_digest} on its own; the index 2 is not "
        "copied, so DST names the platform's digest"
    ]


def test_no_clobber_is_noted_in_a_dry_run_and_refused_otherwise(
    registries: Any, tmp_path: Any
) -> None:
    one, two = registries
    push_image(two.host, "usecase/kept", "stable", [os.urandom(700)])
    held = skopeo_digest(two.host, "usecase/kept", "stable")
    push_image(one.host, "usecase/new", "stable", [os.urandom(800)])
    src, dst = f"{one.host}/usecase/new:stable", f"{two.host}/usecase/kept"
    dry = Watcher()
    planned = _copy(src, dst, dry, tmp_path, dry_run=True, no_clobber=True)
    assert planned.refused == "--no-clobber was given" and planned.plan.tag_status == "move"
    assert dry.notes == [
        f"dry run: the tag stable names {held}, and --no-clobber was given: "
        "the copy would be refused"
    ]
    with pytest.raises(Refused, match="--no-clobber was given; nothing changed"):
        _copy(src, dst, Watcher(), tmp_path, no_clobber=True)
    assert skopeo_digest(two.host, "usecase/kept", "stable") == held


def test_a_missing_source_is_not_found(registries: Any, tmp_path: Any) -> None:
    one, two = registries
    with pytest.raises(NotFound, match="not found"):
        _copy(f"{one.host}/usecase/absent:1", f"{two.host}/usecase/x", Watcher(), tmp_path)
