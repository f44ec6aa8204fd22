"""core.repos against moto in-process."""

from __future__ import annotations

from typing import Any

import pytest

from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import InvalidInput, NotFound, Refused
from ecrctl.core.repos.repositories import RepositoryService
from ecrctl.sandbox.images import seed_repository


def test_create_with_settings_and_tags(ecr: Any) -> None:
    service = RepositoryService(EcrRegistry(ecr))
    repo, created = service.create(
        "team/app", immutable=True, scan_on_push=True, tags=["team=platform", "cost=42"]
    )
    assert created
    assert repo.uri.endswith(".dkr.ecr.us-east-1.amazonaws.com/team/app")
    assert (repo.tag_mutability, repo.scan_on_push) == ("IMMUTABLE", True)
    tags = ecr.list_tags_for_resource(resourceArn=repo.arn)["tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "platform", "cost": "42"}


def test_create_existing_refuses_unless_exist_ok(ecr: Any) -> None:
    service = RepositoryService(EcrRegistry(ecr))
    service.create("app")
    with pytest.raises(Refused, match="already exists"):
        service.create("app")
    repo, created = service.create("app", exist_ok=True)
    assert repo.name == "app" and not created


def test_bad_resource_tag_is_refused_before_any_call(ecr: Any) -> None:
    with pytest.raises(InvalidInput, match="KEY=VALUE"):
        RepositoryService(EcrRegistry(ecr)).create("app", tags=["novalue"])
    assert ecr.describe_repositories()["repositories"] == []


def test_list_filters_by_prefix_and_sorts(ecr: Any) -> None:
    service = RepositoryService(EcrRegistry(ecr))
    for name in ("team/b", "other", "team/a"):
        service.create(name)
    assert [r.name for r in service.list_all()] == ["other", "team/a", "team/b"]
    assert [r.name for r in service.list_all("team/")] == ["team/a", "team/b"]


def test_show_counts_images_and_policies(ecr: Any) -> None:
    service = RepositoryService(EcrRegistry(ecr))
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
        RepositoryService(EcrRegistry(ecr)).show("nope")


def test_set_changes_only_what_is_asked(ecr: Any) -> None:
    service = RepositoryService(EcrRegistry(ecr))
    service.create("app", scan_on_push=True)
    repo = service.set("app", immutable=True, scan_on_push=None)
    assert (repo.tag_mutability, repo.scan_on_push) == ("IMMUTABLE", True)
    repo = service.set("app", immutable=None, scan_on_push=False)
    assert (repo.tag_mutability, repo.scan_on_push) == ("IMMUTABLE", False)
    with pytest.raises(InvalidInput, match="nothing to change"):
        service.set("app", immutable=None, scan_on_push=None)


def test_removal_plan_refuses_non_empty_without_force(ecr: Any) -> None:
    service = RepositoryService(EcrRegistry(ecr))
    service.create("full")
    service.create("empty")
    seed_repository(ecr, "full", ["v1"])
    plans = service.plan_removal(["full", "empty"], force=False)
    assert [(p.name, p.allowed) for p in plans] == [("full", False), ("empty", True)]
    assert all(p.allowed for p in service.plan_removal(["full"], force=True))
    service.remove("full", force=True)
    assert [r.name for r in service.list_all()] == ["empty"]


def _stubbed_repository(mutability: str, patterns: list[str]) -> tuple[Any, Any, dict[str, Any]]:
    """An ECR client stubbed (moto's PutImageTagMutability does not echo or check exceptions)."""
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("ecr", region_name="us-east-1")
    stubber = Stubber(client)
    repository = {
        "repositoryArn": "arn:aws:ecr:us-east-1:123456789012:repository/app",
        "registryId": "123456789012",
        "repositoryName": "app",
        "repositoryUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
        "imageTagMutability": mutability,
        "imageTagMutabilityExclusionFilters": [
            {"filterType": "WILDCARD", "filter": p} for p in patterns
        ],
    }
    stubber.add_response(
        "describe_repositories", {"repositories": [repository]}, {"repositoryNames": ["app"]}
    )
    return client, stubber, repository


def test_set_immutable_keeps_the_exceptions_of_an_immutable_with_exclusion_repository() -> None:
    client, stubber, repository = _stubbed_repository("IMMUTABLE_WITH_EXCLUSION", ["dev-*", "pr-*"])
    filters = repository["imageTagMutabilityExclusionFilters"]
    stubber.add_response(
        "put_image_tag_mutability",
        {"imageTagMutability": "IMMUTABLE_WITH_EXCLUSION"},
        {
            "repositoryName": "app",
            "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
            "imageTagMutabilityExclusionFilters": filters,
        },
    )
    stubber.add_response(
        "describe_repositories", {"repositories": [repository]}, {"repositoryNames": ["app"]}
    )
    with stubber:
        repo = RepositoryService(EcrRegistry(client)).set("app", immutable=True, scan_on_push=None)
    stubber.assert_no_pending_responses()
    assert (repo.tag_mutability, repo.mutability_exceptions) == (
        "IMMUTABLE_WITH_EXCLUSION",
        ("dev-*", "pr-*"),
    )


@pytest.mark.parametrize(
    ("kwargs", "sent"),
    [
        (
            {"immutable": None, "mutable_except": ["v*"]},
            {
                "imageTagMutability": "MUTABLE_WITH_EXCLUSION",
                "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "v*"}],
            },
        ),
        ({"immutable": False, "no_except": True}, {"imageTagMutability": "MUTABLE"}),
        ({"immutable": None, "no_except": True}, {"imageTagMutability": "IMMUTABLE"}),
    ],
)
def test_set_replaces_or_drops_exceptions_only_when_asked(
    kwargs: dict[str, Any], sent: dict[str, Any]
) -> None:
    client, stubber, repository = _stubbed_repository("IMMUTABLE_WITH_EXCLUSION", ["dev-*"])
    stubber.add_response(
        "put_image_tag_mutability",
        {"imageTagMutability": sent["imageTagMutability"]},
        {"repositoryName": "app", **sent},
    )
    stubber.add_response(
        "describe_repositories", {"repositories": [repository]}, {"repositoryNames": ["app"]}
    )
    with stubber:
        RepositoryService(EcrRegistry(client)).set("app", scan_on_push=None, **kwargs)
    stubber.assert_no_pending_responses()


def test_a_repository_in_another_registry_not_found_names_registry_and_region() -> None:
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("ecr", region_name="eu-west-1")
    stubber = Stubber(client)
    stubber.add_client_error(
        "describe_repositories", "RepositoryNotFoundException", "not found", 400
    )
    with stubber, pytest.raises(NotFound) as caught:
        RepositoryService(EcrRegistry(client, "210987654321")).get("app")
    assert str(caught.value) == "repository app not found in registry 210987654321 (eu-west-1)"
