"""Reference parsing and local validation: what a user types or pastes, checked before any call."""

from __future__ import annotations

import pytest

from ecrctl.core.exceptions import InvalidInput
from ecrctl.core.names import (
    RegistryHost,
    dns_suffix,
    image_uri,
    parse_host,
    parse_image_ref,
    parse_tag_or_digest,
    registry_host,
    validate_repository_name,
    validate_tag,
)

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("text", "repository", "tag", "digest"),
    [
        ("app", "app", None, None),
        ("team/app", "team/app", None, None),
        ("team/app:1.0.10", "team/app", "1.0.10", None),
        (f"team/app@{DIGEST}", "team/app", None, DIGEST),
        ("a__b/c-d.e_f:v2", "a__b/c-d.e_f", "v2", None),
    ],
)
def test_short_references(text: str, repository: str, tag: str | None, digest: str | None) -> None:
    ref = parse_image_ref(text)
    assert (ref.repository, ref.tag, ref.digest, ref.registry) == (repository, tag, digest, None)


def test_full_uri_sets_registry_and_region() -> None:
    ref = parse_image_ref("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.4.2")
    assert ref.repository == "team/app"
    assert ref.tag == "1.4.2"
    assert ref.registry == RegistryHost("123456789012", "eu-west-1", False, "amazonaws.com")


def test_china_and_fips_hosts() -> None:
    cn = parse_host("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn")
    assert cn is not None and cn.suffix == "amazonaws.com.cn" and cn.region == "cn-north-1"
    fips = parse_host("https://123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/v2/")
    assert fips is not None and fips.fips and fips.region == "us-gov-west-1"
    assert str(fips) == "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com"
    assert parse_host("docker.io") is None


def test_uri_building_uses_partition_suffix() -> None:
    assert dns_suffix("cn-northwest-1") == "amazonaws.com.cn"
    host = registry_host("123456789012", "cn-northwest-1")
    assert image_uri(host, "app", tag="v1") == (
        "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn/app:v1"
    )
    assert image_uri(registry_host("123456789012", "us-east-1"), "app", digest=DIGEST).endswith(
        f"/app@{DIGEST}"
    )


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("A", "2 to 256"),
        ("x" * 257, "2 to 256"),
        ("Team/App", "upper-case"),
        ("-app", "start and end"),
        ("app/", "start and end"),
        ("a..b", "single separators"),
        ("a b", "single separators"),
        ("a///b", "single separators"),
    ],
)
def test_invalid_repository_names_say_what_is_wrong(name: str, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        validate_repository_name(name)


def test_boundary_repository_names_are_accepted() -> None:
    assert validate_repository_name("ab") == "ab"
    assert validate_repository_name("a" * 256) == "a" * 256
    assert validate_repository_name("a--b__c.d/e") == "a--b__c.d/e"


@pytest.mark.parametrize("tag", ["", "x" * 301, ".hidden", "a:b", "a/b", "a b", "tag!"])
def test_invalid_tags(tag: str) -> None:
    with pytest.raises(InvalidInput, match="invalid tag"):
        validate_tag(tag)


def test_tag_limits() -> None:
    assert validate_tag("x" * 300) == "x" * 300
    assert validate_tag("_v1.0-rc.1") == "_v1.0-rc.1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("registry.example.com/app:v1", "not an ECR registry host"),
        ("app@sha256:abc", "invalid digest"),
        ("app:", "invalid tag"),
        ("", "empty repository name"),
    ],
)
def test_bad_references(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_image_ref(text)


def test_reference_refused_where_only_a_repository_is_expected() -> None:
    with pytest.raises(InvalidInput, match="without a tag"):
        parse_image_ref("app:v1", allow_reference=False)


def test_source_tag_or_digest() -> None:
    assert parse_tag_or_digest("v1") == {"imageTag": "v1"}
    assert parse_tag_or_digest(f"@{DIGEST}") == {"imageDigest": DIGEST}
    assert parse_tag_or_digest(DIGEST) == {"imageDigest": DIGEST}
    with pytest.raises(InvalidInput):
        parse_tag_or_digest("@sha256:short")
