"""ecrctl tags / images in-process on moto."""

from __future__ import annotations

import json
from typing import Any

from ecrctl.core.seed import put_synthetic, seed_repository, synthetic_manifest


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
    result = cli("tags", "app:v1")
    assert result.exit_code == 2 and "without a tag" in result.stderr


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
    assert len(text) == 6 and all(line.count("\t") == 6 for line in text)


def test_query_over_tags(cli: Any, ecr: Any) -> None:
    seeded(ecr)
    result = cli("--query", "[?starts_with(tag, 'v')].tag", "tags", "app")
    assert result.stdout == "v2\nv10\n"
