"""ecrctl against ECR's real paging (the faithful proxy): complete, no duplicates, few calls."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from ecrctl.core.versions import version_key
from tests.ecrproxy import EcrProxy, seed_images

pytestmark = pytest.mark.e2e


@pytest.fixture
def big(server_env: dict[str, str]) -> list[tuple[str | None, str]]:
    return seed_images("team/app", 2500, tags_per_image=2, untagged=30)


def test_limits_paging_tags_text_uses_list_images_pages_of_1000(
    ecr_proxy: Callable[..., EcrProxy], run_ecrctl: Any, big: list[tuple[str | None, str]]
) -> None:
    proxy = ecr_proxy(latency=0)
    done = run_ecrctl("-o", "text", "tags", "team/app", env={"AWS_ENDPOINT_URL": proxy.url})
    assert done.exit_code == 0, done.stderr
    expected = sorted(
        [f"{t}{s}" for t, _ in big if t for s in ("", "-1")], key=lambda t: (version_key(t), t)
    )
    assert done.stdout.splitlines() == expected  # 5,000 tags, each once, in version order
    assert dict(proxy.counts) == {"ListImages": 5}  # 5,000 ids at 1,000 a page


def test_limits_paging_tags_json_and_images_use_describe_images_pages_of_1000(
    ecr_proxy: Callable[..., EcrProxy], run_ecrctl: Any, big: list[tuple[str | None, str]]
) -> None:
    proxy = ecr_proxy(latency=0)
    env = {"AWS_ENDPOINT_URL": proxy.url}
    tags = run_ecrctl("-o", "json", "tags", "team/app", "--sort", "pushed", env=env)
    assert tags.exit_code == 0, tags.stderr
    doc = json.loads(tags.stdout)
    assert len(doc) == len({e["tag"] for e in doc}) == 5000
    assert dict(proxy.counts) == {"DescribeImages": 3}  # 2,500 tagged images
    proxy.reset_counts()
    images = run_ecrctl("-o", "json", "images", "team/app", env=env)
    assert images.exit_code == 0, images.stderr
    digests = [i["digest"] for i in json.loads(images.stdout)]
    assert sorted(digests) == sorted({d for _, d in big}) and len(digests) == 2530
    assert dict(proxy.counts) == {"DescribeImages": 3}
    proxy.reset_counts()
    untagged = run_ecrctl("-o", "text", "tags", "team/app", "--untagged", env=env)
    assert sorted(untagged.stdout.split()) == sorted(d for t, d in big if t is None)


def test_limits_paging_text_tags_match_and_limit_agree_with_the_full_listing(
    ecr_proxy: Callable[..., EcrProxy], run_ecrctl: Any, big: list[tuple[str | None, str]]
) -> None:
    env = {"AWS_ENDPOINT_URL": ecr_proxy(latency=0).url}
    for args in (["--match", "tag-1*-1", "--limit", "7"], ["--sort", "name", "--limit", "12"]):
        text = run_ecrctl("-o", "text", "tags", "team/app", *args, env=env)
        full = run_ecrctl("-o", "json", "tags", "team/app", *args, env=env)
        assert text.exit_code == full.exit_code == 0, text.stderr + full.stderr
        assert text.stdout.splitlines() == [e["tag"] for e in json.loads(full.stdout)]
    missing = run_ecrctl("-o", "text", "tags", "team/none", env=env)
    assert missing.exit_code == 3 and "team/none" in missing.stderr


def test_limits_paging_repo_list_reads_every_page(
    ecr_proxy: Callable[..., EcrProxy], run_ecrctl: Any, server_env: dict[str, str]
) -> None:
    for n in range(1200):
        seed_images(f"svc/r{n:04d}", 0)
    proxy = ecr_proxy(latency=0)
    done = run_ecrctl("-o", "text", "repo", "list", env={"AWS_ENDPOINT_URL": proxy.url})
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines() == [f"svc/r{n:04d}" for n in range(1200)]
    assert dict(proxy.counts) == {"DescribeRepositories": 2}
