"""The demo's daemonless build (ecrctl/sandbox/buildlayout.py) is an OCI layout other tools take:
skopeo, the independent reader, finds the tag, reads the index by its digest and copies every
platform's blobs out of it (checking each against its digest)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ecrctl.sandbox.buildlayout import PLATFORMS, write_build_layout
from tests.needed import unavailable

pytestmark = pytest.mark.e2e


def skopeo(*args: str) -> subprocess.CompletedProcess[bytes]:
    if shutil.which("skopeo") is None:
        unavailable("skopeo not installed (apt-get install skopeo)")
    return subprocess.run(["skopeo", *args], capture_output=True, timeout=120, check=False)


def test_skopeo_reads_and_copies_the_demo_build_layout(tmp_path: Path) -> None:
    index = write_build_layout(tmp_path / "build", "demo/app", "2.0.0")
    raw = skopeo("inspect", "--raw", f"oci:{tmp_path / 'build'}:2.0.0")
    assert raw.returncode == 0, raw.stderr
    assert "sha256:" + hashlib.sha256(raw.stdout).hexdigest() == index.digest
    doc = json.loads(raw.stdout)
    platforms = [f"{m['platform']['os']}/{m['platform']['architecture']}" for m in doc["manifests"]]
    assert platforms == list(PLATFORMS)

    copied = skopeo(
        "copy", "--all", "--preserve-digests",
        f"oci:{tmp_path / 'build'}:2.0.0", f"oci:{tmp_path / 'copy'}:2.0.0",
    )  # fmt: skip
    assert copied.returncode == 0, copied.stderr
    again = skopeo("inspect", "--raw", f"oci:{tmp_path / 'copy'}:2.0.0")
    assert again.stdout == raw.stdout
    arm = skopeo("inspect", "--override-arch", "arm64", f"oci:{tmp_path / 'build'}:2.0.0")
    assert arm.returncode == 0, arm.stderr
    image = json.loads(arm.stdout)
    assert image["Architecture"] == "arm64"
    assert image["Labels"]["org.opencontainers.image.version"] == "2.0.0"
    assert len(image["Layers"]) == 2
