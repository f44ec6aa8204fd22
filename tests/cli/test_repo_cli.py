"""ecrctl repo ... in-process (CliRunner) on moto: exit code, stdout and stderr apart."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecrctl.sandbox.images import seed_repository

URI_PREFIX = "123456789012.dkr.ecr.us-east-1.amazonaws.com/"


def test_create_prints_the_uri(cli: Any, ecr: Any) -> None:
    result = cli("repo", "create", "team/app", "--immutable", "--scan-on-push", "--tag", "a=b")
    assert (result.exit_code, result.stdout, result.stderr) == (0, URI_PREFIX + "team/app\n", "")
    repo = ecr.describe_repositories()["repositories"][0]
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}


def test_create_existing_is_exit_1_unless_exist_ok(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    result = cli("repo", "create", "app")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert (
        result.stderr == "ecrctl: repository app already exists (pass --exist-ok to accept that)\n"
    )
    result = cli("repo", "create", "app", "--exist-ok")
    assert result.exit_code == 0
    assert result.stdout == URI_PREFIX + "app\n"
    assert "already exists" in result.stderr


def test_create_invalid_name_is_exit_2_and_calls_nothing(cli: Any, ecr: Any) -> None:
    result = cli("repo", "create", "Bad_Name")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("ecrctl: invalid repository name 'Bad_Name'")
    assert result.stderr.count("\n") == 1
    assert ecr.describe_repositories()["repositories"] == []


def test_list_text_table_json(cli: Any, ecr: Any) -> None:
    for name in ("bb", "a1", "team/c"):
        ecr.create_repository(repositoryName=name)
    assert cli("repo", "list").stdout == "a1\nbb\nteam/c\n"
    assert cli("repo", "list", "--prefix", "team/").stdout == "team/c\n"
    table = cli("-o", "table", "repo", "list").stdout
    assert "uri" in table and URI_PREFIX + "team/c" in table and "mutable" in table
    docs = json.loads(cli("-o", "json", "repo", "list").stdout)
    assert [d["name"] for d in docs] == ["a1", "bb", "team/c"]
    assert set(docs[0]) == {
        "name",
        "uri",
        "arn",
        "registryId",
        "createdAt",
        "tagMutability",
        "tagMutabilityExceptions",
        "scanOnPush",
        "encryption",
        "kmsKey",
    }
    assert docs[0]["createdAt"].endswith("Z")


def test_output_from_environment(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    result = cli("repo", "list", env={"ECRCTL_OUTPUT": "json"})
    assert json.loads(result.stdout)[0]["name"] == "app"


def test_show(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    seed_repository(ecr, "app", ["v1", "v2", "v3"])
    doc = json.loads(cli("-o", "json", "repo", "show", "app").stdout)
    assert doc["imageCount"] == 3
    assert doc["totalSizeBytes"] > 0
    assert doc["lifecyclePolicy"] is False and doc["repositoryPolicy"] is False
    text = cli("repo", "show", "app").stdout
    assert "imageCount\t3\n" in text
    missing = cli("repo", "show", "nope")
    assert (missing.exit_code, missing.stdout) == (3, "")
    assert missing.stderr == "ecrctl: repository nope not found\n"


def test_set(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    result = cli("repo", "set", "app", "--immutable", "--scan-on-push")
    assert result.exit_code == 0
    assert "tagMutability\tIMMUTABLE" in result.stdout and "scanOnPush\tyes" in result.stdout
    result = cli("repo", "set", "app")
    assert result.exit_code == 2 and "nothing to change" in result.stderr
    assert cli("repo", "set", "nope", "--mutable").exit_code == 3


def test_remove_needs_yes_without_a_terminal(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    result = cli("repo", "remove", "app")
    assert result.exit_code == 2
    assert "pass --yes" in result.stderr
    assert len(ecr.describe_repositories()["repositories"]) == 1
    result = cli("repo", "remove", "app", "--yes")
    assert (result.exit_code, result.stdout) == (0, "app\n")
    assert ecr.describe_repositories()["repositories"] == []


def test_remove_refuses_non_empty_and_changes_nothing(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="full")
    ecr.create_repository(repositoryName="empty")
    seed_repository(ecr, "full", ["v1"])
    result = cli("repo", "remove", "empty", "full", "--yes")
    assert result.exit_code == 1
    assert "refusing to remove full: holds 1 image(s)" in result.stderr
    assert len(ecr.describe_repositories()["repositories"]) == 2
    result = cli("repo", "remove", "empty", "full", "--yes", "--force")
    assert result.exit_code == 0
    assert ecr.describe_repositories()["repositories"] == []


def test_remove_dry_run_changes_nothing(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="full")
    seed_repository(ecr, "full", ["v1", "v2"])
    result = cli("-o", "json", "repo", "remove", "full", "--force", "--dry-run")
    assert result.exit_code == 0
    size = sum(
        i["imageSizeInBytes"] for i in ecr.describe_images(repositoryName="full")["imageDetails"]
    )
    assert json.loads(result.stdout) == [
        {
            "name": "full",
            "imageCount": 2,
            "sizeBytes": size,
            "removable": True,
            "reason": None,
            "removed": False,
        }
    ]
    assert "dry run" in result.stderr
    assert len(ecr.describe_repositories()["repositories"]) == 1
    # Piped (text): what would go, not just the name.
    text = cli("repo", "remove", "full", "--force", "--dry-run")
    assert (text.exit_code, text.stdout) == (0, f"full\t2\t{size}\twould remove\n")
    assert text.stderr == "dry run: nothing changed\n"
    assert len(ecr.describe_repositories()["repositories"]) == 1


def test_remove_missing_is_not_found_before_anything_is_removed(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    result = cli("repo", "remove", "app", "nope", "--yes")
    assert result.exit_code == 3
    assert len(ecr.describe_repositories()["repositories"]) == 1


def test_list_table_heads_the_mutability_column_mutability(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app", imageTagMutability="IMMUTABLE")
    header, _rule, row = cli("-o", "table", "repo", "list").stdout.splitlines()[:3]
    assert header.split()[:3] == ["name", "uri", "mutability"]
    assert "tags" not in header.split()
    assert row.split()[2] == "immutable"


def test_show_lists_the_resource_tags_set_with_tag(cli: Any, ecr: Any) -> None:
    assert cli("repo", "create", "app", "--tag", "team=web", "--tag", "env=prod").exit_code == 0
    doc = json.loads(cli("-o", "json", "repo", "show", "app").stdout)
    assert doc["tags"] == {"team": "web", "env": "prod"}
    text = cli("repo", "show", "app").stdout
    assert "tags\tteam=web,env=prod\n" in text
    table = cli("-o", "table", "repo", "show", "app").stdout
    assert "team=web,env=prod" in table


def test_remove_one_repository_is_singular(cli: Any, ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    result = cli("repo", "remove", "app")
    assert result.exit_code == 2
    assert result.stderr == (
        "ecrctl: Remove 1 repository (0 images): no terminal to ask on; pass --yes to confirm\n"
    )


def test_usage_lines_name_arguments_without_braces(cli: Any) -> None:
    for args, usage in [
        (("tags",), "Usage: ecrctl tags [OPTIONS] REPO\n"),
        (("repo", "show"), "Usage: ecrctl repo show [OPTIONS] NAME\n"),
        (("scan",), "Usage: ecrctl scan [OPTIONS] REPO [TAG|@DIGEST]\n"),
    ]:
        result = cli(*args)
        assert result.exit_code == 2
        assert usage in result.stderr and "{" not in result.stderr
    assert "Usage: ecrctl repo remove [OPTIONS] NAME...\n" in cli("repo", "remove", "--help").stdout


def test_create_and_show_tag_mutability_exceptions(cli: Any, ecr: Any) -> None:
    result = cli(
        "repo", "create", "app", "--immutable-except", "dev-*", "--immutable-except", "pr-*"
    )
    assert result.exit_code == 0, result.stderr
    repo = ecr.describe_repositories()["repositories"][0]
    assert repo["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert repo["imageTagMutabilityExclusionFilters"] == [
        {"filterType": "WILDCARD", "filter": "dev-*"},
        {"filterType": "WILDCARD", "filter": "pr-*"},
    ]
    assert "tagMutabilityExceptions\tdev-*,pr-*\n" in cli("repo", "show", "app").stdout
    table = cli("-o", "table", "repo", "show", "app").stdout
    assert any(line.split() == ["except", "tags", "dev-*,pr-*"] for line in table.splitlines())
    assert json.loads(cli("-o", "json", "repo", "show", "app").stdout)[
        "tagMutabilityExceptions"
    ] == ["dev-*", "pr-*"]
    row = cli("-o", "table", "repo", "list").stdout.splitlines()[2]
    assert "immutable except dev-*,pr-*" in row


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--immutable-except", "a*", "--mutable-except", "b*"), "cannot be combined"),
        (("--mutable-except", "Bad Pattern!"), "invalid --mutable-except 'Bad Pattern!'"),
        (("--immutable", "--mutable-except", "v*"), "--immutable contradicts --mutable-except"),
        (tuple(a for i in range(6) for a in ("--immutable-except", f"p{i}*")), "at most 5"),
    ],
)
def test_mutability_exception_bad_input_is_exit_2_and_creates_nothing(
    cli: Any, ecr: Any, args: tuple[str, ...], message: str
) -> None:
    result = cli("repo", "create", "app", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert ecr.describe_repositories()["repositories"] == []


def test_set_mutable_on_immutable_with_exceptions_refuses_and_keeps_them(
    cli: Any, ecr: Any
) -> None:
    ecr.create_repository(
        repositoryName="app",
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "dev-*"}],
    )
    result = cli("repo", "set", "app", "--mutable")
    assert result.exit_code == 2
    assert result.stderr == (
        "ecrctl: repository app is immutable except dev-*; --mutable would drop those "
        "exceptions: pass --mutable-except PATTERN for new ones, or --no-except to drop them\n"
    )
    repo = ecr.describe_repositories()["repositories"][0]
    assert repo["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
