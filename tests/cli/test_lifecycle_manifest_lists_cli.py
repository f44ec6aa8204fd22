"""``ecrctl lifecycle preview`` / ``put`` on multi-arch images (issue 19), in-process against moto:
an index tagged ``latest`` over untagged platform manifests, and one untagged stray image."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecrctl.cli.output import short_digest
from ecrctl.core.names import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST
from tests.conftest import put_buildx_image

REPO = "team/app"


def _rule(tag_status: str) -> dict[str, Any]:
    return {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {
                    "tagStatus": tag_status,
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 1,
                },
                "action": {"type": "expire"},
            }
        ]
    }


@pytest.fixture(params=[(OCI_INDEX, OCI_MANIFEST), (DOCKER_LIST, DOCKER_MANIFEST)])
def buildx(request: Any, ecr: Any) -> dict[str, str]:
    index_type, child_type = request.param
    return put_buildx_image(ecr, REPO, index_type, child_type)


def _policy(tmp_path: Path, tag_status: str) -> str:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(_rule(tag_status), indent=2))
    return str(path)


def test_preview_keeps_the_platform_manifests_of_a_kept_index(
    cli: Any, buildx: dict[str, str], tmp_path: Path
) -> None:
    args = ("lifecycle", "preview", REPO, "--policy", _policy(tmp_path, "untagged"), "--at", "+2d")
    text = cli("-o", "text", *args)
    assert text.exit_code == 0, text.stderr
    assert text.stdout.splitlines() == [f"{buildx['stray']}\t-\t1\texpire"]
    assert "1 to expire" in text.stderr and "2 because a kept index references them" in text.stderr

    doc = json.loads(cli("-o", "json", *args).stdout)
    assert doc["summary"] == {"expire": 1, "transition": 0, "keep": 3, "later": 0}
    held = {e["digest"]: e["referencedBy"] for e in doc["kept"] if e["referencedBy"]}
    assert held == {buildx["amd64"]: [buildx["index"]], buildx["arm64"]: [buildx["index"]]}

    table = cli("-o", "table", *args)
    assert table.stdout.count(f"referenced by kept index {short_digest(buildx['index'])}") == 2


def test_preview_shows_children_of_an_expiring_index_as_expiring_later(
    cli: Any, buildx: dict[str, str], tmp_path: Path
) -> None:
    args = ("lifecycle", "preview", REPO, "--policy", _policy(tmp_path, "any"), "--at", "+2d")
    text = cli("-o", "text", *args)
    assert text.exit_code == 0, text.stderr
    lines = {line.split("\t")[0]: line.split("\t")[1:] for line in text.stdout.splitlines()}
    assert lines == {
        buildx["index"]: ["latest", "1", "expire"],
        buildx["stray"]: ["-", "1", "expire"],
        buildx["amd64"]: ["-", "1", "expire-later"],
        buildx["arm64"]: ["-", "1", "expire-later"],
    }
    assert "2 to expire" in text.stderr and "2 on a later evaluation" in text.stderr

    doc = json.loads(cli("-o", "json", *args).stdout)
    assert doc["summary"] == {"expire": 2, "transition": 0, "keep": 0, "later": 2}
    assert {e["digest"] for e in doc["affected"]} == {buildx["index"], buildx["stray"]}
    assert all(e["later"] and e["referencedBy"] == [buildx["index"]] for e in doc["later"])

    table = cli("-o", "table", *args)
    assert table.stdout.count("expire-later") == 2
    assert table.stdout.count(f"expires after its index {short_digest(buildx['index'])}") == 2


def test_compare_needs_remote(cli: Any, buildx: dict[str, str], tmp_path: Path) -> None:
    out = cli("lifecycle", "preview", REPO, "--policy", _policy(tmp_path, "any"), "--compare")
    assert out.exit_code == 2 and out.stdout == ""
    assert "--compare compares AWS's preview with the local one: add --remote" in out.stderr
