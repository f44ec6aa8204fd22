"""core.repos against moto in-process."""

from __future__ import annotations

from typing import Any

import pytest

from ecrctl.core.exceptions import InvalidInput, NotFound, Refused
from ecrctl.core.repos import RepositoryService
from ecrctl.core.seed import seed_repository


def test_create_with_settings_and_tags(ecr: Any) -> None:
    service = RepositoryService(ecr)
    repo, created = service.create(
        "team/app", immutable=True, scan_on_push=True, tags=["team=platform", "cost=42"]
    )
    assert created
    assert repo.uri.endswith(".dkr.ecr.us-east-1.amazonaws.com/team/app")
    assert (repo.tag_mutability, repo.scan_on_push) == ("IMMUTABLE", True)
    tags = ecr.list_tags_for_resource(resourceArn=repo.arn)["tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "platform", "cost": "42"}


def test_create_existing_refuses_unless_exist_ok(ecr: Any) -> None:
    service = RepositoryService(ecr)
    service.create("app")
    with pytest.raises(Refused, match="already exists"):
        service.create("app")
    repo, created = service.create("app", exist_ok=True)
    assert repo.name == "app" and not created


def test_bad_resource_tag_is_refused_before_any_call(ecr: Any) -> None:
    with pytest.raises(InvalidInput, match="KEY=VALUE"):
        RepositoryService(ecr).create("app", tags=["novalue"])
    assert ecr.describe_repositories()["repositories"] == []


def test_list_filters_by_prefix_and_sorts(ecr: Any) -> None:
    service = RepositoryService(ecr)
    for name in ("team/b", "other", "team/a"):
        service.create(name)
    assert [r.name for r in service.list_all()] == ["other", "team/a", "team/b"]
    assert [r.name for r in service.list_all("team/")] == ["team/a", "team/b"]


def test_show_counts_images_and_policies(ecr: Any) -> None:
    service = RepositoryService(ecr)
    service.create("app")
    seed_repository(ecr, "app", ["v1", "v2"])
    details = service.show("app")
    assert details.image_count == 2
    assert details.total_size_bytes > 0
    assert not details.has_lifecycle_policy and not details.has_repository_policy
    ecr.put_lifecycle_policy(
        repositoryName="app",
        lifecyclePolicyText=(
            '{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":'
            '"imageCountMoreThan","countNumber":5},"action":{"type":"expire"}}]}'
        ),
    )
    ecr.set_repository_policy(
        repositoryName="app",
        policyText=(
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",'
            '"Action":"ecr:BatchGetImage"}]}'
        ),
    )
    details = service.show("app")
    assert details.has_lifecycle_policy and details.has_repository_policy


def test_show_missing_repository(ecr: Any) -> None:
    with pytest.raises(NotFound, match="repository nope not found"):
        RepositoryService(ecr).show("nope")


def test_set_changes_only_what_is_asked(ecr: Any) -> None:
    service = RepositoryService(ecr)
    service.create("app", scan_on_push=True)
    repo = service.set("app", immutable=True, scan_on_push=None)
    assert (repo.tag_mutability, repo.scan_on_push) == ("IMMUTABLE", True)
    repo = service.set("app", immutable=None, scan_on_push=False)
    assert (repo.tag_mutability, repo.scan_on_push) == ("IMMUTABLE", False)
    with pytest.raises(InvalidInput, match="nothing to change"):
        service.set("app", immutable=None, scan_on_push=None)


def test_removal_plan_refuses_non_empty_without_force(ecr: Any) -> None:
    service = RepositoryService(ecr)
    service.create("full")
    service.create("empty")
    seed_repository(ecr, "full", ["v1"])
    plans = service.plan_removal(["full", "empty"], force=False)
    assert [(p.name, p.allowed) for p in plans] == [("full", False), ("empty", True)]
    assert all(p.allowed for p in service.plan_removal(["full"], force=True))
    service.remove("full", force=True)
    assert [r.name for r in service.list_all()] == ["empty"]
