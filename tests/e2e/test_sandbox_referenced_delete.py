"""The sandbox keeps an image that an index in its repository references, as ECR does:
BatchDeleteImage reports a failure ``ImageReferencedByManifestList`` for that image id (and
for the last tags of such an image), the /v2/ DELETE of it is refused, and ``ecrctl untag``
reports it as it reports any id ECR refuses: one line, exit 1 (ecrctl/sandbox/references.py)."""

from __future__ import annotations

import os
import select
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecrctl.sandbox.emulator import Emulator
from ecrctl.sandbox.images import put_synthetic, synthetic_index, synthetic_manifest
from tests.conftest import drain_terminal, ecrctl_command, seeded_emulator

pytestmark = pytest.mark.e2e

REPO = "held/app"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
REFUSED = {
    "failureCode": "ImageReferencedByManifestList",
    "failureReason": "Requested image referenced by manifest list",
}


@pytest.fixture
def seeded(isolated_env: Path) -> Iterator[Emulator]:
    with seeded_emulator() as emulator:
        yield emulator


def put_index(ecr: Any, children: dict[str, Any], tag: str) -> str:
    index = synthetic_index([(c, f"linux/{a}") for a, c in children.items()], media_type=OCI_INDEX)
    put_synthetic(ecr, REPO, index, tag)
    return index.digest


def digests(ecr: Any) -> set[str]:
    return {str(i["imageDigest"]) for i in ecr.list_images(repositoryName=REPO)["imageIds"]}


def test_batch_delete_refuses_an_image_an_index_references(seeded: Emulator) -> None:
    ecr = seeded.client("ecr")
    ecr.create_repository(repositoryName=REPO)
    amd = synthetic_manifest("amd64", media_type=OCI_MANIFEST)
    arm = synthetic_manifest("arm64", media_type=OCI_MANIFEST)
    stray = synthetic_manifest("stray", media_type=OCI_MANIFEST)
    put_synthetic(ecr, REPO, amd, "amd-only")  # its only tag
    put_synthetic(ecr, REPO, arm)
    put_synthetic(ecr, REPO, stray)
    index = put_index(ecr, {"amd64": amd, "arm64": arm}, "1.0")

    # A referenced child by digest: refused, the rest of the request goes through.
    ids = [{"imageDigest": arm.digest}, {"imageDigest": stray.digest}]
    done = ecr.batch_delete_image(repositoryName=REPO, imageIds=ids)
    assert done["failures"] == [{"imageId": {"imageDigest": arm.digest}, **REFUSED}]
    assert digests(ecr) == {amd.digest, arm.digest, index}  # the stray went
    # The last tag of a referenced child would delete it: refused too.
    done = ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageTag": "amd-only"}])
    assert (done["imageIds"], done["failures"]) == (
        [],
        [{"imageId": {"imageTag": "amd-only"}, **REFUSED}],
    )
    assert digests(ecr) == {amd.digest, arm.digest, index}
    assert "amd-only" in {
        i.get("imageTag") for i in ecr.list_images(repositoryName=REPO)["imageIds"]
    }
    # A tag of a child that keeps another tag is only a tag: removed.
    ecr.put_image(repositoryName=REPO, imageManifest=amd.manifest, imageTag="second")
    done = ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageTag": "amd-only"}])
    assert done["failures"] == []
    tags = {i.get("imageTag") for i in ecr.list_images(repositoryName=REPO)["imageIds"]}
    assert tags == {"second", "1.0", None}
    # The index gone, its children go.
    ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageDigest": index}])
    done = ecr.batch_delete_image(repositoryName=REPO, imageIds=[{"imageDigest": arm.digest}])
    assert done["failures"] == [] and digests(ecr) == {amd.digest}


def read_until(fd: int, wanted: bytes, limit: float = 60) -> bytes:
    """What the terminal shows, up to ``wanted`` (select waits on the fd: no sleeps)."""
    seen = b""
    end = time.monotonic() + limit
    while wanted not in seen:
        left = end - time.monotonic()
        assert left > 0, f"no {wanted!r} on the terminal: {seen!r}"
        if select.select([fd], [], [], left)[0]:
            seen += os.read(fd, 65536)
    return seen


def test_untag_reports_an_image_ecr_keeps_for_an_index(seeded: Emulator) -> None:
    """An index pushed after untag planned (while it asks): the sandbox refuses the child as
    ECR would, and untag says so for that image, exit 1."""
    import pty

    ecr = seeded.client("ecr")
    ecr.create_repository(repositoryName=REPO)
    arm = synthetic_manifest("arm64", media_type=OCI_MANIFEST)
    stray = synthetic_manifest("stray", media_type=OCI_MANIFEST)
    put_synthetic(ecr, REPO, arm)
    put_synthetic(ecr, REPO, stray)
    leader, follower = pty.openpty()
    env = {**os.environ, **seeded.environment(), "AWS_MAX_ATTEMPTS": "1", "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [*ecrctl_command(), "untag", REPO, f"@{arm.digest}", f"@{stray.digest}"],
        env=env, stdin=follower, stdout=subprocess.PIPE, stderr=follower,
        start_new_session=True,
    )  # fmt: skip
    try:
        os.close(follower)
        read_until(leader, b"[y/N]")
        index = put_index(ecr, {"arm64": arm}, "late")
        os.write(leader, b"y\n")
        out, _ = proc.communicate(timeout=60)
        shown = drain_terminal(leader)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    err = shown.decode(errors="replace").replace("\r\n", "\n")
    assert proc.returncode == 1, err
    refused = [line for line in err.splitlines() if "ImageReferencedByManifestList" in line]
    assert refused == [
        f"failed {arm.digest}: ImageReferencedByManifestList: "
        "Requested image referenced by manifest list"
    ], err
    assert f"removed 1 image(s) from {REPO}; not removed: 1 image(s)" in err
    assert err.rstrip().endswith(f"ecrctl: 1 id(s) not removed from {REPO} (listed above)")
    assert "Traceback" not in err
    rows = out.decode().splitlines()  # stdout: the removals, one a line
    assert [r for r in rows if arm.digest in r and "failed" in r] != [], rows
    assert [r for r in rows if stray.digest in r and "removed" in r] != [], rows
    assert digests(ecr) == {arm.digest, index}  # the stray went; the child and index stay
