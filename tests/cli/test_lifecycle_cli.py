"""ecrctl lifecycle ... in-process (CliRunner) against moto: exit codes, stdout and stderr apart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecrctl.sandbox.images import seed_repository

REPO = "team/app"

KEEP_TWO = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "keep the two newest v* images",
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["v*"],
                "countType": "imageCountMoreThan",
                "countNumber": 2,
            },
            "action": {"type": "expire"},
        }
    ]
}
BROKEN = {
    "rules": [
        {
            "rulePriority": 1,
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["a*b*c*d*e*f"],
                "countType": "sinceImagePushed",
                "countNumber": 3,
            },
            "action": {"type": "expire"},
        },
    ]
}


def write(tmp_path: Path, doc: Any, name: str = "policy.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=2) if not isinstance(doc, str) else doc)
    return str(path)


@pytest.fixture
def repo(ecr: Any) -> list[str]:
    ecr.create_repository(repositoryName=REPO)
    return seed_repository(ecr, REPO, ["v1", "v2", "v3", "latest"])


def test_validate_valid_policy(cli: Any, tmp_path: Path) -> None:
    path = write(tmp_path, KEEP_TWO)
    out = cli("-o", "text", "lifecycle", "validate", path)
    assert out.exit_code == 0, out.stderr
    assert out.stdout == f"{path}: a valid lifecycle policy (1 rule)\n"
    doc = json.loads(cli("-o", "json", "lifecycle", "validate", path).stdout)
    assert doc["valid"] is True and doc["problems"] == []


def test_validate_lists_every_problem_and_exits_2(cli: Any, tmp_path: Path) -> None:
    path = write(tmp_path, BROKEN)
    out = cli("-o", "json", "lifecycle", "validate", path)
    assert out.exit_code == 2
    problems = json.loads(out.stdout)["problems"]
    assert [(p["rulePriority"], p["field"]) for p in problems] == [
        (2, "selection.tagPatternList[0]"),
        (2, "selection.countUnit"),
    ]
    assert out.stderr.strip() == f"ecrctl: {path}: invalid lifecycle policy (2 problems)"


def test_validate_reads_stdin_and_reports_json_line_and_column(cli: Any) -> None:
    out = cli("-o", "text", "lifecycle", "validate", "-", input='{"rules": [\n  {,}\n]}')
    assert out.exit_code == 2
    assert out.stdout.startswith("<stdin>\tline 2, column 4\tinvalid JSON")


def test_validate_missing_file_is_bad_input(cli: Any, tmp_path: Path) -> None:
    out = cli("lifecycle", "validate", str(tmp_path / "nope.json"))
    assert out.exit_code == 2
    assert "cannot read" in out.stderr and "No such file" in out.stderr


def test_put_needs_yes_without_a_terminal_and_changes_nothing(
    cli: Any, ecr: Any, repo: list[str], tmp_path: Path
) -> None:
    out = cli("lifecycle", "put", REPO, write(tmp_path, KEEP_TWO))
    assert out.exit_code == 2
    assert "pass --yes" in out.stderr
    assert "+++ team/app (new)" in out.stderr  # the diff was shown first
    with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException):
        ecr.get_lifecycle_policy(repositoryName=REPO)


def test_put_shows_what_expires_and_puts_with_yes(
    cli: Any, ecr: Any, repo: list[str], tmp_path: Path
) -> None:
    path = write(tmp_path, KEEP_TWO)
    out = cli("-o", "text", "lifecycle", "put", REPO, path, "--yes")
    assert out.exit_code == 0, out.stderr
    lines = [line.split("\t") for line in out.stdout.splitlines()]
    assert len(lines) == 1  # three v* images, two kept
    digest, tags, priority, action = lines[0]
    assert digest in repo and tags.startswith("v") and (priority, action) == ("1", "expire")
    assert "1 to expire, 0 to transition to archive, 3 kept" in out.stderr
    stored = ecr.get_lifecycle_policy(repositoryName=REPO)["lifecyclePolicyText"]
    assert json.loads(stored) == KEEP_TWO
    again = cli("lifecycle", "put", REPO, path, "--yes")
    assert again.exit_code == 0
    assert "already has this lifecycle policy" in again.stderr


def test_put_dry_run_and_builder_flags(cli: Any, ecr: Any, repo: list[str]) -> None:
    out = cli(
        "-o", "json", "lifecycle", "put", REPO, "--keep-last", "1", "--tag-prefix", "v",
        "--expire-untagged-after", "7", "--dry-run",
    )  # fmt: skip
    assert out.exit_code == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["put"] is False and doc["changed"] is True
    assert [r["selection"]["tagStatus"] for r in doc["policy"]["rules"]] == ["untagged", "tagged"]
    assert doc["summary"]["expire"] == 2
    assert "dry run: nothing changed" in out.stderr
    with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException):
        ecr.get_lifecycle_policy(repositoryName=REPO)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give a policy FILE, or --keep-last"),
        (("--tag-prefix", "v"), "go with --keep-last"),
        (("--keep-last", "2", "--tag-prefix", "v", "--tag-pattern", "v*"), "not both"),
        (("--keep-last", "0"), "keep at least 1 image"),
        (("policy.json", "--keep-last", "2"), "not both"),
    ],
)
def test_put_refuses_bad_flag_combinations(
    cli: Any, repo: list[str], args: tuple[str, ...], message: str
) -> None:
    out = cli("lifecycle", "put", REPO, *args, "--yes")
    assert out.exit_code == 2
    assert message in out.stderr


def test_put_invalid_file_lists_problems_and_sends_nothing(
    cli: Any, ecr: Any, repo: list[str], tmp_path: Path
) -> None:
    out = cli("lifecycle", "put", REPO, write(tmp_path, BROKEN), "--yes")
    assert out.exit_code == 2
    assert "rule #2 (rulePriority 2): selection.countUnit" in out.stderr
    assert "nothing was sent to AWS" in out.stderr
    with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException):
        ecr.get_lifecycle_policy(repositoryName=REPO)


def test_preview_current_policy_text_shape(cli: Any, ecr: Any, repo: list[str]) -> None:
    ecr.put_lifecycle_policy(repositoryName=REPO, lifecyclePolicyText=json.dumps(KEEP_TWO))
    out = cli("-o", "text", "lifecycle", "preview", REPO)
    assert out.exit_code == 0, out.stderr
    fields = [line.split("\t") for line in out.stdout.splitlines()]
    assert len(fields) == 1 and len(fields[0]) == 4
    assert fields[0][2:] == ["1", "expire"]
    table = cli("-o", "table", "lifecycle", "preview", REPO)
    assert table.stdout.count("keep") == 3 and "expire" in table.stdout


def test_preview_file_at_future_date_json(cli: Any, repo: list[str], tmp_path: Path) -> None:
    policy = {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {
                    "tagStatus": "any",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 14,
                },
                "action": {"type": "expire"},
            }
        ]
    }
    path = write(tmp_path, policy)
    now = json.loads(cli("-o", "json", "lifecycle", "preview", REPO, "--policy", path).stdout)
    assert now["summary"] == {"expire": 0, "transition": 0, "keep": 4, "later": 0}
    later = json.loads(
        cli("-o", "json", "lifecycle", "preview", REPO, "--policy", path, "--at", "+15d").stdout
    )
    assert later["summary"] == {"expire": 4, "transition": 0, "keep": 0, "later": 0}
    assert later["source"] == "local" and later["policy"] == path
    assert {a["digest"] for a in later["affected"]} == set(repo)


def test_preview_errors(cli: Any, repo: list[str], tmp_path: Path) -> None:
    none = cli("lifecycle", "preview", REPO)
    assert none.exit_code == 3 and "has no lifecycle policy" in none.stderr
    past = cli(
        "lifecycle", "preview", REPO, "--policy", write(tmp_path, KEEP_TWO), "--at", "2001-01-01"
    )
    assert past.exit_code == 2 and "in the past" in past.stderr
    bad = cli("lifecycle", "preview", REPO, "--policy", write(tmp_path, KEEP_TWO), "--at", "soon")
    assert bad.exit_code == 2 and "invalid --at" in bad.stderr
    remote_at = cli("lifecycle", "preview", REPO, "--remote", "--at", "+1d")
    assert remote_at.exit_code == 2 and "--at is for the local preview" in remote_at.stderr
    missing = cli("lifecycle", "preview", "nope/app", "--policy", write(tmp_path, KEEP_TWO))
    assert missing.exit_code == 3 and "repository nope/app not found" in missing.stderr


def test_get_prints_pretty_json_and_delete(cli: Any, ecr: Any, repo: list[str]) -> None:
    ecr.put_lifecycle_policy(repositoryName=REPO, lifecyclePolicyText=json.dumps(KEEP_TWO))
    got = cli("-o", "text", "lifecycle", "get", REPO)
    assert got.exit_code == 0
    assert got.stdout == json.dumps(KEEP_TWO, indent=2) + "\n"
    assert json.loads(cli("-o", "json", "lifecycle", "get", REPO).stdout) == KEEP_TWO
    refused = cli("lifecycle", "delete", REPO)
    assert refused.exit_code == 2 and "pass --yes" in refused.stderr
    dry = cli("lifecycle", "delete", REPO, "--dry-run")
    assert dry.exit_code == 0 and "dry run" in dry.stderr
    assert ecr.get_lifecycle_policy(repositoryName=REPO)["lifecyclePolicyText"]
    done = cli("-o", "json", "lifecycle", "delete", REPO, "--yes")
    assert done.exit_code == 0
    assert json.loads(done.stdout)["deleted"] is True
    gone = cli("lifecycle", "get", REPO)
    assert gone.exit_code == 3 and "has no lifecycle policy" in gone.stderr


def test_repo_create_with_lifecycle(cli: Any, ecr: Any, tmp_path: Path) -> None:
    out = cli("repo", "create", "team/new", "--lifecycle", write(tmp_path, KEEP_TWO))
    assert out.exit_code == 0, out.stderr
    stored = ecr.get_lifecycle_policy(repositoryName="team/new")["lifecyclePolicyText"]
    assert json.loads(stored) == KEEP_TWO


def test_repo_create_with_invalid_lifecycle_creates_nothing(
    cli: Any, ecr: Any, tmp_path: Path
) -> None:
    out = cli("repo", "create", "team/new", "--lifecycle", write(tmp_path, BROKEN))
    assert out.exit_code == 2
    assert "selection.countUnit" in out.stderr
    assert ecr.describe_repositories()["repositories"] == []


def test_commands_on_a_missing_repository_exit_3(cli: Any, ecr: Any) -> None:
    for args in (
        ("lifecycle", "put", "nope/app", "--keep-last", "2", "--yes"),
        ("lifecycle", "get", "nope/app"),
        ("lifecycle", "delete", "nope/app", "--yes"),
    ):
        out = cli(*args)
        assert out.exit_code == 3, args
        assert out.stderr == (
            "ecrctl: repository nope/app not found in registry 123456789012 (us-east-1)\n"
        )
