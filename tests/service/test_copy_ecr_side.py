"""The ECR API side of ecrctl copy, on moto (it has no registry data plane: the registry side is
tested against real registries in tests/e2e/test_copy_registries.py): --create with the source
repository's settings, the immutable-destination check, which profile each side uses, and the
registry login from GetAuthorizationToken."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ecrctl.core.copy.ecrside import RepositorySettings, create_repository, repository_settings
from ecrctl.core.ecr.api import EcrRegistry
from ecrctl.core.exceptions import NotFound
from ecrctl.core.names import parse_reference

ACCOUNT = "123456789012"
HOST = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"


def test_create_copies_mutability_scan_and_encryption(ecr: Any) -> None:
    ecr.create_repository(
        repositoryName="src",
        imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={
            "encryptionType": "KMS",
            "kmsKey": "arn:aws:kms:us-east-1:1:key/k",
        },
    )
    like = repository_settings(EcrRegistry(ecr), "src")
    assert like == RepositorySettings(True, True, ("KMS", "arn:aws:kms:us-east-1:1:key/k"))
    create_repository(EcrRegistry(ecr), "team/dst", like)
    made = ecr.describe_repositories(repositoryNames=["team/dst"])["repositories"][0]
    assert made["imageTagMutability"] == "IMMUTABLE"
    assert made["imageScanningConfiguration"] == {"scanOnPush": True}
    assert made["encryptionConfiguration"]["encryptionType"] == "KMS"
    assert repository_settings(EcrRegistry(ecr), "absent") is None


def test_destination_checks_and_create(ecr: Any) -> None:
    from ecrctl.core.copy.run import prepare_destination
    from ecrctl.core.copy.sides import Side
    from ecrctl.core.distribution.client import Registry

    def side(name: str, repo: str) -> Side:
        ref = parse_reference(f"{HOST}/{repo}:1")
        return Side(name, ref, None, Registry(HOST), ecr, ACCOUNT)

    notes: list[str] = []

    def check(src: str, dst: str, *, create: bool, dry_run: bool) -> Any:
        return prepare_destination(
            side("s", src), side("d", dst), create=create, dry_run=dry_run, note=notes.append
        )

    ecr.create_repository(repositoryName="locked", imageTagMutability="IMMUTABLE")
    ecr.create_repository(repositoryName="open")
    locked = check("open", "locked", create=False, dry_run=False)
    assert locked.refused == "the destination repository is immutable" and locked.created is None
    assert check("open", "open", create=False, dry_run=False).refused is None
    with pytest.raises(NotFound, match="pass --create"):
        check("locked", "new", create=False, dry_run=False)
    assert notes == []
    planned = check("locked", "new", create=True, dry_run=True)
    assert repository_settings(EcrRegistry(ecr), "new") is None  # a dry run creates nothing
    assert planned.created is not None and planned.created["imageTagMutability"] == "IMMUTABLE"
    assert notes == [f"dry run: would create new in {HOST}: {planned.created}"]
    made = check("locked", "new", create=True, dry_run=False)
    assert repository_settings(EcrRegistry(ecr), "new") == RepositorySettings(immutable=True)
    assert made.created == planned.created and made.refused is None
    assert notes[-1] == f"created repository new in {HOST} (IMMUTABLE)"


def test_each_side_logs_in_with_its_own_profile(ecr: Any, isolated_env: Path) -> None:
    """Each side's profile: --from/--to-profile, else config.toml's for the host, else the
    command line's; the login is GetAuthorizationToken with that profile, asked for only when
    the registry challenges (a bare name asks at once: the token names the registry's host)."""
    from ecrctl.core.copy.sides import CopyAccess, open_side
    from ecrctl.core.login.targets import RegistryToken, TokenRequest
    from ecrctl.core.login.userconfig import load_user_config
    from ecrctl.session import Clients, Settings
    from ecrctl.tokens import fetch

    (isolated_env / "aws-config").write_text(
        "[profile dev]\nregion = us-east-1\n[profile prod]\nregion = us-east-1\n"
    )
    (isolated_env / "aws-credentials").write_text(
        "[dev]\naws_access_key_id = a\naws_secret_access_key = b\n"
        "[prod]\naws_access_key_id = c\naws_secret_access_key = d\n"
    )
    config = isolated_env / ".config" / "ecrctl"
    config.mkdir(parents=True)
    (config / "config.toml").write_text(f'[registries."{HOST}"]\nprofile = "prod"\n')
    asked: list[TokenRequest] = []
    made: list[tuple[str | None, str]] = []
    base = Settings(region="us-east-1")

    def tokens(request: TokenRequest) -> list[RegistryToken]:
        asked.append(request)
        return fetch(base, request)

    def clients(profile: str | None, region: str) -> Clients:
        made.append((profile, region))
        return Clients(Settings(profile=profile, region=region))

    access = CopyAccess(
        fetch_tokens=tokens,
        clients=clients,
        region="us-east-1",
        profile_for=lambda host: load_user_config().profile_for(host),
    )
    mapped = open_side(access, "destination", parse_reference(f"{HOST}/app:1"), None, frozenset())
    assert mapped.profile == "prod"  # the host -> profile map applies by default
    assert (mapped.account, made) == (ACCOUNT, [("prod", "us-east-1")])
    assert mapped.ecr is None  # no API client until one is needed (a complete re-run needs none)
    assert mapped.api() is mapped.api() is not None
    assert asked == []  # no token until the registry asks for credentials
    flagged = open_side(access, "source", parse_reference(f"{HOST}/app:1"), "dev", frozenset())
    assert flagged.profile == "dev" and "(profile dev)" in flagged.registry.label
    own = open_side(access, "source", parse_reference("app:1"), "dev", frozenset())
    assert own.ref.host == HOST  # a bare name is the profile's own registry
    assert [(r.profile, r.region, r.registry_ids) for r in asked] == [("dev", "us-east-1", ())]
    login = flagged.registry._credentials()  # type: ignore[misc]
    assert login is not None and login[0] == "AWS"
    assert login[1] not in flagged.registry.label
    assert (asked[-1].profile, asked[-1].registry_ids) == ("dev", (ACCOUNT,))
    other = open_side(access, "source", parse_reference("ghcr.io/org/app:1"), "dev", frozenset())
    assert other.account is None and other.clients is None  # not ECR: no AWS client, no token
    assert "profile" not in other.registry.label and len(asked) == 2


def test_promote_refuses_a_full_reference(cli: Any) -> None:
    out = cli("promote", "ghcr.io/org/app:1", "--from", "dev", "--to", "prod")
    assert out.exit_code == 2 and "REPO:TAG" in out.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("app:1", "x", "--platform", "linux"), "OS/ARCH"),
        (("app:1", "x", "--platform", "linux/arm64", "--all-platforms"), "exclude"),
        (("app:Bad Tag", "x"), "invalid tag"),
        (("app@sha256:123", "x"), "invalid digest"),
    ],
)
def test_bad_input_exits_2_before_any_call(cli: Any, args: tuple[str, ...], needle: str) -> None:
    out = cli("copy", *args)
    assert out.exit_code == 2 and needle in out.stderr and out.stdout == ""
