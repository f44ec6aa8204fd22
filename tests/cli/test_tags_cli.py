"""ecrctl tags / images in-process on moto."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecrctl.sandbox.images import put_synthetic, seed_repository, synthetic_manifest


def seeded(ecr: Any) -> None:
    ecr.create_repository(repositoryName="app")
    seed_repository(ecr, "app", ["1.0.10", "1.0.9", "v10", "v2"])


def test_tags_text_is_one_tag_a_line_in_version_order(cli: Any, ecr: Any) -> None:
    seeded(ecr)
    result = cli("tags", "app")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "1.0.9\n1.0.10\nv2\nv10\n", "")


def test_tags_options(cli: Any, ecr: Any) -> None:
    seeded(ecr)
    assert cli("tags", "app", "--match", "v*").stdout == "v2\nv10\n"
    assert cli("tags", "app", "--sort", "name").stdout == "1.0.10\n1.0.9\nv10\nv2\n"
    assert cli("tags", "app", "--limit", "1").stdout == "1.0.9\n"
    assert cli("tags", "app", "--match", "nothing*").stdout == ""


def test_tags_json_shape(cli: Any, ecr: Any) -> None:
    seeded(ecr)
    docs = json.loads(cli("-o", "json", "tags", "app").stdout)
    assert [d["tag"] for d in docs] == ["1.0.9", "1.0.10", "v2", "v10"]
    assert set(docs[0]) == {"tag", "digest", "pushedAt", "sizeBytes"}
    assert docs[0]["digest"].startswith("sha256:")


def test_tags_table(cli: Any, ecr: Any) -> None:
    seeded(ecr)
    table = cli("-o", "table", "tags", "app").stdout
    for header in ("tag", "digest", "pushed", "size"):
        assert header in table


def test_untagged_lists_digests(cli: Any, ecr: Any) -> None:
    seeded(ecr)
    orphan = synthetic_manifest("orphan")
    put_synthetic(ecr, "app", orphan)
    assert cli("tags", "app", "--untagged").stdout == orphan.digest + "\n"


def test_tags_bad_input(cli: Any, ecr: Any) -> None:
    seeded(ecr)
    result = cli("tags", "app", "--sort", "size")
    assert result.exit_code == 2 and result.stdout == ""
    result = cli("tags", "app", "--limit", "0")
    assert result.exit_code == 2
    result = cli("tags", "nope")
    assert (result.exit_code, result.stderr) == (3, "ecrctl: repository nope not found\n")


def test_images_one_row_per_digest_untagged_included(cli: Any, ecr: Any) -> None:
    seeded(ecr)
    image = synthetic_manifest("multi")
    put_synthetic(ecr, "app", image, "a")
    put_synthetic(ecr, "app", image, "b")
    put_synthetic(ecr, "app", synthetic_manifest("orphan"))
    docs = json.loads(cli("-o", "json", "images", "app").stdout)
    assert len(docs) == 6
    multi = next(d for d in docs if d["digest"] == image.digest)
    assert sorted(multi["tags"]) == ["a", "b"]
    assert multi["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert sum(1 for d in docs if d["tags"] == []) == 1
    text = cli("images", "app").stdout.splitlines()
    # 8 columns: platforms (an index's; "-" for an image) was added last, after scan status
    assert len(text) == 6 and all(line.count("\t") == 7 for line in text)
    assert all(line.endswith("\t-") for line in text)


def test_query_over_tags(cli: Any, ecr: Any) -> None:
    seeded(ecr)
    result = cli("--query", "[?starts_with(tag, 'v')].tag", "tags", "app")
    assert result.stdout == "v2\nv10\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("tags", "app", "--sort", "size"),
            "Error: Invalid value for '--sort': 'size' is not one of 'version', 'pushed', 'name'.",
        ),
        (
            ("tags", "app", "--limit", "0"),
            "Error: Invalid value for '--limit': 0 is not in the range x>=1.",
        ),
        (
            ("images", "app", "--limit", "many"),
            "Error: Invalid value for '--limit': 'many' is not a valid int range.",
        ),
    ],
)
def test_bad_option_values_are_said_in_clicks_words(
    cli: Any, ecr: Any, args: tuple[str, ...], message: str
) -> None:
    seeded(ecr)
    result = cli(*args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == message  # after click's usage lines


def test_sort_takes_any_case(cli: Any, ecr: Any) -> None:
    seeded(ecr)
    assert (
        cli("tags", "app", "--sort", "NAME").stdout == cli("tags", "app", "--sort", "name").stdout
    )


def test_sort_is_case_insensitive(cli: Any, ecr: Any) -> None:
    seeded(ecr)
    assert cli("tags", "app", "--sort", "NAME").stdout == "1.0.10\n1.0.9\nv10\nv2\n"


PASTED = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app"


@pytest.mark.parametrize("suffix", [":v2", "@sha256:" + "0" * 64, ""])
def test_a_pasted_image_uri_with_a_tag_names_its_repository(
    cli: Any, ecr: Any, suffix: str
) -> None:
    seeded(ecr)
    tags = cli("tags", PASTED + suffix)
    assert (tags.exit_code, tags.stdout, tags.stderr) == (0, "1.0.9\n1.0.10\nv2\nv10\n", "")
    images = cli("images", "app:v2")
    assert images.exit_code == 0 and len(images.stdout.splitlines()) == 4
    show = cli("-o", "json", "repo", "show", PASTED + suffix)
    assert show.exit_code == 0, show.stderr
    assert json.loads(show.stdout)["imageCount"] == 4


def test_a_uri_in_another_region_not_found_says_which_registry_and_region(
    cli: Any, ecr: Any
) -> None:
    seeded(ecr)  # in us-east-1 only
    uri = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v2"
    for command in ("tags", "images"):
        result = cli(command, uri)
        assert (result.exit_code, result.stdout) == (3, "")
        assert result.stderr == (
            "ecrctl: repository app not found in registry 123456789012 (eu-west-1)\n"
        )
    result = cli("repo", "show", uri)
    assert result.stderr == (
        "ecrctl: repository app not found in registry 123456789012 (eu-west-1)\n"
    )
