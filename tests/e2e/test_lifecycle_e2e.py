"""ecrctl lifecycle as a subprocess against a moto server (which stores policies, never runs them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecrctl.sandbox.images import seed_repository

pytestmark = pytest.mark.e2e

UNTAGGED_AND_KEEP = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "untagged go after a week",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 7,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": "keep the newest release",
            "selection": {
                "tagStatus": "tagged",
                "tagPrefixList": ["release-"],
                "countType": "imageCountMoreThan",
                "countNumber": 1,
            },
            "action": {"type": "expire"},
        },
    ]
}


def test_put_preview_get_delete(run_ecrctl: Any, server_ecr: Any, tmp_path: Path) -> None:
    server_ecr.create_repository(repositoryName="team/app")
    digests = seed_repository(server_ecr, "team/app", ["release-1", "release-2", "dev"])
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(UNTAGGED_AND_KEEP, indent=2))

    put = run_ecrctl("lifecycle", "put", "team/app", str(path), "--yes")
    assert put.exit_code == 0, put.stderr
    assert "put the lifecycle policy on team/app" in put.stderr
    stored = server_ecr.get_lifecycle_policy(repositoryName="team/app")["lifecyclePolicyText"]
    assert json.loads(stored) == UNTAGGED_AND_KEEP

    preview = run_ecrctl("lifecycle", "preview", "team/app")
    assert preview.exit_code == 0, preview.stderr
    lines = [line.split("\t") for line in preview.stdout.splitlines()]
    assert len(lines) == 1  # one of the two releases (pushed in the same second) expires
    assert lines[0][0] in digests[:2] and lines[0][1].startswith("release-")
    assert lines[0][2:] == ["2", "expire"]
    assert "1 to expire, 0 to transition to archive, 2 kept" in preview.stderr

    later = run_ecrctl("-o", "json", "lifecycle", "preview", "team/app", "--at", "+30d")
    assert json.loads(later.stdout)["summary"]["expire"] == 1  # dev is tagged: never untagged

    got = run_ecrctl("lifecycle", "get", "team/app")
    assert got.stdout == json.dumps(UNTAGGED_AND_KEEP, indent=2) + "\n"

    deleted = run_ecrctl("lifecycle", "delete", "team/app", "--yes")
    assert deleted.exit_code == 0, deleted.stderr
    assert run_ecrctl("lifecycle", "get", "team/app").exit_code == 3


def test_validate_in_a_pipeline(run_ecrctl: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"rules": [{"rulePriority": 1, "selection": {"tagStatus": "tagged"}}]}')
    result = run_ecrctl(shell=f"cat {bad} | ecrctl lifecycle validate - | cut -f2")
    assert result.exit_code == 2
    assert "rule #1 (rulePriority 1): selection.tagPatternList" in result.stdout
    assert "rule #1 (rulePriority 1): action" in result.stdout
    assert result.stderr.startswith("ecrctl: <stdin>: invalid lifecycle policy (")


def test_builder_put_then_repo_create_with_lifecycle(
    run_ecrctl: Any, server_ecr: Any, tmp_path: Path
) -> None:
    server_ecr.create_repository(repositoryName="svc")
    put = run_ecrctl("lifecycle", "put", "svc", "--keep-last", "5", "--tag-pattern", "v*", "--yes")
    assert put.exit_code == 0, put.stderr
    rules = json.loads(server_ecr.get_lifecycle_policy(repositoryName="svc")["lifecyclePolicyText"])
    assert rules["rules"][0]["selection"]["tagPatternList"] == ["v*"]

    path = tmp_path / "p.json"
    path.write_text(json.dumps(UNTAGGED_AND_KEEP))
    created = run_ecrctl("repo", "create", "svc2", "--lifecycle", str(path))
    assert created.exit_code == 0, created.stderr
    assert server_ecr.get_lifecycle_policy(repositoryName="svc2")["lifecyclePolicyText"]
