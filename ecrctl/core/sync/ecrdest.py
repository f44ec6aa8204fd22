"""An ECR destination: its repositories exist before anything is pushed (ECR does not create
them on push). Missing ones are created with ``--create``: like the template repository
(``--settings-from REPO``: mutability, scan on push, encryption and lifecycle policy), else like
the source repository when the source is ECR, else with ECR's defaults. Without ``--create`` a
missing repository stops the sync before anything moves (exit 3, with the fix)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ecrctl.core.copy.ecrside import RepositorySettings, create_repository, repository_settings
from ecrctl.core.ecr.pacing import error_code
from ecrctl.core.exceptions import NotFound

if TYPE_CHECKING:
    from ecrctl.core.ecr.api import EcrRegistry


@dataclass(frozen=True)
class Template:
    """What new repositories are created like."""

    settings: RepositorySettings
    lifecycle: str | None = None  # the lifecycle policy text
    name: str | None = None  # the --settings-from repository


def template_from(ecr: EcrRegistry, repository: str) -> Template:
    """``--settings-from REPO``: that repository's settings and lifecycle policy."""
    settings = repository_settings(ecr, repository)
    if settings is None:
        raise NotFound(f"--settings-from: repository {repository} not found{ecr.where()}")
    policy = ecr.lifecycle_policy(repository)
    text = str(policy.get("lifecyclePolicyText") or "") if policy is not None else ""
    return Template(settings, text or None, repository)


def existing(ecr: EcrRegistry) -> dict[str, bool]:
    """Every repository of the registry, and whether its tags are immutable (ECR refuses to
    move them; repositories with exceptions are left for ECR to decide, tag by tag)."""
    return {
        str(r["repositoryName"]): str(r.get("imageTagMutability") or "MUTABLE") == "IMMUTABLE"
        for r in ecr.repositories()
    }


def prepare(
    ecr: EcrRegistry,
    wanted: dict[str, str],
    *,
    create: bool,
    template: Template | None,
    source: EcrRegistry | None,
    dry_run: bool,
    say: Callable[[str], None],
    where: str,
) -> dict[str, bool]:
    """Make sure every destination repository of ``wanted`` (destination -> source repository)
    exists; returns destination repository -> immutable."""
    found = existing(ecr)
    missing = [name for name in sorted(wanted) if name not in found]
    if missing and not create:
        named = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise NotFound(
            f"destination repositories missing in {where}: {named}; pass --create to create "
            "them (--settings-from REPO to create them like REPO)"
        )
    for name in missing:
        like = template or Template(_like_source(source, wanted[name], ecr))
        if dry_run:
            say(f"dry run: would create {name} in {where}: {_described(like)}")
            continue
        try:
            create_repository(ecr, name, like.settings)
        except Exception as error:
            if error_code(error) != "RepositoryAlreadyExistsException":  # created meanwhile
                raise
        if like.lifecycle:
            ecr.set_lifecycle_policy(name, like.lifecycle)
        say(f"created repository {name} in {where} ({_described(like)})")
        found[name] = like.settings.immutable
    return found


def _like_source(
    source: EcrRegistry | None, repository: str, destination: EcrRegistry
) -> RepositorySettings:
    if source is None:
        return RepositorySettings()
    like = repository_settings(source, repository) or RepositorySettings()
    if like.encryption[1] and source.registry_id != destination.registry_id:
        like = replace(like, encryption=(like.encryption[0], None))  # keys stay in their account
    return like


def _described(template: Template) -> str:
    doc = template.settings.to_json()
    text = f"{doc['imageTagMutability']}, scan on push {'on' if doc['scanOnPush'] else 'off'}"
    text += f", {doc['encryptionType']}"
    if template.lifecycle:
        text += ", lifecycle policy"
    if template.name:
        text += f", like {template.name}"
    return text
