"""ecrctl retag / untag as a subprocess against a moto server over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecrctl.core.names import OCI_INDEX, OCI_MANIFEST
from ecrctl.sandbox.images import (
    put_synthetic,
    seed_repository,
    synthetic_index,
    synthetic_manifest,
)
from tests.moto_serial import serialize_moto_ecr_writes

pytestmark = pytest.mark.e2e

URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app"


@pytest.fixture(autouse=True)
def _serial_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    serialize_moto_ecr_writes(monkeypatch)  # the server runs in this process


def _tags(ecr: Any, repo: str) -> dict[str, str]:
    details = ecr.describe_images(repositoryName=repo)["imageDetails"]
    return {t: d["imageDigest"] for d in details for t in d.get("imageTags", [])}


def test_retag_multi_arch_index_from_a_pasted_uri_then_rerun(
    run_ecrctl: Any, server_ecr: Any
) -> None:
    server_ecr.create_repository(repositoryName="team/app")
    kids = [synthetic_manifest(f"k{n}", media_type=OCI_MANIFEST) for n in range(2)]
    for kid in kids:
        put_synthetic(server_ecr, "team/app", kid)
    index = synthetic_index([(kids[0], "linux/amd64"), (kids[1], "linux/arm64")])
    put_synthetic(server_ecr, "team/app", index, "1.4.2")

    first = run_ecrctl("-o", "json", "retag", URI, "1.4.2", "stable", "prod")
    assert first.exit_code == 0, first.stderr
    doc = json.loads(first.stdout)
    assert doc["mediaType"] == OCI_INDEX
    assert [t["outcome"] for t in doc["tags"]] == ["created", "created"]
    got = server_ecr.batch_get_image(repositoryName="team/app", imageIds=[{"imageTag": "prod"}])[
        "images"
    ][0]
    assert got["imageManifest"] == index.manifest
    assert got["imageManifestMediaType"] == OCI_INDEX

    again = run_ecrctl("-o", "text", "retag", "team/app", "1.4.2", "stable", "prod")
    assert again.exit_code == 0, again.stderr
    assert again.stdout == (
        f"stable\tunchanged\t{index.digest}\t{index.digest}\n"
        f"prod\tunchanged\t{index.digest}\t{index.digest}\n"
    )


def test_retag_no_clobber_and_immutable_exit_codes(run_ecrctl: Any, server_ecr: Any) -> None:
    server_ecr.create_repository(repositoryName="app")
    old, _ = seed_repository(server_ecr, "app", ["latest", "v2"])
    refused = run_ecrctl("retag", "app", "v2", "latest", "--no-clobber")
    assert refused.exit_code == 1 and "nothing changed" in refused.stderr
    assert _tags(server_ecr, "app")["latest"] == old

    server_ecr.create_repository(repositoryName="frozen", imageTagMutability="IMMUTABLE")
    seed_repository(server_ecr, "frozen", ["release", "v2"])
    partial = run_ecrctl("-o", "text", "retag", "frozen", "v2", "release", "extra")
    assert partial.exit_code == 1
    assert [line.split("\t")[:2] for line in partial.stdout.splitlines()] == [
        ["release", "refused"],
        ["extra", "created"],
    ]
    assert "release: refused:" in partial.stderr and "Traceback" not in partial.stderr


def test_untag_dry_run_then_yes_with_multi_arch(run_ecrctl: Any, server_ecr: Any) -> None:
    server_ecr.create_repository(repositoryName="app")
    kid = synthetic_manifest("kid", media_type=OCI_MANIFEST)
    put_synthetic(server_ecr, "app", kid)
    index = synthetic_index([(kid, "linux/amd64")])
    put_synthetic(server_ecr, "app", index, "v1")
    single = synthetic_manifest("single")
    for tag in ("a", "b"):
        put_synthetic(server_ecr, "app", single, tag)
    orphan = synthetic_manifest("orphan")
    put_synthetic(server_ecr, "app", orphan)

    plan = run_ecrctl("-o", "json", "untag", "app", "a", "--untagged", "--dry-run")
    assert plan.exit_code == 0, plan.stderr
    doc = json.loads(plan.stdout)
    assert doc["dryRun"] is True
    assert [(r["action"], r["ref"]) for r in doc["removals"]] == [
        ("delete", orphan.digest),
        ("untag", "a"),
    ]
    assert doc["kept"][0]["digest"] == kid.digest and doc["kept"][0]["heldBy"] == [index.digest]
    assert len(server_ecr.describe_images(repositoryName="app")["imageDetails"]) == 4

    no_yes = run_ecrctl("untag", "app", "a")
    assert no_yes.exit_code == 2 and "--yes" in no_yes.stderr

    done = run_ecrctl("untag", "app", "a", "--untagged", "--yes")
    assert done.exit_code == 0, done.stderr
    assert "a: only this tag is removed" in done.stderr
    assert f"still referenced by index {index.digest} (v1)" in done.stderr
    assert _tags(server_ecr, "app") == {"v1": index.digest, "b": single.digest}

    whole = run_ecrctl("untag", "app", "v1", "--untagged", "--yes")
    assert whole.exit_code == 0, whole.stderr
    assert "removed 2 image(s) from app" in whole.stderr
    assert _tags(server_ecr, "app") == {"b": single.digest}


def test_untag_hundreds_in_chunks_with_progress(run_ecrctl: Any, server_ecr: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    server_ecr.create_repository(repositoryName="app")
    images = [synthetic_manifest(f"i{n}", layers=1) for n in range(230)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda image: put_synthetic(server_ecr, "app", image), images))
    done = run_ecrctl("untag", "app", "--untagged", "--yes")
    assert done.exit_code == 0, done.stderr
    assert "untag: 230/230 ids" in done.stderr
    assert "removed 230 image(s) from app" in done.stderr
    assert server_ecr.describe_images(repositoryName="app")["imageDetails"] == []
